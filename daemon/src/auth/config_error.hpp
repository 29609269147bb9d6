#pragma once
// The failure of building a verifier from configuration: a sentence for the operator's log.

#include <boost/assert/source_location.hpp>

#include <string>

namespace tradepush::auth {

/// Why jwt_verifier::create() (or key parsing) refused the configuration. `message` names the
/// offending key, e.g. `auth key #2 (kid "k1", RS256): RSA key has 1024 bits, at least 2048
/// required`.
struct config_error {
    std::string message; ///< human-readable, no trailing newline, never contains key material
};

/// Found by ADL from boost::system::result<T, config_error>::value(): throws
/// std::runtime_error(message). (boost::system::result needs this for a non-error_code error type;
/// without it .value() won't compile.)
[[noreturn]] void throw_exception_from_error(config_error const& e,
                                             boost::source_location const& loc);

} // namespace tradepush::auth
