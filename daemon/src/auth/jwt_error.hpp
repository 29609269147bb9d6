#pragma once
// Why a token was refused. The codes are part of the client contract (DESIGN.md §3): a refusal is
// CONNECT_ERROR {"message":"unauthorized","data":{"code":"<to_code(e)>"}}, so never rename them.

#include <boost/assert/source_location.hpp>
#include <boost/system/error_code.hpp>

#include <string_view>
#include <type_traits>

namespace tradepush::auth {

/// Why a token was refused; wire code strings via to_code().
enum class jwt_error {
    malformed = 1,       ///< not a compact JWS / not JSON objects / bad claim types / too long
    unsupported_alg,     ///< header alg is not HS256, RS256 or ES256 (`none` included)
    bad_signature,       ///< signature does not verify with the selected key(s)
    token_expired,       ///< now >= exp + leeway
    token_not_yet_valid, ///< now + leeway < nbf
    unknown_kid,         ///< no configured key matches the header's kid and alg
    bad_issuer,          ///< iss differs from the configured issuer
    bad_audience,        ///< aud does not contain the configured audience
    missing_subject,     ///< sub absent, not a string, empty, too long or with control characters
    no_token,            ///< the client sent no token at all
    missing_exp,         ///< no exp while the policy requires one (verifier_options::require_exp)
    lifetime_too_long,   ///< exp - iat (or exp - now) exceeds verifier_options::max_lifetime
    issued_in_future     ///< iat > now + leeway
};

/// The wire code, e.g. "token_expired"; "malformed_token" for jwt_error::malformed.
std::string_view to_code(jwt_error e) noexcept;

/// The error category of jwt_error ("tradepush.jwt"); message() is the wire code.
boost::system::error_category const& jwt_category() noexcept;

/// Lets a jwt_error convert to boost::system::error_code.
boost::system::error_code make_error_code(jwt_error e) noexcept;

/// Found by ADL from boost::system::result<T, jwt_error>::value(): throws
/// boost::system::system_error.
[[noreturn]] void throw_exception_from_error(jwt_error e, boost::source_location const& loc);

} // namespace tradepush::auth

namespace boost::system {
/// jwt_error is an error code enum, so `error_code ec = jwt_error::bad_signature;` works.
template<>
struct is_error_code_enum<tradepush::auth::jwt_error> : std::true_type {
};
} // namespace boost::system
