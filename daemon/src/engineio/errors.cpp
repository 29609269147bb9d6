#include "engineio/errors.hpp"

namespace tradepush::engineio {

std::string_view
message(request_error e) noexcept
{
    switch(e) {
    case request_error::unknown_transport: return "Transport unknown";
    case request_error::unknown_sid: return "Session ID unknown";
    case request_error::bad_handshake_method: return "Bad handshake method";
    case request_error::bad_request: return "Bad request";
    case request_error::forbidden: return "Forbidden";
    case request_error::unsupported_protocol_version: return "Unsupported protocol version";
    }
    return "Bad request";
}

unsigned
http_status(request_error e) noexcept
{
    return e == request_error::forbidden ? 403 : 400;
}

std::string
json_body(request_error e)
{
    std::string body = "{\"code\":";
    body += std::to_string(static_cast<int>(e));
    body += ",\"message\":\"";
    body += message(e);
    body += "\"}";
    return body;
}

} // namespace tradepush::engineio
