#pragma once
// Standard base64 (RFC 4648 §4, padded) for binary messages over the polling transport.

#include <optional>
#include <string>
#include <string_view>

namespace tradepush::engineio {

/// Encodes `in` as padded base64.
std::string base64_encode(std::string_view in);
/// Decodes padded (or unpadded) base64; nullopt on any character outside the alphabet.
std::optional<std::string> base64_decode(std::string_view in);

} // namespace tradepush::engineio
