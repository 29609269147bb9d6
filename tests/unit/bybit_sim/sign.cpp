// Test that header file is self-contained.
#include "sign.hpp"

#include <catch2/catch.hpp>

using namespace tradepush::bybit_sim;

// Vectors from specs/bybit-v5.md §2 (secret test_secret, key test_api_key, ts 1700000000000, recv 5000).
TEST_CASE("signing: spec test vectors", "[sign]")
{
    struct vec {
        char const* payload;
        char const* sign;
    };
    vec const vectors[] = {
        {"category=linear&symbol=BTCUSDT", "fd4f31228a46109dc6673062328693696df9a96c7ff04e6491a45e7f63a0fdd7"},
        {R"({"category": "linear", "symbol": "BTCUSDT", "orderLinkId": "test-order-1"})",
            "2df4a0603d69c08d5dea29ba85b46eb7db64ce9e9ebd34a7802a3d69700cb2a1"},
        {"symbol=BTCUSDT&category=linear", "aec43a91b184bc4c5466b1c4badb2742d2dc790885d0b22079f0015acca40073"},
        {"", "cfffd774219bfa1d400476f699f830daaedcd3c41faa1dbdda95a8f4dd8170cc"},
        {"accountType=UNIFIED", "79f4e0d1d51812c554fdb1c0dfdb83dc9c9e0be0c62bf52e83a7340456548595"},
        {"category=linear&settleCoin=USDT", "5b35ba3946eb5079fde98096f73579bf753a7dc9fafc35f19df8f5bea9f2db36"},
        {"settleCoin=USDT&category=linear", "dc80185de1f0f0a9f19aa75215e98ff305c0d503f334cbfb46ecf6a31cbb5c6a"},
    };
    for (auto const& v : vectors) {
        INFO(v.payload);
        CHECK(rest_signature("test_secret", "1700000000000", "test_api_key", "5000", v.payload) == v.sign);
    }
    CHECK(ws_signature("test_secret", 1700000000000) ==
        "bacffe7500499eb829bb58c45d36d1b3e5ac67c14eaeba91df5e99ccee013925");
}

TEST_CASE("signing: origin string and comparison", "[sign]")
{
    CHECK(rest_sign_origin("1", "k", "5000", "a=b") == "1k5000a=b");
    CHECK(rest_sign_origin("1", "k", "", "") == "1k");
    CHECK(signature_equal("abc", "abc"));
    CHECK_FALSE(signature_equal("abc", "abd"));
    CHECK_FALSE(signature_equal("abc", "ab"));
}
