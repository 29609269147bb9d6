// Test that header file is self-contained.
#include "engineio/base64.hpp"

#include <catch2/catch.hpp>

using namespace tradepush::engineio;

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
