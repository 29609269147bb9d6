#pragma once
// A verification key as the configuration describes it, before parsing. Kept free of OpenSSL
// headers so the config and gateway modules can build one without pulling them in.

#include "auth/jwt_alg.hpp"

#include <string>

namespace tradepush::auth {

/// One verification key as configured.
struct key_config {
    std::string kid; ///< matched against the token header's `kid`; may be empty (then only kid-less
                     ///< tokens use it)
    jwt_alg alg{};   ///< the only algorithm this key verifies (defeats algorithm confusion)
    std::string material; ///< HS256: the shared secret bytes (>= 32). RS256/ES256: a "PUBLIC KEY"
                          ///< (SPKI) or "CERTIFICATE" PEM; a certificate is only a key container
                          ///< (dates/chain unchecked)
};

} // namespace tradepush::auth
