#pragma once
// The JWS algorithms we verify (RFC 7518 §3.1). Deliberately a closed set: anything else,
// `none` first of all, is refused before a key is even looked at.

#include <optional>
#include <string_view>

namespace tradepush::auth {

/// A supported JWS signature algorithm.
enum class jwt_alg {
    hs256, ///< HMAC-SHA256 with a shared secret
    rs256, ///< RSASSA-PKCS1-v1_5 with SHA-256, RSA public key >= 2048 bits
    es256  ///< ECDSA on P-256 with SHA-256, signature as raw R||S (64 bytes)
};

/// The JWS name: "HS256", "RS256" or "ES256".
std::string_view to_string(jwt_alg alg) noexcept;

/// Parses a JWS alg name. Case-sensitive as RFC 7515 §4.1.1 requires, so "hs256" is refused.
std::optional<jwt_alg> parse_alg(std::string_view name) noexcept;

} // namespace tradepush::auth
