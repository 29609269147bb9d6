// Test that header file is self-contained.
#include "auth/key_config.hpp"

#include <catch2/catch.hpp>

TEST_CASE("key_config: an aggregate the config module can fill in", "[auth][key]")
{
    tradepush::auth::key_config const k{
        .kid = "main", .alg = tradepush::auth::jwt_alg::rs256, .material = "pem"};
    CHECK(k.kid == "main");
    CHECK(tradepush::auth::key_config{}.alg == tradepush::auth::jwt_alg::hs256);
}
