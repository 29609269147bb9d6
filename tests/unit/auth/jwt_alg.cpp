// Test that header file is self-contained.
#include "auth/jwt_alg.hpp"

#include <catch2/catch.hpp>

using namespace tradepush::auth;

TEST_CASE("jwt_alg: names round-trip", "[auth][jwt_alg]")
{
    for(auto alg : {jwt_alg::hs256, jwt_alg::rs256, jwt_alg::es256})
        CHECK(parse_alg(to_string(alg)) == alg);
    CHECK(to_string(jwt_alg::hs256) == "HS256");
    CHECK(to_string(jwt_alg::rs256) == "RS256");
    CHECK(to_string(jwt_alg::es256) == "ES256");
}

TEST_CASE("jwt_alg: everything else is refused, case-sensitively", "[auth][jwt_alg]")
{
    for(auto const* name : {"none", "None", "NONE", "", "hs256", "Hs256", "HS384", "HS512", "RS512",
                            "PS256", "ES384", "EdDSA", "HS256 ", " HS256"}) {
        CAPTURE(name);
        CHECK_FALSE(parse_alg(name));
    }
}
