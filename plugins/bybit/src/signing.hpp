#pragma once
// Bybit V5 request signing (spec §2, §5.3). Pure functions: they build the exact strings that are signed
// and the headers that carry the result; the HMAC itself is the host's (hmac_sha256 service), so this
// file has no crypto and the plugin no OpenSSL.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tradepush::bybit {

/// An HMAC-SHA256 digest.
using digest = std::array<std::uint8_t, 32>;

/// Lower-case hex of a digest (Bybit's HMAC signature encoding).
std::string
to_hex(digest const& d);

/// The REST string to sign: timestamp + api_key + recv_window + payload, where payload is the query
/// string exactly as sent (no '?') for GET or the raw body for POST.
std::string
rest_sign_payload(std::uint64_t timestamp_ms, std::string_view api_key, std::uint64_t recv_window_ms,
    std::string_view payload);

/// The WebSocket auth string to sign: "GET/realtime" + expires.
std::string
ws_sign_payload(std::uint64_t expires_ms);

/// The signed-request headers: X-BAPI-API-KEY, X-BAPI-TIMESTAMP, X-BAPI-RECV-WINDOW, X-BAPI-SIGN.
std::vector<std::pair<std::string, std::string>>
rest_auth_headers(std::string_view api_key, std::uint64_t timestamp_ms, std::uint64_t recv_window_ms,
    std::string_view signature_hex);

/// The private-stream auth frame: {"op":"auth","args":["<key>",<expires>,"<signature>"]}.
std::string
ws_auth_message(std::string_view api_key, std::uint64_t expires_ms, std::string_view signature_hex);

} // namespace tradepush::bybit
