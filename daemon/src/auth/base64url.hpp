#pragma once
// base64url (RFC 4648 §5) as JWS uses it (RFC 7515 §2): no padding, strict alphabet.

#include <optional>
#include <string>
#include <string_view>

namespace tradepush::auth {

/// Encodes bytes as unpadded base64url.
std::string base64url_encode(std::string_view bytes);

/// Decodes unpadded base64url. Returns nullopt on any character outside `A-Z a-z 0-9 - _`
/// (so `=` padding, `+`, `/` and whitespace are refused), on an impossible length (len % 4 == 1)
/// and on non-zero unused trailing bits, so each byte string has exactly one accepted encoding.
std::optional<std::string> base64url_decode(std::string_view text);

} // namespace tradepush::auth
