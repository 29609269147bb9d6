#pragma once
// The configured keys and the rule for picking which of them may verify a given token.

#include "auth/config_error.hpp"
#include "auth/jwt_alg.hpp"
#include "auth/jwt_error.hpp"
#include "auth/verification_key.hpp"

#include <boost/system/result.hpp>

#include <optional>
#include <string_view>
#include <vector>

namespace tradepush::auth {

/// An immutable set of verification keys. verify() is safe to call from many threads at once.
class key_set {
public:
    /// Parses every key. Fails on an empty list, a duplicate non-empty kid or any bad key; the
    /// message names the key as `auth key #N (kid "x", RS256): ...` (N counts from 1 in
    /// configuration order).
    static boost::system::result<key_set, config_error> create(std::vector<key_config> const& keys);

    /// Checks `signature` over `signing_input` for a token whose header says `alg` and, optionally,
    /// `kid`. With a kid, only the key with that kid is tried; without, every key configured for
    /// `alg`. A key never verifies an algorithm other than its configured one (no algorithm
    /// confusion).
    /// @return success, or unknown_kid (no eligible key) / bad_signature (no eligible key
    /// verified).
    boost::system::result<void, jwt_error> verify(jwt_alg alg, std::optional<std::string_view> kid,
                                                  std::string_view signing_input,
                                                  std::string_view signature) const noexcept;

    /// The parsed keys in configuration order.
    std::vector<verification_key> const&
    keys() const noexcept
    {
        return keys_;
    }

private:
    explicit key_set(std::vector<verification_key> keys) noexcept
        : keys_(std::move(keys))
    {
    }

    std::vector<verification_key> keys_;
};

} // namespace tradepush::auth
