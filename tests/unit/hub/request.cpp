// Test that header file is self-contained.
#include "hub/request.hpp"

#include <boost/json.hpp>

#include <catch2/catch.hpp>

namespace json = boost::json;
using namespace tradepush;
using hub::parse_ticker_request;
using hub::parse_trading_request;

namespace {

std::string
trading_error(char const* args, bool required = true)
{
    auto r = parse_trading_request(json::parse(args), required);
    return r ? std::string("ok") : r.error->code;
}

std::string
ticker_error(char const* args, std::size_t max = 3)
{
    auto r = parse_ticker_request(json::parse(args), max);
    return r ? std::string("ok") : r.error->code;
}

} // namespace

TEST_CASE("parse_trading_request accepts known types, drops duplicates, keeps order")
{
    auto r = parse_trading_request(json::parse(R"({"types":["orders","balance","orders"],"account":"alt"})"), true);
    REQUIRE(r);
    CHECK(r.value.list == std::vector<feed::stream_type>{feed::stream_type::orders, feed::stream_type::balance});
    CHECK(r.value.types == ((1u << 3) | 1u));
    CHECK(r.value.account == "alt");
}

TEST_CASE("parse_trading_request rejects bad arguments with the right code")
{
    CHECK(trading_error("[]") == "invalid_args");
    CHECK(trading_error("null") == "invalid_args");
    CHECK(trading_error("{}") == "invalid_args");
    CHECK(trading_error(R"({"types":[]})") == "invalid_args");
    CHECK(trading_error(R"({"types":"balance"})") == "invalid_args");
    CHECK(trading_error(R"({"types":["balance","positions","pnl","orders","balance"]})") == "invalid_args");
    CHECK(trading_error(R"({"types":["balance","candles"]})") == "invalid_type");
    CHECK(trading_error(R"({"types":[1]})") == "invalid_type");
    CHECK(trading_error(R"({"types":["balance"],"account":7})") == "invalid_args");
}

TEST_CASE("parse_trading_request for unsubscribe: no types means all")
{
    auto r = parse_trading_request(json::value(), false);
    REQUIRE(r);
    CHECK(r.value.types == 0xFu);
    CHECK(r.value.list.size() == 4);
    CHECK(trading_error("{}", false) == "ok");
    CHECK(trading_error(R"({"types":["pnl"]})", false) == "ok");
    CHECK(trading_error(R"({"types":["x"]})", false) == "invalid_type");
}

TEST_CASE("parse_ticker_request validates symbols, exchange and category")
{
    auto r = parse_ticker_request(json::parse(R"({"symbols":["BTCUSDT","ETHUSDT","BTCUSDT"],"category":"spot"})"), 3);
    REQUIRE(r);
    CHECK(r.value.symbols == std::vector<std::string>{"BTCUSDT", "ETHUSDT"});
    CHECK(r.value.category == "spot");
    CHECK_FALSE(r.value.exchange);

    CHECK(ticker_error(R"({"symbols":[]})") == "invalid_args");
    CHECK(ticker_error(R"({})") == "invalid_args");
    CHECK(ticker_error(R"("BTCUSDT")") == "invalid_args");
    CHECK(ticker_error(R"({"symbols":["A","B","C","D"]})") == "invalid_args");
    CHECK(ticker_error(R"({"symbols":["btcusdt"]})") == "invalid_symbol");
    CHECK(ticker_error(R"({"symbols":["BTC-USDT"]})") == "invalid_symbol");
    CHECK(ticker_error(R"({"symbols":[""]})") == "invalid_symbol");
    CHECK(ticker_error(R"({"symbols":["AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"]})") == "invalid_symbol"); // 33
    CHECK(ticker_error(R"({"symbols":["AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"]})") == "ok");                // 32
    CHECK(ticker_error(R"({"symbols":[5]})") == "invalid_symbol");
    CHECK(ticker_error(R"({"symbols":["BTCUSDT"],"category":"futures"})") == "invalid_args");
    CHECK(ticker_error(R"({"symbols":["BTCUSDT"],"exchange":1})") == "invalid_args");
}

TEST_CASE("ack builders produce the protocol's shapes")
{
    CHECK(json::value(hub::ack_error("no_account", "m")) ==
        json::parse(R"({"ok":false,"error":{"code":"no_account","message":"m"}})"));
    CHECK(json::value(hub::ack_trading({feed::stream_type::balance, feed::stream_type::pnl}, "main")) ==
        json::parse(R"({"ok":true,"types":["balance","pnl"],"account":"main"})"));
    CHECK(json::value(hub::ack_trading({feed::stream_type::orders}, "")) == json::parse(R"({"ok":true,"types":["orders"]})"));
    CHECK(json::value(hub::ack_ticker({"BTCUSDT"}, "bybit", "linear")) ==
        json::parse(R"({"ok":true,"symbols":["BTCUSDT"],"exchange":"bybit","category":"linear"})"));
}
