// Minting the HS256 JWTs the load generator's clients present in their Socket.IO CONNECT.

#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tradepush::bench {

/// base64url without padding (RFC 7515 section 2).
std::string
base64url(std::string_view bytes);

/// An HS256 JWT with claims {"sub":sub,"exp":exp} signed with `secret`.
/// `sub` is written as is: callers pass plain ids such as "u42" (no quotes or backslashes).
std::string
mint_hs256(std::string_view secret, std::string_view sub, std::int64_t exp);

} // namespace tradepush::bench
