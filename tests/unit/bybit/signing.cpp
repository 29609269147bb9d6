// Signing: the spec's test vectors (bybit-v5.md §2) through our string builders and the test HMAC.
#include "signing.hpp"

#include "rest_request.hpp"
#include "sha256.hpp"

#include <catch2/catch.hpp>

using namespace tradepush::bybit;

namespace {

std::string
sign(std::string_view payload)
{
    return to_hex(test::hmac_sha256("test_secret", rest_sign_payload(1700000000000, "test_api_key", 5000, payload)));
}

} // namespace

TEST_CASE("test HMAC matches RFC 4231 case 2")
{
    CHECK(to_hex(test::hmac_sha256("Jefe", "what do ya want for nothing?"))
        == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("REST signatures match the spec's test vectors")
{
    CHECK(rest_sign_payload(1700000000000, "test_api_key", 5000, "category=linear&symbol=BTCUSDT")
        == "1700000000000test_api_key5000category=linear&symbol=BTCUSDT");
    CHECK(sign("category=linear&symbol=BTCUSDT") == "fd4f31228a46109dc6673062328693696df9a96c7ff04e6491a45e7f63a0fdd7");
    CHECK(sign(R"({"category": "linear", "symbol": "BTCUSDT", "orderLinkId": "test-order-1"})")
        == "2df4a0603d69c08d5dea29ba85b46eb7db64ce9e9ebd34a7802a3d69700cb2a1");
    CHECK(sign("symbol=BTCUSDT&category=linear") == "aec43a91b184bc4c5466b1c4badb2742d2dc790885d0b22079f0015acca40073");
    CHECK(sign("") == "cfffd774219bfa1d400476f699f830daaedcd3c41faa1dbdda95a8f4dd8170cc");
    CHECK(sign("accountType=UNIFIED") == "79f4e0d1d51812c554fdb1c0dfdb83dc9c9e0be0c62bf52e83a7340456548595");
    CHECK(sign("category=linear&settleCoin=USDT") == "5b35ba3946eb5079fde98096f73579bf753a7dc9fafc35f19df8f5bea9f2db36");
    CHECK(sign("settleCoin=USDT&category=linear") == "dc80185de1f0f0a9f19aa75215e98ff305c0d503f334cbfb46ecf6a31cbb5c6a");
}

TEST_CASE("WebSocket auth signature matches the spec's vector")
{
    CHECK(ws_sign_payload(1700000000000) == "GET/realtime1700000000000");
    auto const sig = to_hex(test::hmac_sha256("test_secret", ws_sign_payload(1700000000000)));
    CHECK(sig == "bacffe7500499eb829bb58c45d36d1b3e5ac67c14eaeba91df5e99ccee013925");
    CHECK(ws_auth_message("test_api_key", 1700000000000, sig)
        == R"({"op":"auth","args":["test_api_key",1700000000000,"bacffe7500499eb829bb58c45d36d1b3e5ac67c14eaeba91df5e99ccee013925"]})");
}

TEST_CASE("signed request headers")
{
    auto const h = rest_auth_headers("k", 1700000000000, 5000, "abc");
    REQUIRE(h.size() == 4);
    CHECK(h[0] == std::pair<std::string, std::string>{"X-BAPI-API-KEY", "k"});
    CHECK(h[1] == std::pair<std::string, std::string>{"X-BAPI-TIMESTAMP", "1700000000000"});
    CHECK(h[2] == std::pair<std::string, std::string>{"X-BAPI-RECV-WINDOW", "5000"});
    CHECK(h[3] == std::pair<std::string, std::string>{"X-BAPI-SIGN", "abc"});
}

TEST_CASE("query strings are built in a fixed order, exactly as signed")
{
    CHECK(wallet_balance_call().query == "accountType=UNIFIED");
    CHECK(wallet_balance_call().url("https://api.bybit.com")
        == "https://api.bybit.com/v5/account/wallet-balance?accountType=UNIFIED");
    CHECK(position_list_call("USDT").query == "category=linear&settleCoin=USDT&limit=200");
    CHECK(open_orders_call("USDC").query == "category=linear&settleCoin=USDC&limit=50");
    CHECK(market_time_call().url("http://127.0.0.1:9") == "http://127.0.0.1:9/v5/market/time");
    CHECK_FALSE(market_time_call().is_private);

    // Bybit's cursors arrive percent-encoded and go back byte-identical (spec §2, cursor sign bugs).
    auto const cursor = "page_args%3Dfd4300ae-7847-404e-b947-b46980a4d140%26symbol%3D6%26";
    CHECK(open_orders_call("USDT", cursor).query
        == "category=linear&settleCoin=USDT&limit=50&cursor=page_args%3Dfd4300ae-7847-404e-b947-b46980a4d140%26symbol%3D6%26");

    CHECK(percent_encode("a b&c=d,e~f") == "a%20b%26c%3Dd%2Ce~f");
    CHECK(query{}.add("coin", "USDT,USDC").str() == "coin=USDT%2CUSDC");
}
