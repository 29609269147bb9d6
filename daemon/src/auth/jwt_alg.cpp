#include "auth/jwt_alg.hpp"

namespace tradepush::auth {

std::string_view
to_string(jwt_alg alg) noexcept
{
    switch(alg) {
    case jwt_alg::hs256: return "HS256";
    case jwt_alg::rs256: return "RS256";
    case jwt_alg::es256: return "ES256";
    }
    return "?";
}

std::optional<jwt_alg>
parse_alg(std::string_view name) noexcept
{
    if(name == "HS256")
        return jwt_alg::hs256;
    if(name == "RS256")
        return jwt_alg::rs256;
    if(name == "ES256")
        return jwt_alg::es256;
    return std::nullopt;
}

} // namespace tradepush::auth
