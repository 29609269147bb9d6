// Test that header file is self-contained.
#include "auth/key_set.hpp"

#include "test_signer.hpp"

#include <catch2/catch.hpp>

using namespace tradepush::auth;
namespace t = tradepush::auth::test;

namespace {

std::string const secret_a(32, 'a');
std::string const secret_b(32, 'b');
std::string const input = "h.p";

} // namespace

TEST_CASE("key_set: create() errors name the key", "[auth][key_set]")
{
    auto empty = key_set::create({});
    REQUIRE_FALSE(empty.has_value());
    CHECK_THAT(empty.error().message, Catch::Contains("no verification keys"));

    auto bad = key_set::create(
        {{"good", jwt_alg::hs256, secret_a}, {"broken", jwt_alg::rs256, "garbage"}});
    REQUIRE_FALSE(bad.has_value());
    CHECK_THAT(bad.error().message,
               Catch::StartsWith("auth key #2 (kid \"broken\", RS256): no PEM block found"));

    auto dup =
        key_set::create({{"same", jwt_alg::hs256, secret_a}, {"same", jwt_alg::hs256, secret_b}});
    REQUIRE_FALSE(dup.has_value());
    CHECK_THAT(dup.error().message, Catch::Contains("#2") && Catch::Contains("duplicate kid"));

    // Several kid-less keys are fine (tried in turn).
    CHECK(key_set::create({{"", jwt_alg::hs256, secret_a}, {"", jwt_alg::hs256, secret_b}})
              .has_value());
}

TEST_CASE("key_set: the error text never echoes a secret", "[auth][key_set]")
{
    std::string const short_secret = "hunter2-short-secret";
    auto r = key_set::create({{"k", jwt_alg::hs256, short_secret}});
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().message.find(short_secret) == std::string::npos);
}

TEST_CASE("key_set: kid selects exactly one key", "[auth][key_set]")
{
    auto keys = key_set::create({{"a", jwt_alg::hs256, secret_a}, {"b", jwt_alg::hs256, secret_b}});
    REQUIRE(keys.has_value());
    CHECK(keys->verify(jwt_alg::hs256, "a", input, t::hs256(secret_a, input)).has_value());
    CHECK(keys->verify(jwt_alg::hs256, "b", input, t::hs256(secret_b, input)).has_value());
    // The named key must be the one that signed; the other key is not tried.
    CHECK(keys->verify(jwt_alg::hs256, "a", input, t::hs256(secret_b, input)).error() ==
          jwt_error::bad_signature);
    CHECK(keys->verify(jwt_alg::hs256, "c", input, t::hs256(secret_a, input)).error() ==
          jwt_error::unknown_kid);
}

TEST_CASE("key_set: without kid, every key of the header's alg is tried", "[auth][key_set]")
{
    auto keys = key_set::create({{"a", jwt_alg::hs256, secret_a},
                                 {"r", jwt_alg::rs256, t::public_pem(t::shared_rsa_key())},
                                 {"", jwt_alg::hs256, secret_b}});
    REQUIRE(keys.has_value());
    CHECK(keys->verify(jwt_alg::hs256, std::nullopt, input, t::hs256(secret_a, input)).has_value());
    CHECK(keys->verify(jwt_alg::hs256, std::nullopt, input, t::hs256(secret_b, input)).has_value());
    CHECK(keys->verify(jwt_alg::rs256, std::nullopt, input, t::rs256(t::shared_rsa_key(), input))
              .has_value());
    CHECK(keys->verify(jwt_alg::hs256, std::nullopt, input, t::hs256(std::string(32, 'z'), input))
              .error() == jwt_error::bad_signature);
    // No ES256 key configured at all.
    CHECK(keys->verify(jwt_alg::es256, std::nullopt, input, t::es256(t::shared_ec_key(), input))
              .error() == jwt_error::unknown_kid);
}

TEST_CASE("key_set: a key never verifies another algorithm (algorithm confusion)",
          "[auth][key_set]")
{
    auto const pem = t::public_pem(t::shared_rsa_key());
    auto keys = key_set::create({{"r", jwt_alg::rs256, pem}});
    REQUIRE(keys.has_value());
    // The attack: HMAC the signing input with the public PEM, claim HS256.
    auto const forged = t::hs256(pem, input);
    CHECK(keys->verify(jwt_alg::hs256, "r", input, forged).error() == jwt_error::unknown_kid);
    CHECK(keys->verify(jwt_alg::hs256, std::nullopt, input, forged).error() ==
          jwt_error::unknown_kid);
    // Even a genuine RS256 signature is refused when the header claims another alg for this key.
    CHECK_FALSE(
        keys->verify(jwt_alg::es256, "r", input, t::rs256(t::shared_rsa_key(), input)).has_value());
}
