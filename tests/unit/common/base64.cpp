// Test that header file is self-contained.
#include "common/base64.hpp"

#include <catch2/catch.hpp>

#include <random>

using tradepush::base64url_decode;
using tradepush::base64url_encode;

TEST_CASE("base64url: RFC 4648 test vectors, unpadded", "[common][base64url]")
{
    std::pair<char const*, char const*> const vectors[] = {
        {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
        {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
    };
    for(auto const& [plain, encoded] : vectors) {
        CAPTURE(plain);
        CHECK(base64url_encode(plain) == encoded);
        auto const decoded = base64url_decode(encoded);
        REQUIRE(decoded);
        CHECK(*decoded == plain);
    }
}

TEST_CASE("base64url: uses - and _ instead of + and /", "[common][base64url]")
{
    std::string const bytes = "\xfb\xff\xbf";
    CHECK(base64url_encode(bytes) == "-_-_");
    auto const decoded = base64url_decode("-_-_");
    REQUIRE(decoded);
    CHECK(*decoded == bytes);
}

TEST_CASE("base64url: refuses characters outside the alphabet", "[common][base64url]")
{
    // Standard-base64 characters, padding, whitespace, dots and NUL are all refused.
    char const* const bad[] = {"+_-_",  "-/-_",  "Zg==", "Zg=",     "Zm9v\n",
                               " Zm9v", "Zm 9v", "Zm.v", "Zm9\x80", "Z\xc3\xa9v"};
    for(auto const* text : bad) {
        CAPTURE(text);
        CHECK_FALSE(base64url_decode(text));
    }
    CHECK_FALSE(base64url_decode(std::string_view("Zm9\0", 4)));
}

TEST_CASE("base64url: refuses impossible lengths and non-canonical tails", "[common][base64url]")
{
    // len % 4 == 1 encodes no whole byte.
    CHECK_FALSE(base64url_decode("Z"));
    CHECK_FALSE(base64url_decode("Zm9vY"));
    // "Zg" is canonical for "f"; "Zh" differs only in the unused low bits and must be refused so
    // that a signature has exactly one valid spelling.
    CHECK(base64url_decode("Zg"));
    CHECK_FALSE(base64url_decode("Zh"));
    CHECK(base64url_decode("Zm8"));
    CHECK_FALSE(base64url_decode("Zm9"));
    // Empty input is the empty string.
    auto const empty = base64url_decode("");
    REQUIRE(empty);
    CHECK(empty->empty());
}

TEST_CASE("base64url: round-trips every byte value and many lengths", "[common][base64url]")
{
    std::string all;
    for(int i = 0; i < 256; ++i)
        all.push_back(static_cast<char>(i));
    CHECK(base64url_decode(base64url_encode(all)) == all);

    std::mt19937 rng(12345);
    for(std::size_t len = 0; len < 200; ++len) {
        std::string bytes(len, '\0');
        for(auto& c : bytes)
            c = static_cast<char>(rng() & 0xFF);
        auto const text = base64url_encode(bytes);
        CHECK(text.find_first_of("+/=") == std::string::npos);
        CHECK(base64url_decode(text) == bytes);
    }
}

using namespace tradepush;

TEST_CASE("base64 round trips every length and byte value", "[base64]")
{
    std::string all;
    for(int i = 0; i < 256; ++i)
        all += static_cast<char>(i);
    for(std::size_t n = 0; n <= all.size(); ++n) {
        auto enc = base64_encode(all.substr(0, n));
        CHECK(enc.size() % 4 == 0);
        auto dec = base64_decode(enc);
        REQUIRE(dec);
        CHECK(*dec == all.substr(0, n));
    }
}

TEST_CASE("base64 known vectors and refusals", "[base64]")
{
    CHECK(base64_encode(std::string("\x01\x02\x03\x04", 4)) == "AQIDBA==");
    CHECK(base64_decode("AQIDBA==") == std::string("\x01\x02\x03\x04", 4));
    CHECK(base64_decode("AQIDBA") == std::string("\x01\x02\x03\x04", 4));
    CHECK_FALSE(base64_decode("AQ$D"));
    CHECK_FALSE(base64_decode("A"));
}
