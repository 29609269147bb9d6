// Test that header file is self-contained.
#include "auth/jwt_verifier.hpp"

#include "common/base64.hpp"
#include "test_signer.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

using namespace tradepush::auth;
using tradepush::base64url_decode;
using tradepush::base64url_encode;
namespace t = tradepush::auth::test;

namespace {

constexpr std::int64_t now = 1'700'000'000;
std::string const secret = "0123456789abcdef0123456789abcdef-test-only";

std::string const hs_header = R"({"alg":"HS256","typ":"JWT"})";
std::string const rs_header = R"({"alg":"RS256"})";
std::string const es_header = R"({"alg":"ES256"})";
std::string const payload =
    R"({"sub":"user-42","exp":1700003600,"iat":1700000000,"scope":"trade"})";

// HS256 (no kid), RS256 and ES256 keys, as a typical mixed configuration.
verifier_options
all_keys()
{
    verifier_options o;
    o.keys.push_back({"", jwt_alg::hs256, secret});
    o.keys.push_back({"", jwt_alg::rs256, t::public_pem(t::shared_rsa_key())});
    o.keys.push_back({"", jwt_alg::es256, t::public_pem(t::shared_ec_key())});
    return o;
}

jwt_verifier
make_verifier(verifier_options o = all_keys())
{
    auto v = jwt_verifier::create(std::move(o));
    if(!v)
        FAIL(v.error().message);
    return *v;
}

// The refusal code, or "ok".
std::string
outcome(jwt_verifier const& v, std::string_view token, std::int64_t at = now)
{
    auto r = v.verify(token, at);
    return r ? std::string("ok") : std::string(to_code(r.error()));
}

std::string
hs_token(std::string_view payload_json, std::string_view header_json = hs_header)
{
    return t::make_token(header_json, payload_json, t::hs256_signer(secret));
}

std::string
read_file(std::string const& path)
{
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string
trim(std::string s)
{
    while(!s.empty() && (s.back() == '\n' || s.back() == '\r'))
        s.pop_back();
    return s;
}

} // namespace

//------------------------------------------------------------------------------

TEST_CASE("jwt_verifier: valid tokens for every algorithm", "[auth][jwt]")
{
    auto const v = make_verifier();
    for(auto const& token :
        {hs_token(payload), t::make_token(rs_header, payload, t::rs256_signer(t::shared_rsa_key())),
         t::make_token(es_header, payload, t::es256_signer(t::shared_ec_key()))}) {
        auto r = v.verify(token, now);
        REQUIRE(r.has_value());
        CHECK(r->subject == "user-42");
        CHECK(r->exp == 1700003600);
        CHECK(r->iat == 1700000000);
        CHECK_FALSE(r->nbf);
        CHECK(r->all.at("scope") == "trade");
    }
}

TEST_CASE("jwt_verifier: RS256/ES256 keys given as X.509 certificates", "[auth][jwt]")
{
    verifier_options o;
    o.keys.push_back({"rsa", jwt_alg::rs256, t::self_signed_cert_pem(t::shared_rsa_key())});
    o.keys.push_back({"ec", jwt_alg::es256, t::self_signed_cert_pem(t::shared_ec_key())});
    auto const v = make_verifier(std::move(o));
    CHECK(outcome(v, t::make_token(R"({"alg":"RS256","kid":"rsa"})", payload,
                                   t::rs256_signer(t::shared_rsa_key()))) == "ok");
    CHECK(outcome(v, t::make_token(R"({"alg":"ES256","kid":"ec"})", payload,
                                   t::es256_signer(t::shared_ec_key()))) == "ok");
}

TEST_CASE("jwt_verifier: tampered payload or signature", "[auth][jwt]")
{
    auto const v = make_verifier();
    std::string const evil_payload =
        t::split(hs_token(R"({"sub":"admin","exp":1700003600})")).payload;
    for(auto const& token :
        {hs_token(payload), t::make_token(rs_header, payload, t::rs256_signer(t::shared_rsa_key())),
         t::make_token(es_header, payload, t::es256_signer(t::shared_ec_key()))}) {
        auto const s = t::split(token);
        // Swap in another payload, keep the signature.
        CHECK(outcome(v, s.header + "." + evil_payload + "." + s.signature) == "bad_signature");
        // Flip one bit of the signature.
        auto sig = *base64url_decode(s.signature);
        sig[sig.size() / 2] ^= 0x01;
        CHECK(outcome(v, s.header + "." + s.payload + "." + base64url_encode(sig)) ==
              "bad_signature");
        // Drop the signature.
        CHECK(outcome(v, s.header + "." + s.payload + ".") == "bad_signature");
    }
}

TEST_CASE("jwt_verifier: alg none is refused, with or without a signature", "[auth][jwt]")
{
    auto const v = make_verifier();
    for(auto const* alg : {"none", "None", "NONE", "nOnE"}) {
        CAPTURE(alg);
        std::string const header = std::string(R"({"alg":")") + alg + R"(","typ":"JWT"})";
        CHECK(outcome(v, t::make_token_with_signature(header, payload, "")) == "unsupported_alg");
        CHECK(outcome(v, t::make_token_with_signature(header, payload, "sig")) ==
              "unsupported_alg");
        // Even "signed" with the real HS256 secret.
        CHECK(outcome(v, t::make_token(header, payload, t::hs256_signer(secret))) ==
              "unsupported_alg");
    }
    for(auto const* header :
        {R"({"alg":"HS512"})", R"({"alg":"hs256"})", R"({"alg":"PS256"})", R"({"alg":""})"}) {
        CAPTURE(header);
        CHECK(outcome(v, t::make_token(header, payload, t::hs256_signer(secret))) ==
              "unsupported_alg");
    }
    // No alg, or alg not a string: the header itself is broken.
    CHECK(outcome(v, hs_token(payload, R"({"typ":"JWT"})")) == "malformed_token");
    CHECK(outcome(v, hs_token(payload, R"({"alg":null})")) == "malformed_token");
    CHECK(outcome(v, hs_token(payload, R"({"alg":["HS256"]})")) == "malformed_token");
}

TEST_CASE("jwt_verifier: algorithm confusion (HS256 keyed with the RS256 public PEM) fails",
          "[auth][jwt]")
{
    auto const pem = t::public_pem(t::shared_rsa_key());
    auto const cert = t::self_signed_cert_pem(t::shared_rsa_key());

    SECTION("only the RS256 key configured")
    {
        verifier_options o;
        o.keys.push_back({"", jwt_alg::rs256, pem});
        auto const v = make_verifier(std::move(o));
        CHECK(outcome(v, t::make_token(R"({"alg":"HS256"})", payload, t::hs256_signer(pem))) !=
              "ok");
        CHECK(outcome(v, t::make_token(R"({"alg":"HS256"})", payload, t::hs256_signer(pem))) ==
              "unknown_kid");
    }
    SECTION("the RS256 key has a kid and the forged header names it")
    {
        verifier_options o;
        o.keys.push_back({"rsa-1", jwt_alg::rs256, pem});
        auto const v = make_verifier(std::move(o));
        CHECK(outcome(v, t::make_token(R"({"alg":"HS256","kid":"rsa-1"})", payload,
                                       t::hs256_signer(pem))) == "unknown_kid");
    }
    SECTION("an HS256 key exists too: the PEM is still never an HMAC secret")
    {
        auto const v = make_verifier();
        for(auto const& fake_secret : {pem, cert}) {
            CHECK(outcome(v, t::make_token(R"({"alg":"HS256"})", payload,
                                           t::hs256_signer(fake_secret))) == "bad_signature");
        }
    }
    SECTION("configuring the public PEM as an HS256 secret is refused at startup")
    {
        verifier_options o;
        o.keys.push_back({"", jwt_alg::hs256, pem});
        auto const r = jwt_verifier::create(std::move(o));
        REQUIRE_FALSE(r.has_value());
        CHECK_THAT(r.error().message, Catch::Contains("looks like a PEM"));
    }
    SECTION("RS256 and ES256 are not interchangeable either")
    {
        auto const v = make_verifier();
        CHECK(outcome(v, t::make_token(es_header, payload, t::rs256_signer(t::shared_rsa_key()))) ==
              "bad_signature");
        CHECK(outcome(v, t::make_token(rs_header, payload, t::es256_signer(t::shared_ec_key()))) ==
              "bad_signature");
    }
}

TEST_CASE("jwt_verifier: kid selection", "[auth][jwt]")
{
    std::string const secret2 = "another-secret-another-secret-32b";
    verifier_options o;
    o.keys.push_back({"k1", jwt_alg::hs256, secret});
    o.keys.push_back({"k2", jwt_alg::hs256, secret2});
    o.keys.push_back({"r1", jwt_alg::rs256, t::public_pem(t::shared_rsa_key())});
    auto const v = make_verifier(std::move(o));

    CHECK(outcome(v, t::make_token(R"({"alg":"HS256","kid":"k1"})", payload,
                                   t::hs256_signer(secret))) == "ok");
    CHECK(outcome(v, t::make_token(R"({"alg":"HS256","kid":"k2"})", payload,
                                   t::hs256_signer(secret2))) == "ok");
    // Right secret, wrong kid: only the named key is tried.
    CHECK(outcome(v, t::make_token(R"({"alg":"HS256","kid":"k1"})", payload,
                                   t::hs256_signer(secret2))) == "bad_signature");
    CHECK(outcome(v, t::make_token(R"({"alg":"HS256","kid":"nope"})", payload,
                                   t::hs256_signer(secret))) == "unknown_kid");
    // Without kid every HS256 key is tried (rotation).
    CHECK(outcome(v, t::make_token(R"({"alg":"HS256"})", payload, t::hs256_signer(secret2))) ==
          "ok");
    // Without kid and no key of that alg.
    CHECK(outcome(v, t::make_token(es_header, payload, t::es256_signer(t::shared_ec_key()))) ==
          "unknown_kid");
    // kid must be a non-empty string.
    CHECK(outcome(v, t::make_token(R"({"alg":"HS256","kid":1})", payload,
                                   t::hs256_signer(secret))) == "malformed_token");
    CHECK(outcome(v, t::make_token(R"({"alg":"HS256","kid":""})", payload,
                                   t::hs256_signer(secret))) == "malformed_token");
}

TEST_CASE("jwt_verifier: exp and nbf with leeway boundaries", "[auth][jwt]")
{
    auto const v30 = make_verifier(); // default leeway 30 s
    auto o = all_keys();
    o.leeway = std::chrono::seconds(0);
    auto const v0 = make_verifier(std::move(o));
    auto with = [](std::string const& claims) { return hs_token(R"({"sub":"u",)" + claims + "}"); };

    // exp: valid while now < exp + leeway.
    CHECK(outcome(v0, with(R"("exp":1700000000)")) == "token_expired");
    CHECK(outcome(v0, with(R"("exp":1700000001)")) == "ok");
    CHECK(outcome(v30, with(R"("exp":1699999970)")) == "token_expired");
    CHECK(outcome(v30, with(R"("exp":1699999971)")) == "ok");
    CHECK(outcome(v30, with(R"("exp":1)")) == "token_expired");

    // nbf: valid once now + leeway >= nbf.
    CHECK(outcome(v0, with(R"("nbf":1700000000)")) == "ok");
    CHECK(outcome(v0, with(R"("nbf":1700000001)")) == "token_not_yet_valid");
    CHECK(outcome(v30, with(R"("nbf":1700000030)")) == "ok");
    CHECK(outcome(v30, with(R"("nbf":1700000031)")) == "token_not_yet_valid");

    // No exp at all is accepted (exp is optional).
    CHECK(outcome(v0, with(R"("iat":1)")) == "ok");

    // Fractional NumericDates round to the safe side: exp down, nbf up.
    CHECK(outcome(v0, with(R"("exp":1700000000.9)")) == "token_expired");
    CHECK(outcome(v0, with(R"("exp":1700000001.5)")) == "ok");
    CHECK(outcome(v0, with(R"("nbf":1700000000.1)")) == "token_not_yet_valid");
    CHECK(outcome(v0, with(R"("nbf":1699999999.9)")) == "ok");

    // Extremes saturate instead of overflowing (UBSan would flag signed overflow).
    CHECK(outcome(v30, with(R"("exp":9223372036854775807)")) == "ok");
    CHECK(outcome(v30, with(R"("nbf":9223372036854775807)"), INT64_MAX) == "ok");
    CHECK(outcome(v30, with(R"("exp":-9223372036854775808)")) == "token_expired");
}

TEST_CASE("jwt_verifier: non-numeric or out-of-range exp/nbf/iat is malformed", "[auth][jwt]")
{
    auto const v = make_verifier();
    for(auto const* claim :
        {R"("exp":"1700003600")", R"("exp":true)", R"("exp":null)", R"("exp":[1])", R"("nbf":"0")",
         R"("nbf":{})", R"("exp":1e300)", R"("exp":-1e300)", R"("exp":18446744073709551615)",
         R"("iat":"yesterday")"}) {
        CAPTURE(claim);
        CHECK(outcome(v, hs_token(std::string(R"({"sub":"u",)") + claim + "}")) ==
              "malformed_token");
    }
}

TEST_CASE("jwt_verifier: issuer and audience", "[auth][jwt]")
{
    auto o = all_keys();
    o.issuer = "https://auth.example";
    o.audience = "tradepush";
    auto const v = make_verifier(std::move(o));
    auto with = [](std::string const& claims) { return hs_token(R"({"sub":"u",)" + claims + "}"); };

    CHECK(outcome(v, with(R"("iss":"https://auth.example","aud":"tradepush")")) == "ok");
    CHECK(outcome(v, with(R"("iss":"https://auth.example","aud":["other","tradepush"])")) == "ok");

    CHECK(outcome(v, with(R"("aud":"tradepush")")) == "bad_issuer");
    CHECK(outcome(v, with(R"("iss":"https://evil.example","aud":"tradepush")")) == "bad_issuer");
    CHECK(outcome(v, with(R"("iss":"https://auth.example/","aud":"tradepush")")) == "bad_issuer");
    CHECK(outcome(v, with(R"("iss":["https://auth.example"],"aud":"tradepush")")) == "bad_issuer");

    CHECK(outcome(v, with(R"("iss":"https://auth.example")")) == "bad_audience");
    CHECK(outcome(v, with(R"("iss":"https://auth.example","aud":"other")")) == "bad_audience");
    CHECK(outcome(v, with(R"("iss":"https://auth.example","aud":["other","TRADEPUSH"])")) ==
          "bad_audience");
    CHECK(outcome(v, with(R"("iss":"https://auth.example","aud":[])")) == "bad_audience");
    CHECK(outcome(v, with(R"("iss":"https://auth.example","aud":[["tradepush"]])")) ==
          "bad_audience");
    CHECK(outcome(v, with(R"("iss":"https://auth.example","aud":{"x":"tradepush"})")) ==
          "bad_audience");

    // Without a configured issuer/audience the claims are not checked.
    auto const plain = make_verifier();
    CHECK(outcome(plain, with(R"("iss":"anyone","aud":"anything")")) == "ok");
}

TEST_CASE("jwt_verifier: malformed tokens", "[auth][jwt]")
{
    auto const v = make_verifier();
    auto const good = hs_token(payload);
    auto const s = t::split(good);
    REQUIRE(outcome(v, good) == "ok");

    // Segment count.
    CHECK(outcome(v, s.header + "." + s.payload) == "malformed_token");
    CHECK(outcome(v, s.header) == "malformed_token");
    CHECK(outcome(v, good + ".") == "malformed_token");
    CHECK(outcome(v, good + "." + s.signature) == "malformed_token");
    CHECK(outcome(v, "..") == "malformed_token");
    CHECK(outcome(v, "." + s.payload + "." + s.signature) == "malformed_token");

    // Bad base64url in each segment (padding, standard alphabet, whitespace, stray bits).
    CHECK(outcome(v, s.header + "=." + s.payload + "." + s.signature) == "malformed_token");
    CHECK(outcome(v, s.header + "." + s.payload + "." + s.signature + "=") == "malformed_token");
    CHECK(outcome(v, s.header + "." + s.payload + "+." + s.signature) == "malformed_token");
    CHECK(outcome(v, s.header + "." + s.payload + "." + s.signature.substr(1) + "/") ==
          "malformed_token");
    CHECK(outcome(v, " " + good) == "malformed_token");
    CHECK(outcome(v, good + "\n") == "malformed_token");
    CHECK(outcome(v, s.header + "." + s.payload + "." + s.signature + "AA") ==
          "malformed_token"); // len % 4 == 1

    // Header not a JSON object.
    CHECK(outcome(v, t::make_token("not json", payload, t::hs256_signer(secret))) ==
          "malformed_token");
    CHECK(outcome(v, t::make_token(R"(["HS256"])", payload, t::hs256_signer(secret))) ==
          "malformed_token");
    CHECK(outcome(v, t::make_token(R"("HS256")", payload, t::hs256_signer(secret))) ==
          "malformed_token");
    CHECK(outcome(v, t::make_token(R"({"alg":"HS256",})", payload, t::hs256_signer(secret))) ==
          "malformed_token");
    CHECK(outcome(v, t::make_token(R"({"alg":"HS256"} x)", payload, t::hs256_signer(secret))) ==
          "malformed_token");

    // Payload not a JSON object, though validly signed.
    CHECK(outcome(v, hs_token("not json")) == "malformed_token");
    CHECK(outcome(v, hs_token(R"(["sub","u"])")) == "malformed_token");
    CHECK(outcome(v, hs_token("")) == "malformed_token");
    CHECK(outcome(v, hs_token("{\"sub\":\"\xff\"}")) == "malformed_token"); // invalid UTF-8

    // typ must be JWT (any case); crit is never accepted.
    CHECK(outcome(v, hs_token(payload, R"({"alg":"HS256","typ":"jwt"})")) == "ok");
    CHECK(outcome(v, hs_token(payload, R"({"alg":"HS256","typ":"JOSE"})")) == "malformed_token");
    CHECK(outcome(v, hs_token(payload, R"({"alg":"HS256","typ":1})")) == "malformed_token");
    CHECK(outcome(v, hs_token(payload, R"({"alg":"HS256","crit":["exp"],"exp":1})")) ==
          "malformed_token");
    CHECK(outcome(v, hs_token(payload, R"({"alg":"HS256","crit":[]})")) == "malformed_token");
}

TEST_CASE("jwt_verifier: empty and oversized tokens", "[auth][jwt]")
{
    auto const v = make_verifier();
    CHECK(outcome(v, "") == "no_token");

    // Grow a padding claim until the token is just under, then just over, the limit.
    auto sized = [](std::size_t pad) {
        return hs_token(R"({"sub":"u","pad":")" + std::string(pad, 'x') + "\"}");
    };
    std::size_t pad = 0;
    while(sized(pad + 1).size() <= jwt_verifier::max_token_size)
        ++pad;
    auto const fits = sized(pad);
    auto const too_big = sized(pad + 1);
    REQUIRE(fits.size() <= jwt_verifier::max_token_size);
    REQUIRE(too_big.size() > jwt_verifier::max_token_size);
    CHECK(outcome(v, fits) == "ok");
    CHECK(outcome(v, too_big) == "malformed_token");
    CHECK(outcome(v, std::string(1 << 20, 'A')) == "malformed_token");
}

TEST_CASE("jwt_verifier: sub is required", "[auth][jwt]")
{
    auto const v = make_verifier();
    CHECK(outcome(v, hs_token(R"({"exp":1700003600})")) == "missing_subject");
    CHECK(outcome(v, hs_token(R"({"sub":""})")) == "missing_subject");
    CHECK(outcome(v, hs_token(R"({"sub":42})")) == "missing_subject");
    CHECK(outcome(v, hs_token(R"({"sub":null})")) == "missing_subject");
    CHECK(outcome(v, hs_token(R"({"sub":["u"]})")) == "missing_subject");
    CHECK(outcome(v, hs_token(R"({"sub":"a\nb"})")) == "missing_subject");
    CHECK(outcome(v, hs_token(R"({"sub":"a\u0000b"})")) == "missing_subject");
    CHECK(outcome(v, hs_token(R"({"sub":")" + std::string(129, 'u') + "\"}")) == "missing_subject");
    CHECK(outcome(v, hs_token(R"({"sub":")" + std::string(128, 'u') + "\"}")) == "ok");
    CHECK(outcome(v, hs_token(R"({"sub":"\u00e9l\u00e8ve"})")) == "ok"); // UTF-8 is fine
}

TEST_CASE("jwt_verifier: ES256 signature must be 64 raw bytes", "[auth][jwt]")
{
    auto const v = make_verifier();
    auto const good = t::make_token(es_header, payload, t::es256_signer(t::shared_ec_key()));
    auto const s = t::split(good);
    auto const raw = *base64url_decode(s.signature);
    REQUIRE(raw.size() == 64);
    auto with_sig = [&](std::string const& sig) {
        return s.header + "." + s.payload + "." + base64url_encode(sig);
    };

    CHECK(outcome(v, good) == "ok");
    CHECK(outcome(v, with_sig(raw.substr(0, 63))) == "bad_signature");
    CHECK(outcome(v, with_sig(raw + '\0')) == "bad_signature");
    CHECK(outcome(v, with_sig('\0' + raw)) == "bad_signature");
    CHECK(outcome(v, with_sig(raw.substr(32) + raw.substr(0, 32))) == "bad_signature"); // S||R
    // OpenSSL's DER encoding is the classic interop bug; JWS never accepts it.
    auto const der = t::es256_der(t::shared_ec_key(), s.header + "." + s.payload);
    CHECK(outcome(v, with_sig(der)) == "bad_signature");
}

TEST_CASE("jwt_verifier: create() reports bad configuration clearly", "[auth][jwt]")
{
    auto error_of = [](verifier_options o) {
        auto r = jwt_verifier::create(std::move(o));
        return r ? std::string() : r.error().message;
    };

    verifier_options bad_pem;
    bad_pem.keys.push_back({"main", jwt_alg::hs256, secret});
    bad_pem.keys.push_back({"partner", jwt_alg::rs256,
                            "-----BEGIN PUBLIC KEY-----\nnot base64!\n-----END PUBLIC KEY-----\n"});
    CHECK_THAT(error_of(bad_pem), Catch::StartsWith("auth key #2 (kid \"partner\", RS256): "));

    verifier_options none;
    CHECK_THAT(error_of(none), Catch::Contains("no verification keys"));

    auto negative = all_keys();
    negative.leeway = std::chrono::seconds(-1);
    CHECK_THAT(error_of(negative), Catch::Contains("leeway"));

    auto empty_iss = all_keys();
    empty_iss.issuer = "";
    CHECK_THAT(error_of(empty_iss), Catch::Contains("issuer"));

    auto empty_aud = all_keys();
    empty_aud.audience = "";
    CHECK_THAT(error_of(empty_aud), Catch::Contains("audience"));
}

TEST_CASE("jwt_verifier: RFC 7515 A.1 HS256 example verifies", "[auth][jwt]")
{
    // Key and token from RFC 7515 Appendix A.1 (an independent implementation's output). Its
    // payload has no `sub`, so a correct signature check lets it reach the claims stage:
    // missing_subject, not bad_signature.
    auto const k = *base64url_decode(
        "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow");
    std::string const token =
        "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
        ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
        ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    verifier_options o;
    o.keys.push_back({"", jwt_alg::hs256, k});
    auto const v = make_verifier(std::move(o));
    CHECK(outcome(v, token, 1300819000) == "missing_subject");
    CHECK(outcome(v, token, 1300819380 + 30) == "token_expired");
    // The last character "k" carries 4 signature bits: "o" changes them ("l" would set unused bits:
    // malformed).
    CHECK(outcome(v, token.substr(0, token.size() - 1) + "o", 1300819000) == "bad_signature");
    CHECK(outcome(v, token.substr(0, token.size() - 1) + "l", 1300819000) == "malformed_token");
}

TEST_CASE("jwt_verifier: tokens from another implementation (fixtures)", "[auth][jwt]")
{
    std::string const dir = TRADEPUSH_TEST_DATA_DIR "/jwt/";
    verifier_options o;
    o.keys.push_back(
        {"interop-es256", jwt_alg::es256, read_file(dir + "interop_es256_public_TEST_ONLY.pem")});
    o.keys.push_back(
        {"interop-rs256", jwt_alg::rs256, read_file(dir + "interop_rs256_public_TEST_ONLY.pem")});
    o.issuer = "tradepush-test";
    o.audience = "tradepush";
    auto const v = make_verifier(std::move(o));
    for(auto const* name : {"interop_es256.jwt", "interop_rs256.jwt"}) {
        CAPTURE(name);
        auto r = v.verify(trim(read_file(dir + name)), now);
        REQUIRE(r.has_value());
        CHECK(r->subject == "interop-user");
        CHECK(r->exp == 4102444800);
    }
}

TEST_CASE("jwt_verifier: verify(token) uses the system clock", "[auth][jwt]")
{
    auto const v = make_verifier();
    auto const wall = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
    auto claims_at = [](std::int64_t exp) {
        return R"({"sub":"u","exp":)" + std::to_string(exp) + "}";
    };
    CHECK(v.verify(hs_token(claims_at(wall + 3600))).has_value());
    CHECK(v.verify(hs_token(claims_at(wall - 3600))).error() == jwt_error::token_expired);
}

TEST_CASE("jwt_verifier: copies share keys and verify concurrently", "[auth][jwt]")
{
    auto const v = make_verifier();
    std::vector<std::pair<std::string, std::string>> const cases = {
        {hs_token(payload), "ok"},
        {t::make_token(rs_header, payload, t::rs256_signer(t::shared_rsa_key())), "ok"},
        {t::make_token(es_header, payload, t::es256_signer(t::shared_ec_key())), "ok"},
        {t::make_token(rs_header, payload, t::es256_signer(t::shared_ec_key())), "bad_signature"},
        {t::make_token(es_header, R"({"sub":"u","exp":1})", t::es256_signer(t::shared_ec_key())),
         "token_expired"},
        {t::make_token_with_signature(R"({"alg":"none"})", payload, ""), "unsupported_alg"},
    };
    std::atomic<int> mismatches{0};
    std::vector<std::thread> threads;
    for(int i = 0; i < 8; ++i) {
        threads.emplace_back([&, copy = v, i] {
            for(int n = 0; n < 60; ++n) {
                auto const& [token, expected] =
                    cases[static_cast<std::size_t>(i + n) % cases.size()];
                if(outcome(copy, token) != expected)
                    ++mismatches;
            }
        });
    }
    for(auto& th : threads)
        th.join();
    CHECK(mismatches == 0);
}

TEST_CASE("jwt_verifier: token policy (require_exp, max_lifetime, iat in the future)", "[auth][jwt][policy]")
{
    auto o = all_keys();
    o.require_exp = true;
    o.max_lifetime = std::chrono::hours(24);
    auto const strict = make_verifier(std::move(o));
    auto const lax = make_verifier();
    auto with = [](std::string const& claims) { return hs_token(R"({"sub":"u")" + claims + "}"); };
    constexpr std::int64_t day = 24 * 3600;

    // No exp: valid forever unless the policy requires one.
    CHECK(outcome(lax, with("")) == "ok");
    CHECK(outcome(strict, with("")) == "missing_exp");
    CHECK(outcome(strict, with(R"(,"iat":1700000000)")) == "missing_exp");

    // Lifetime from iat: exactly the maximum passes, one second more does not.
    auto const iat = std::to_string(now - 60);
    CHECK(outcome(strict, with(R"(,"iat":)" + iat + R"(,"exp":)" + std::to_string(now - 60 + day))) == "ok");
    CHECK(outcome(strict, with(R"(,"iat":)" + iat + R"(,"exp":)" + std::to_string(now - 60 + day + 1))) ==
        "token_lifetime_too_long");
    // Without iat, from now.
    CHECK(outcome(strict, with(R"(,"exp":)" + std::to_string(now + day))) == "ok");
    CHECK(outcome(strict, with(R"(,"exp":)" + std::to_string(now + day + 1))) == "token_lifetime_too_long");
    // A backdated iat does not buy a longer life, and the far future saturates instead of wrapping.
    CHECK(outcome(strict, with(R"(,"iat":1,"exp":)" + std::to_string(now + 60))) == "token_lifetime_too_long");
    CHECK(outcome(strict, with(R"(,"exp":9223372036854775807)")) == "token_lifetime_too_long");
    CHECK(outcome(lax, with(R"(,"exp":9223372036854775807)")) == "ok");

    // iat in the future: tolerated within the leeway (30 s), refused beyond it, whatever the policy.
    CHECK(outcome(strict, with(R"(,"iat":)" + std::to_string(now + 30) + R"(,"exp":)" + std::to_string(now + 3600))) ==
        "ok");
    CHECK(outcome(strict, with(R"(,"iat":)" + std::to_string(now + 31) + R"(,"exp":)" + std::to_string(now + 3600))) ==
        "token_issued_in_future");
    CHECK(outcome(lax, with(R"(,"iat":9223372036854775807)")) == "token_issued_in_future");

    auto bad = all_keys();
    bad.max_lifetime = std::chrono::seconds(-1);
    CHECK_FALSE(jwt_verifier::create(std::move(bad)).has_value());
}
