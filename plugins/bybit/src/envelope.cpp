#include "envelope.hpp"

#include <boost/json/parse.hpp>

namespace tradepush::bybit {

namespace json = boost::json;

bool
is_fatal(failure_kind k) noexcept
{
    switch(k) {
    case failure_kind::auth:
    case failure_kind::permission:
    case failure_kind::restricted:
    case failure_kind::invalid:
        return true;
    default:
        return false;
    }
}

std::string
safe_message(std::string_view msg)
{
    // 10004 answers echo the signed plaintext: "error sign! origin_string[<ts><api key>...]".
    if(auto const pos = msg.find("origin_string"); pos != std::string_view::npos)
        msg = msg.substr(0, pos);
    while(!msg.empty() && (msg.back() == ' ' || msg.back() == ':' || msg.back() == ','))
        msg.remove_suffix(1);
    if(msg.size() > 200)
        msg = msg.substr(0, 200);
    std::string out;
    for(char c : msg)
        out += (static_cast<unsigned char>(c) < 0x20) ? ' ' : c;
    return out;
}

namespace {

failure
make(failure_kind kind, std::string code, std::string message, long long ret_code, int http_status)
{
    return failure{kind, std::move(code), std::move(message), ret_code, http_status};
}

std::string
with_code(long long ret_code, std::string_view text)
{
    return "bybit retCode " + std::to_string(ret_code) + ": " + safe_message(text);
}

failure
failure_for_http_status(int status, std::string_view transport_error)
{
    if(status == 0)
        return make(failure_kind::transient, "exchange_unavailable",
            "bybit unreachable: " + safe_message(transport_error), 0, 0);
    if(status == 401)
        return make(failure_kind::auth, "exchange_auth_failed", "bybit refused the API key (HTTP 401)", 0, status);
    if(status == 403)
        return make(failure_kind::ip_ban, "rate_limited",
            "bybit IP rate limit or access denied (HTTP 403); backing off", 0, status);
    if(status == 429)
        return make(failure_kind::rate_limit, "rate_limited", "bybit rate limit (HTTP 429)", 0, status);
    if(status == 400 || status == 404)
        return make(failure_kind::invalid, "invalid_request",
            "bybit refused the request (HTTP " + std::to_string(status) + ")", 0, status);
    if(status >= 500)
        return make(failure_kind::transient, "exchange_unavailable",
            "bybit server error (HTTP " + std::to_string(status) + ")", 0, status);
    return make(failure_kind::bad_response, "exchange_bad_response",
        "unexpected answer from bybit (HTTP " + std::to_string(status) + ")", 0, status);
}

} // namespace

failure
failure_for_ret_code(long long rc, std::string_view msg, int http_status)
{
    switch(rc) {
    case 10003: // invalid key, or a key of another environment
    case 10004: // error sign: the secret does not match the key
    case 10007: // user authentication failed
    case 33004: // derivatives key expired
    case -2015: // spot key expired
        // The 10004 text would echo the key; say it plainly instead.
        return make(failure_kind::auth, "exchange_auth_failed",
            rc == 10004 ? std::string("bybit retCode 10004: signature rejected (wrong API secret?)")
                        : with_code(rc, msg),
            rc, http_status);
    case 10005:
        return make(failure_kind::permission, "exchange_permission_denied",
            with_code(rc, msg) + " (the API key lacks a read permission)", rc, http_status);
    case 10010:
        return make(failure_kind::restricted, "exchange_ip_not_allowed", with_code(rc, msg), rc, http_status);
    case 10008:
    case 10009:
    case 10027:
    case 10028:
    case 10029:
        return make(failure_kind::restricted, "exchange_account_restricted", with_code(rc, msg), rc, http_status);
    case 10002:
        return make(failure_kind::clock, "exchange_clock_skew", with_code(rc, msg), rc, http_status);
    case 10006:
        return make(failure_kind::rate_limit, "rate_limited", with_code(rc, msg), rc, http_status);
    case 10016:
        return make(failure_kind::transient, "exchange_unavailable", with_code(rc, msg), rc, http_status);
    case 10001:
    case 10017:
        return make(failure_kind::invalid, "invalid_request", with_code(rc, msg), rc, http_status);
    default:
        break;
    }
    // Unknown codes: assume the exchange is having trouble rather than stopping for good.
    return make(failure_kind::transient, "exchange_error", with_code(rc, msg), rc, http_status);
}

rest_outcome
classify_response(int http_status, std::string_view transport_error, std::string_view body)
{
    if(http_status == 0)
        return {std::nullopt, failure_for_http_status(0, transport_error)};

    boost::system::error_code ec;
    auto v = json::parse(body, ec);
    json::object const* o = (!ec && v.is_object()) ? &v.as_object() : nullptr;
    json::value const* rc = o ? o->if_contains("retCode") : nullptr;
    if(!rc || !rc->is_number()) {
        // IP bans come as a non-JSON 403; 401 for missing auth headers may have no retCode either.
        if(http_status != 200)
            return {std::nullopt, failure_for_http_status(http_status, {})};
        return {std::nullopt, make(failure_kind::bad_response, "exchange_bad_response",
                                  "bybit answered without a retCode envelope", 0, http_status)};
    }
    // The error_code form: a fractional or huge retCode is a bad response, not an exception.
    boost::system::error_code num_ec;
    auto const code = rc->to_number<long long>(num_ec);
    if(num_ec)
        return {std::nullopt, make(failure_kind::bad_response, "exchange_bad_response",
                                  "bybit answered with a malformed retCode", 0, http_status)};
    std::string_view msg;
    if(auto const* m = o->if_contains("retMsg"); m && m->is_string())
        msg = m->as_string();
    if(code != 0)
        return {std::nullopt, failure_for_ret_code(code, msg, http_status)};
    if(http_status != 200)
        return {std::nullopt, failure_for_http_status(http_status, {})};

    envelope env;
    if(auto* r = v.as_object().if_contains("result"); r && r->is_object())
        env.result = std::move(*r);
    else
        env.result = json::object{};
    if(auto const* t = o->if_contains("time"); t && t->is_number()) {
        boost::system::error_code t_ec;
        auto const ms = t->to_number<std::int64_t>(t_ec);
        env.time_ms = t_ec ? 0 : ms;
    }
    return {std::move(env), std::nullopt};
}

} // namespace tradepush::bybit
