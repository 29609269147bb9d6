// Test that header file is self-contained.
#include "hub/wire.hpp"

#include "hub/stream.hpp"

#include <boost/json.hpp>

#include <catch2/catch.hpp>

namespace json = boost::json;
using namespace tradepush;

TEST_CASE("append_json writes compact JSON with readable numbers")
{
    auto v = json::parse(R"({"a":65012.35,"b":0.001,"c":3.0,"d":-7,"e":18446744073709551615,"f":[true,false,null],"g":"x"})");
    auto const s = hub::to_json(v);
    CHECK(s == R"({"a":65012.35,"b":0.001,"c":3,"d":-7,"e":18446744073709551615,"f":[true,false,null],"g":"x"})");
    // Whatever we write parses back to the same value.
    CHECK(json::parse(s) == json::parse(R"({"a":65012.35,"b":0.001,"c":3,"d":-7,"e":18446744073709551615,"f":[true,false,null],"g":"x"})"));
}

TEST_CASE("append_json escapes strings and keys")
{
    json::object o;
    o["k\"ey"] = std::string("a\\b\n\t\x01\xc3\xa9");
    auto const s = hub::to_json(o);
    CHECK(s == "{\"k\\\"ey\":\"a\\\\b\\n\\t\\u0001\xc3\xa9\"}");
    CHECK(json::parse(s) == json::value(o));
}

TEST_CASE("append_json turns non-finite doubles into null")
{
    json::value v = json::array{std::numeric_limits<double>::infinity(), std::nan("")};
    CHECK(hub::to_json(v) == "[null,null]");
}

TEST_CASE("make_event builds a Socket.IO EVENT packet")
{
    auto m = hub::make_event("balance", R"({"x":1})");
    CHECK(m->payload() == R"(42["balance",{"x":1}])");
    CHECK_FALSE(m->is_binary());
}

TEST_CASE("stream envelopes and status events have the protocol's shape")
{
    hub::stream acct(5, feed::stream_type::positions, "bybit", "main");
    acct.seq = 17;
    auto m = acct.make_data(R"({"positions":[]})", 1732400000123);
    CHECK(m->payload() ==
        R"(42["positions",{"exchange":"bybit","account":"main","seq":17,"ts":1732400000123,"data":{"positions":[]}}])");
    CHECK(acct.data_key == 5);
    CHECK(acct.status_key() == 6);

    auto st = acct.make_status(feed::stream_state::error, "exchange_auth_failed", "bad \"key\"");
    CHECK(st->payload() ==
        R"(42["stream_status",{"stream":"positions","exchange":"bybit","account":"main","state":"error","code":"exchange_auth_failed","message":"bad \"key\""}])");

    hub::stream tick(7, "bybit", "linear", "BTCUSDT");
    tick.seq = 2;
    CHECK(tick.is_ticker());
    CHECK(tick.make_data(R"({"last_price":1})", 5)->payload() ==
        R"(42["ticker",{"exchange":"bybit","category":"linear","symbol":"BTCUSDT","seq":2,"ts":5,"data":{"last_price":1}}])");
    CHECK(tick.make_status(feed::stream_state::stale, "", "")->payload() ==
        R"(42["stream_status",{"stream":"ticker","exchange":"bybit","category":"linear","symbol":"BTCUSDT","state":"stale","code":"","message":""}])");
}
