// Test that header file is self-contained.
#include "auth/verification_key.hpp"

#include "test_signer.hpp"

#include <catch2/catch.hpp>

using namespace tradepush::auth;
namespace t = tradepush::auth::test;

namespace {

std::string const secret(32, 'k');

// The create() error text, or "" when it succeeded.
std::string
create_error(key_config const& cfg)
{
    auto r = verification_key::create(cfg);
    return r ? std::string() : r.error().message;
}

} // namespace

TEST_CASE("verification_key: accepts the supported forms", "[auth][key]")
{
    CHECK(create_error({"", jwt_alg::hs256, secret}).empty());
    CHECK(create_error({"", jwt_alg::rs256, t::public_pem(t::shared_rsa_key())}).empty());
    CHECK(create_error({"", jwt_alg::rs256, t::self_signed_cert_pem(t::shared_rsa_key())}).empty());
    CHECK(create_error({"", jwt_alg::es256, t::public_pem(t::shared_ec_key())}).empty());
    CHECK(create_error({"", jwt_alg::es256, t::self_signed_cert_pem(t::shared_ec_key())}).empty());
    // Operators indent or decorate PEMs in config files; text before the block is skipped.
    CHECK(create_error({"", jwt_alg::rs256, "# test key\n" + t::public_pem(t::shared_rsa_key())})
              .empty());
}

TEST_CASE("verification_key: HS256 secret checks", "[auth][key]")
{
    CHECK_THAT(create_error({"", jwt_alg::hs256, ""}), Catch::Contains("0 bytes, at least 32"));
    CHECK_THAT(create_error({"", jwt_alg::hs256, std::string(31, 'k')}),
               Catch::Contains("31 bytes"));
    // A public key where a secret belongs is the algorithm-confusion setup: refused outright.
    CHECK_THAT(create_error({"", jwt_alg::hs256, t::public_pem(t::shared_rsa_key())}),
               Catch::Contains("looks like a PEM"));
}

TEST_CASE("verification_key: bad PEM gives a clear message", "[auth][key]")
{
    CHECK_THAT(create_error({"", jwt_alg::rs256, "not a pem"}),
               Catch::Contains("no PEM block found"));
    CHECK_THAT(create_error({"", jwt_alg::rs256, ""}), Catch::Contains("no PEM block found"));
    // Valid armour, garbage inside.
    CHECK_THAT(create_error({"", jwt_alg::rs256,
                             "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"}),
               Catch::Contains("not a valid SubjectPublicKeyInfo"));
    CHECK_THAT(create_error({"", jwt_alg::rs256,
                             "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}),
               Catch::Contains("not a valid X.509"));
    // Truncated PEM (no END line).
    auto pem = t::public_pem(t::shared_rsa_key());
    CHECK_THAT(create_error({"", jwt_alg::rs256, pem.substr(0, pem.size() / 2)}),
               Catch::Contains("no PEM block"));
    // Private keys are not configuration we accept.
    CHECK_THAT(create_error({"", jwt_alg::rs256, t::private_pem(t::shared_rsa_key())}),
               Catch::Contains("\"PRIVATE KEY\" is not supported"));
}

TEST_CASE("verification_key: key type must match the algorithm", "[auth][key]")
{
    CHECK_THAT(create_error({"", jwt_alg::rs256, t::public_pem(t::shared_ec_key())}),
               Catch::Contains("RS256 needs an RSA public key"));
    CHECK_THAT(create_error({"", jwt_alg::es256, t::public_pem(t::shared_rsa_key())}),
               Catch::Contains("ES256 needs an EC public key"));
    auto const p384 = t::generate_ec("P-384");
    CHECK_THAT(create_error({"", jwt_alg::es256, t::public_pem(p384.get())}),
               Catch::Contains("needs a P-256 key"));
    auto const rsa1024 = t::generate_rsa(1024);
    CHECK_THAT(create_error({"", jwt_alg::rs256, t::public_pem(rsa1024.get())}),
               Catch::Contains("1024 bits, at least 2048"));
}

TEST_CASE("verification_key: verifies only its own algorithm's signatures", "[auth][key]")
{
    std::string const input = "header.payload";

    auto hs = verification_key::create({"", jwt_alg::hs256, secret});
    REQUIRE(hs.has_value());
    CHECK(hs->verify(input, t::hs256(secret, input)));
    CHECK_FALSE(hs->verify(input + "x", t::hs256(secret, input)));
    CHECK_FALSE(hs->verify(input, t::hs256(std::string(32, 'j'), input)));
    CHECK_FALSE(hs->verify(input, t::hs256(secret, input).substr(0, 31)));
    CHECK_FALSE(hs->verify(input, ""));

    auto rs = verification_key::create({"", jwt_alg::rs256, t::public_pem(t::shared_rsa_key())});
    REQUIRE(rs.has_value());
    auto const rs_sig = t::rs256(t::shared_rsa_key(), input);
    CHECK(rs->verify(input, rs_sig));
    CHECK_FALSE(rs->verify(input + "x", rs_sig));
    CHECK_FALSE(rs->verify(input, rs_sig.substr(1)));
    CHECK_FALSE(rs->verify(input, rs_sig + '\0'));

    auto es = verification_key::create({"", jwt_alg::es256, t::public_pem(t::shared_ec_key())});
    REQUIRE(es.has_value());
    auto const es_sig = t::es256(t::shared_ec_key(), input);
    REQUIRE(es_sig.size() == 64);
    CHECK(es->verify(input, es_sig));
    CHECK_FALSE(es->verify(input + "x", es_sig));
    // OpenSSL's own DER form is not what JWS carries.
    CHECK_FALSE(es->verify(input, t::es256_der(t::shared_ec_key(), input)));
    // R = 0 and S = 0 is never valid.
    CHECK_FALSE(es->verify(input, std::string(64, '\0')));
}
