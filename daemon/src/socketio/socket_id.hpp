#pragma once
// Public socket ids: fresh, unguessable, base64id-shaped.

#include <optional>
#include <string>

namespace tradepush::socketio {

/// A new 20-char id (15 CSPRNG bytes, base64url) like the reference's base64id; nullopt only if the
/// CSPRNG fails.
std::optional<std::string> make_socket_id();

} // namespace tradepush::socketio
