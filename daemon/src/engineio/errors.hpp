#pragma once
// The reference server's request errors (engine.io `Server.errors`), with their exact messages.

#include <string>
#include <string_view>

namespace tradepush::engineio {

/// Engine.IO request error codes, numbered as on the wire.
enum class request_error : int {
    unknown_transport = 0,
    unknown_sid = 1,
    bad_handshake_method = 2,
    bad_request = 3,
    forbidden = 4,
    unsupported_protocol_version = 5,
};

/// The reference message for an error ("Transport unknown", ...).
std::string_view message(request_error e) noexcept;
/// HTTP status for a polling error: 403 for forbidden, else 400.
unsigned http_status(request_error e) noexcept;
/// The JSON body `{"code":N,"message":"..."}` sent to polling requests.
std::string json_body(request_error e);

} // namespace tradepush::engineio
