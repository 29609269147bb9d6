// The load generator's HS256 JWTs: RFC 7515 base64url and a signature any verifier accepts.

#include "loadgen/jwt.hpp"

#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>

using namespace tradepush::bench;

namespace {

std::string
decode_part(std::string s)
{
    // base64url -> base64 with padding, then the standard decoder.
    for(auto& c : s)
        c = c == '-' ? '+' : c == '_' ? '/' : c;
    while(s.size() % 4)
        s += '=';
    std::string out(s.size(), '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<unsigned char const*>(s.data()), static_cast<int>(s.size()));
    REQUIRE(n >= 0);
    auto pad = std::count(s.end() - 2, s.end(), '=');
    out.resize(static_cast<std::size_t>(n) - static_cast<std::size_t>(pad));
    return out;
}

} // namespace

TEST_CASE("base64url: RFC 4648 vectors without padding, URL alphabet")
{
    CHECK(base64url("") == "");
    CHECK(base64url("f") == "Zg");
    CHECK(base64url("fo") == "Zm8");
    CHECK(base64url("foo") == "Zm9v");
    CHECK(base64url("foob") == "Zm9vYg");
    CHECK(base64url("fooba") == "Zm9vYmE");
    CHECK(base64url("foobar") == "Zm9vYmFy");
    CHECK(base64url("\xfb\xff") == "-_8");
}

TEST_CASE("mint_hs256: header, claims and an HMAC-SHA256 signature over header.claims")
{
    std::string const secret = "bench-secret-0123456789abcdef0123456789";
    auto const token = mint_hs256(secret, "u42", 1700000000);
    auto const dot1 = token.find('.');
    auto const dot2 = token.find('.', dot1 + 1);
    REQUIRE(dot1 != std::string::npos);
    REQUIRE(dot2 != std::string::npos);
    CHECK(decode_part(token.substr(0, dot1)) == R"({"alg":"HS256","typ":"JWT"})");
    CHECK(decode_part(token.substr(dot1 + 1, dot2 - dot1 - 1)) == R"({"sub":"u42","exp":1700000000})");

    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    auto const signing_input = token.substr(0, dot2);
    REQUIRE(HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
                 reinterpret_cast<unsigned char const*>(signing_input.data()), signing_input.size(), mac, &len));
    CHECK(token.substr(dot2 + 1) == base64url(std::string_view(reinterpret_cast<char const*>(mac), len)));
    CHECK(mint_hs256("another-secret-0123456789abcdef012345", "u42", 1700000000) != token);
}
