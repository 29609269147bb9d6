// Configuration: defaults, URL overrides, validation messages.
#include "config.hpp"

#include "decimal.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>

using namespace tradepush::bybit;
using std::chrono::milliseconds;

namespace {

std::string
error_of(std::string_view json)
{
    try {
        parse_config(json);
    } catch(std::invalid_argument const& e) {
        return e.what();
    }
    return "(accepted)";
}

} // namespace

TEST_CASE("defaults: Bybit's URLs per network")
{
    auto const c = parse_config("");
    CHECK(c.urls_of(network::mainnet).rest == "https://api.bybit.com");
    CHECK(c.urls_of(network::mainnet).ws_private == "wss://stream.bybit.com/v5/private");
    CHECK(c.urls_of(network::testnet).rest == "https://api-testnet.bybit.com");
    CHECK(c.urls_of(network::testnet).ws_public_linear == "wss://stream-testnet.bybit.com/v5/public/linear");
    CHECK(c.urls_of(network::demo).rest == "https://api-demo.bybit.com");
    CHECK(c.urls_of(network::demo).ws_private == "wss://stream-demo.bybit.com/v5/private");
    CHECK(c.urls_of(network::demo).ws_public_spot == "wss://stream.bybit.com/v5/public/spot");
    CHECK(c.recv_window == milliseconds(5000));
    CHECK(c.ping_interval == milliseconds(20000));
    CHECK(c.settle_coins == std::vector<std::string>{"USDT"});
    CHECK_FALSE(c.allow_insecure_loopback);
    CHECK(parse_config("{}").urls_of(network::mainnet).rest == "https://api.bybit.com");
}

TEST_CASE("overrides: top-level URLs for all networks, network_urls per network")
{
    auto const c = parse_config(R"({
        "allow_insecure_loopback": true,
        "rest_url": "http://127.0.0.1:18080/",
        "ws_public_linear_url": "ws://127.0.0.1:18080/v5/public/linear",
        "ws_public_spot_url": "ws://127.0.0.1:18080/v5/public/spot",
        "ws_private_url": "ws://127.0.0.1:18080/v5/private",
        "network_urls": {"demo": {"rest_url": "https://demo.example"}},
        "recv_window_ms": 10000, "reconcile_interval_ms": 0, "ping_interval_ms": 1000, "pong_timeout_ms": 500,
        "backoff_initial_ms": 10, "backoff_max_ms": 100, "backoff_jitter": 0, "jitter_seed": 5,
        "settle_coins": ["USDT", "USDC"], "ticker_categories": ["linear"], "ticker_network": "testnet"
    })");
    CHECK(c.urls_of(network::mainnet).rest == "http://127.0.0.1:18080");
    CHECK(c.urls_of(network::testnet).ws_private == "ws://127.0.0.1:18080/v5/private");
    CHECK(c.urls_of(network::demo).rest == "https://demo.example");
    CHECK(c.urls_of(network::demo).ws_private == "ws://127.0.0.1:18080/v5/private");
    CHECK(c.recv_window == milliseconds(10000));
    CHECK(c.reconcile_interval == milliseconds(0));
    CHECK(c.backoff.max == milliseconds(100));
    CHECK(*c.jitter_seed == 5);
    CHECK(c.settle_coins.size() == 2);
    CHECK(c.ticker_network == network::testnet);
}

TEST_CASE("bad configs are refused with the key named")
{
    CHECK(error_of("[1]") == "bybit config: (config): must be a JSON object");
    CHECK(error_of("{nope").find("not valid JSON") != std::string::npos);
    CHECK(error_of(R"({"bogus": 1})") == "bybit config: bogus: unknown key");
    CHECK(error_of(R"({"rest_url": "http://127.0.0.1:1"})").find("allow_insecure_loopback") != std::string::npos);
    CHECK(error_of(R"({"allow_insecure_loopback": true, "rest_url": "http://example.com"})").find("loopback")
        != std::string::npos);
    CHECK(error_of(R"({"rest_url": "ftp://x"})") == "bybit config: rest_url: must start with https://");
    CHECK(error_of(R"({"ws_private_url": "https://x"})") == "bybit config: ws_private_url: must start with wss://");
    CHECK(error_of(R"({"rest_url": "https://x/?a=1"})").find("no query") != std::string::npos);
    CHECK(error_of(R"({"recv_window_ms": 0})") == "bybit config: recv_window_ms: must be in 100..120000");
    CHECK(error_of(R"({"recv_window_ms": "5000"})").find("integer") != std::string::npos);
    CHECK(error_of(R"({"backoff_initial_ms": 100, "backoff_max_ms": 50})").find("backoff_max_ms") != std::string::npos);
    CHECK(error_of(R"({"backoff_jitter": 2})").find("backoff_jitter") != std::string::npos);
    CHECK(error_of(R"({"network_urls": {"moon": {}}})").find("unknown network") != std::string::npos);
    CHECK(error_of(R"({"network_urls": {"demo": {"x": 1}}})") == "bybit config: network_urls.demo.x: unknown key");
    CHECK(error_of(R"({"settle_coins": []})").find("non-empty") != std::string::npos);
    CHECK(error_of(R"({"settle_coins": ["usdt"]})").find("upper-case") != std::string::npos);
    CHECK(error_of(R"({"ticker_categories": ["option"]})").find("not supported") != std::string::npos);
    CHECK(error_of(R"({"ticker_network": "moon"})").find("ticker_network") != std::string::npos);
    CHECK(error_of(R"({"ping_interval_ms": 1000, "pong_timeout_ms": 5000})").find("pong_timeout_ms")
        != std::string::npos);
}

TEST_CASE("symbols and decimals")
{
    CHECK(is_valid_symbol("BTCUSDT"));
    CHECK(is_valid_symbol("ETH-30DEC22-1400-C"));
    CHECK_FALSE(is_valid_symbol("btcusdt"));
    CHECK_FALSE(is_valid_symbol("B"));
    CHECK_FALSE(is_valid_symbol("BTC/USDT"));

    CHECK(is_plain_decimal("0"));
    CHECK(is_plain_decimal("-0.00000973"));
    CHECK(is_plain_decimal("1600.00"));
    CHECK_FALSE(is_plain_decimal(""));
    CHECK_FALSE(is_plain_decimal("01"));
    CHECK_FALSE(is_plain_decimal(".5"));
    CHECK_FALSE(is_plain_decimal("1."));
    CHECK_FALSE(is_plain_decimal("1e5"));
    CHECK_FALSE(is_plain_decimal("+1"));
    CHECK_FALSE(is_plain_decimal("-"));
    CHECK(*parse_decimal("27464.50441675") == 27464.50441675);
    CHECK_FALSE(parse_decimal("abc"));
    CHECK(format_number(0.1 + 0.2) == "0.30000000000000004");
    CHECK(format_number(-0.0) == "0");
    CHECK(format_number(61000) == "61000");
}
