#pragma once
// Verifies the JWT a client presents on connect (DESIGN.md §3): a compact JWS signed with HS256,
// RS256 or ES256, with exp/nbf checked against a clock, optional iss/aud, and `sub` as the user id.

#include "auth/config_error.hpp"
#include "auth/jwt_alg.hpp"
#include "auth/jwt_error.hpp"
#include "auth/key_config.hpp"

#include <boost/json/object.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tradepush::auth {

/// What jwt_verifier::create() needs: the keys and the claim policy.
struct verifier_options {
    std::vector<key_config> keys;        ///< at least one
    std::optional<std::string> issuer;   ///< when set, `iss` must equal it
    std::optional<std::string> audience; ///< when set, `aud` (string or array) must contain it
    std::chrono::seconds leeway{30};     ///< clock skew tolerated on exp, nbf and iat; must be >= 0
    /// Refuse tokens without `exp` (a token without one would be valid forever). The daemon's
    /// config defaults it to true; off here so the verifier alone implements RFC 7519 as written.
    bool require_exp = false;
    /// Longest accepted lifetime: exp - iat, or exp - now when there is no iat. 0: no cap (the
    /// daemon's config defaults it to 24 h).
    std::chrono::seconds max_lifetime{0};
};

/// The claims of a verified token.
struct claims {
    std::string subject;             ///< `sub`: the user id (1..128 bytes, no control characters)
    std::optional<std::int64_t> exp; ///< `exp` in seconds since the epoch (fractions rounded down)
    std::optional<std::int64_t> nbf; ///< `nbf` in seconds since the epoch (fractions rounded up)
    std::optional<std::int64_t> iat; ///< `iat` in seconds since the epoch, informational only
    boost::json::object all; ///< the whole payload, for claims this module does not interpret
};

/// Verifies compact JWS tokens against a fixed key set. Immutable after create(); cheap to copy
/// (copies share the parsed keys); verify() may be called concurrently from any number of threads.
class jwt_verifier {
public:
    /// Tokens longer than this are refused as malformed before any decoding (bounds work per
    /// attempt).
    static constexpr std::size_t max_token_size = 8 * 1024;
    /// Longest accepted `sub`, in bytes.
    static constexpr std::size_t max_subject_size = 128;

    /// Parses every key (PEM via OpenSSL); error text names the bad key. Throws nothing.
    static boost::system::result<jwt_verifier, config_error> create(verifier_options opts) noexcept;

    /// Verifies a compact JWS. `now` = seconds since epoch (injectable for tests). Thread-safe.
    boost::system::result<claims, jwt_error> verify(std::string_view token,
                                                    std::int64_t now) const noexcept;

    /// The clock skew tolerated on exp, nbf and iat.
    std::chrono::seconds leeway() const noexcept;

    /// Verifies a compact JWS against the system clock. Thread-safe.
    boost::system::result<claims, jwt_error> verify(std::string_view token) const noexcept;

private:
    struct state;

    explicit jwt_verifier(std::shared_ptr<state const> s) noexcept;

    boost::system::result<claims, jwt_error> verify_impl(std::string_view token,
                                                         std::int64_t now) const;

    std::shared_ptr<state const> state_;
};

} // namespace tradepush::auth
