#pragma once
// Bybit V5 HMAC-SHA256 signing, shared by REST auth, WS auth and the tests (spec §2, §5.3).

#include <cstdint>
#include <string>
#include <string_view>

namespace tradepush::bybit_sim {

/// Lowercase hex of HMAC-SHA256(secret, payload).
std::string
hmac_sha256_hex(std::string_view secret, std::string_view payload);

/// The REST string to sign: timestamp + api_key + recv_window + payload. `payload` is the raw query
/// (GET, no leading '?') or the raw body (POST) exactly as on the wire; `recv_window` may be empty
/// when the client did not send X-BAPI-RECV-WINDOW.
std::string
rest_sign_origin(std::string_view timestamp, std::string_view api_key, std::string_view recv_window,
    std::string_view payload);

/// X-BAPI-SIGN for a REST request.
std::string
rest_signature(std::string_view secret, std::string_view timestamp, std::string_view api_key,
    std::string_view recv_window, std::string_view payload);

/// The private WebSocket auth signature: hex(HMAC_SHA256(secret, "GET/realtime" + expires)).
std::string
ws_signature(std::string_view secret, std::int64_t expires_ms);

/// Constant-time comparison of two signatures (a timing oracle would be a fidelity bug of its own).
bool
signature_equal(std::string_view a, std::string_view b);

} // namespace tradepush::bybit_sim
