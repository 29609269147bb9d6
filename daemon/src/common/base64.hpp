#pragma once
// Base64 (RFC 4648): the standard alphabet with padding, as Engine.IO polling carries binary, and
// base64url without padding, as JWS (RFC 7515 §2) spells tokens. One codec serves both.

#include <optional>
#include <string>
#include <string_view>

namespace tradepush {

/// Encodes bytes as padded standard base64 (`+`, `/`, `=`).
std::string base64_encode(std::string_view bytes);
/// Decodes standard base64; `=` padding is optional. Nullopt on a character outside the alphabet
/// or an impossible length.
std::optional<std::string> base64_decode(std::string_view text);

/// Encodes bytes as unpadded base64url (`-`, `_`).
std::string base64url_encode(std::string_view bytes);
/// Decodes unpadded base64url. Nullopt on any character outside `A-Z a-z 0-9 - _` (so `=`, `+`, `/`
/// and whitespace are refused), on an impossible length (len % 4 == 1) and on non-zero unused
/// trailing bits, so each byte string has exactly one accepted encoding.
std::optional<std::string> base64url_decode(std::string_view text);

} // namespace tradepush
