#include "auth.hpp"

#include "format.hpp"
#include "sign.hpp"

namespace tradepush::bybit_sim {

std::string
timestamp_error_message(std::string_view req_timestamp, std::int64_t server_ms, std::string_view recv_window)
{
    std::string m = "invalid request, please check your server timestamp or recv_window param. req_timestamp[";
    m.append(req_timestamp);
    m += "],server_timestamp[" + std::to_string(server_ms) + "],recv_window[";
    m.append(recv_window);
    m += "]";
    return m;
}

auth_result
authenticate(engine const& eng, auth_request const& req, std::int64_t now_ms, permission needed,
    bool sign_absent_recv_window)
{
    auth_result r;
    // Auth parameters missing from the headers: HTTP 401 (spec §4, status table).
    if (!req.api_key || req.api_key->empty() || !req.sign || !req.timestamp) {
        r.http_status = 401;
        r.ret_code = 10003;
        r.ret_msg = "API key is invalid.";
        return r;
    }
    auto const* key = eng.find_key(*req.api_key);
    if (!key) {
        r.http_status = 401;
        r.ret_code = 10003;
        r.ret_msg = "API key is invalid.";
        return r;
    }
    r.key = key;

    std::string const rw_text = req.recv_window ? *req.recv_window : std::to_string(default_recv_window);
    std::int64_t recv_window = 0;
    if (!parse_int(rw_text, recv_window) || recv_window <= 0) {
        r.ret_code = 10001;
        r.ret_msg = "recv_window param error";
        return r;
    }
    std::int64_t ts = 0;
    // Accepted interval [server - recv_window, server + 1000): +1000 is exclusive (Bybit.Net#273).
    if (!parse_int(*req.timestamp, ts) || ts < now_ms - recv_window || ts >= now_ms + 1000) {
        r.ret_code = 10002;
        r.ret_msg = timestamp_error_message(*req.timestamp, now_ms, rw_text);
        return r;
    }

    // The header value as received goes into the origin string; absent means "" (zh-TW guide) unless
    // the switch asks for the default to be signed.
    std::string const signed_rw = req.recv_window ? *req.recv_window : (sign_absent_recv_window ? "5000" : "");
    auto const expected = rest_signature(key->secret, *req.timestamp, key->key, signed_rw, req.payload);
    if (!signature_equal(expected, *req.sign)) {
        r.ret_code = 10004;
        // Bybit echoes its plaintext with the secret-bearing prefix masked (sieblyio#537).
        r.ret_msg = "error sign! origin_string[***" + req.payload + "]";
        return r;
    }
    if (key->expired) {
        r.ret_code = 33004;
        r.ret_msg = "Your api key has expired.";
        return r;
    }
    if (key->perm == permission::none || (needed == permission::read_write && key->perm != permission::read_write)) {
        r.ret_code = 10005;
        r.ret_msg = "Permission denied, please check your API key permissions.";
        return r;
    }
    r.ok = true;
    return r;
}

} // namespace tradepush::bybit_sim
