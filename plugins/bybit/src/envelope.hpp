#pragma once
// Bybit's REST envelope {retCode, retMsg, result, retExtInfo, time} and the classification of every way a
// request can fail (transport, HTTP status, retCode) into what the adapter does next and what the client
// is told in `stream_status` (spec §4).

#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tradepush::bybit {

/// What a failure means for the session.
enum class failure_kind {
    auth,        ///< key invalid / wrong environment / bad signature / expired: stop, tell the client
    permission,  ///< key lacks a permission: stop
    restricted,  ///< banned, region or IP restricted: stop
    invalid,     ///< our request was refused as malformed: stop (a config or adapter bug)
    clock,       ///< timestamp outside recv_window (10002): re-sync the clock and retry
    rate_limit,  ///< 10006 / HTTP 429: retry after the reset time or a backoff
    ip_ban,      ///< HTTP 403 (IP rate limit): retry after a long pause
    transient,   ///< transport error, 5xx, 10016: retry with backoff
    bad_response ///< not a Bybit answer (not JSON, no retCode): retry with backoff
};

/// True for kinds that retrying cannot fix (the session waits for a reopen or reset).
bool
is_fatal(failure_kind k) noexcept;

/// A classified failure.
struct failure {
    failure_kind kind{failure_kind::transient};
    std::string code;    ///< stream_status code, e.g. "exchange_auth_failed"
    std::string message; ///< human text for the client; never contains key or secret
    long long ret_code{0};
    int http_status{0};
};

/// A successful answer: the `result` member (an empty object when absent or null) and server time.
struct envelope {
    boost::json::value result;
    std::int64_t time_ms{0};
};

/// The outcome of one REST call: either an envelope or a failure.
struct rest_outcome {
    std::optional<envelope> ok;
    std::optional<failure> error;
};

/// Classifies a REST answer. `transport_error` is the host's error text (empty when a response came).
rest_outcome
classify_response(int http_status, std::string_view transport_error, std::string_view body);

/// The failure for a Bybit retCode (also used for WebSocket errors); retCode 0 is not a failure.
failure
failure_for_ret_code(long long ret_code, std::string_view ret_msg, int http_status);

/// A client-safe excerpt of a Bybit message: cut before any echoed "origin_string" (it contains the
/// API key) and limited in length.
std::string
safe_message(std::string_view msg);

} // namespace tradepush::bybit
