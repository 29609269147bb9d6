#pragma once
// One configured verification key, parsed once at startup and then used read-only from any thread.

#include "auth/config_error.hpp"
#include "auth/jwt_alg.hpp"
#include "auth/key_config.hpp"
#include "auth/openssl_handles.hpp"

#include <boost/system/result.hpp>

#include <string>
#include <string_view>

namespace tradepush::auth {

/// A parsed key bound to exactly one algorithm. Immutable; verify() is safe from many threads at
/// once.
class verification_key {
public:
    /// Parses and checks `cfg`: HS256 secrets >= 32 bytes and not PEM-looking; RS256 keys RSA >=
    /// 2048 bits; ES256 keys EC on P-256. The error text says what is wrong but never echoes the
    /// material.
    static boost::system::result<verification_key, config_error> create(key_config const& cfg);

    /// The configured kid ("" when none).
    std::string const&
    kid() const noexcept
    {
        return kid_;
    }

    /// The one algorithm this key accepts.
    jwt_alg
    alg() const noexcept
    {
        return alg_;
    }

    /// True iff `signature` (already base64url-decoded) is a valid alg() signature of
    /// `signing_input` under this key. HS256 compares in constant time; ES256 expects raw R||S (64
    /// bytes).
    bool verify(std::string_view signing_input, std::string_view signature) const noexcept;

    /// Wipes an HMAC secret from memory.
    ~verification_key();
    /// Moves the key (the source is left empty).
    verification_key(verification_key&&) noexcept = default;
    /// Moves the key (the source is left empty).
    verification_key& operator=(verification_key&&) noexcept = default;

private:
    verification_key(std::string kid, jwt_alg alg, std::string secret,
                     detail::pkey_ptr pkey) noexcept;

    bool verify_hmac(std::string_view signing_input, std::string_view signature) const noexcept;
    bool verify_pkey(std::string_view signing_input, std::string_view der_signature) const noexcept;

    std::string kid_;
    jwt_alg alg_;
    std::string secret_;    // HS256 only
    detail::pkey_ptr pkey_; // RS256/ES256 only
};

} // namespace tradepush::auth
