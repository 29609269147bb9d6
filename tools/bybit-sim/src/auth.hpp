#pragma once
// REST request authentication exactly as Bybit V5 does it (spec §2, §4): key lookup, timestamp window
// [server - recv_window, server + 1000), HMAC over the raw wire bytes, key permissions.

#include "engine.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace tradepush::bybit_sim {

/// The auth-relevant parts of a request, as received (nullopt = header absent).
struct auth_request {
    std::optional<std::string> api_key;
    std::optional<std::string> timestamp;
    std::optional<std::string> sign;
    std::optional<std::string> recv_window;
    std::string payload; ///< raw query (GET) or raw body (POST)
};

/// Verdict. `ok` or an HTTP status + retCode/retMsg to send back.
struct auth_result {
    bool ok = false;
    unsigned http_status = 200;
    int ret_code = 0;
    std::string ret_msg;
    api_key const* key = nullptr; ///< set when the key was found
};

/// Default recv_window when the header is absent (Bybit docs).
inline constexpr std::int64_t default_recv_window = 5000;

/// Checks a signed request at server time `now_ms`. `needed` is what the endpoint requires.
/// `sign_absent_recv_window`: sign "5000" instead of "" when the header is absent (spec §6 item 2).
auth_result
authenticate(engine const& eng, auth_request const& req, std::int64_t now_ms, permission needed,
    bool sign_absent_recv_window = false);

/// The real 10002 text: "invalid request, please check your server timestamp or recv_window param.
/// req_timestamp[..],server_timestamp[..],recv_window[..]".
std::string
timestamp_error_message(std::string_view req_timestamp, std::int64_t server_ms, std::string_view recv_window);

} // namespace tradepush::bybit_sim
