// DESIGN §4 invariant 1: snapshot on subscribe, and acks before data.

#include "hub_test_support.hpp"

using namespace tradepush;
using namespace tradepush::test;
using feed::stream_type;

TEST_CASE("subscribe_trading: ack, then the fetched snapshot in the protocol envelope")
{
    manual_harness t;
    REQUIRE(t.attach(1, "alice"));
    auto ack = t.sub_trading(1, trading_args({"balance", "positions"}));
    CHECK(json::value(ack) == json::parse(R"({"ok":true,"types":["balance","positions"],"account":"main"})"));

    auto open = t.provider.last("open_account");
    CHECK(open.user == "alice");
    CHECK(open.account == "main");
    CHECK(open.types == (balance_bit | positions_bit));

    t.provider.sink->on_account_data("alice", "main", stream_type::balance, balance(100.5), open.epoch);
    auto got = t.got(1);
    REQUIRE(got.size() == 2);
    CHECK(got[0].event == "#ack");
    CHECK(got[1].event == "balance");
    auto const& body = got[1].body.as_object();
    CHECK(body.at("exchange") == "bybit");
    CHECK(body.at("account") == "main");
    CHECK(body.at("seq").to_number<std::uint64_t>() == 1);
    CHECK(body.at("ts").is_number());
    CHECK(same_json(body.at("data"), balance(100.5)));
    CHECK(body.size() == 5);
}

TEST_CASE("a second device subscribing to an unchanged stream gets the cached snapshot at once")
{
    manual_harness t;
    REQUIRE(t.attach(1, "alice", 0));
    REQUIRE(t.attach(2, "alice", 1));
    t.sub_trading(1, trading_args({"balance"}));
    auto const epoch = t.provider.last("open_account").epoch;
    t.provider.sink->on_account_data("alice", "main", stream_type::balance, balance(1), epoch);
    auto const calls_before = t.provider.calls.size();

    t.sub_trading(2, trading_args({"balance"}));
    // The upstream session is shared: no reset, no new session, no new fetch ...
    CHECK(t.provider.calls.size() == calls_before);
    // ... and the second device is served from the cache right after its ack.
    auto got = t.got(2);
    REQUIRE(got.size() == 2);
    CHECK(got[0].event == "#ack");
    CHECK(got[1].event == "balance");
    CHECK(same_json(got[1].body.at("data"), balance(1)));
    CHECK(got[1].body.at("seq").to_number<std::uint64_t>() == 1);
    CHECK(got[1].msg.get() == t.got(1, "balance")[0].msg.get()); // the cached packet, not a rebuild
}

TEST_CASE("resubscribe after the previous connection left gets a fresh snapshot even when data is identical")
{
    // The original Python bug: `[balance] user 4 changed: False ... skip` forever after an app restart.
    manual_harness t;
    REQUIRE(t.attach(1, "alice"));
    t.sub_trading(1, trading_args({"balance"}));
    t.provider.sink->on_account_data("alice", "main", stream_type::balance, balance(42), t.provider.last("open_account").epoch);
    REQUIRE(t.got(1, "balance").size() == 1);
    t.detach(1);

    REQUIRE(t.attach(2, "alice"));
    t.sub_trading(2, trading_args({"balance"}));
    t.provider.sink->on_account_data("alice", "main", stream_type::balance, balance(42), t.provider.last("open_account").epoch);
    auto got = t.got(2, "balance");
    REQUIRE(got.size() == 1);
    CHECK(same_json(got[0].body.at("data"), balance(42)));
}

TEST_CASE("resubscribe on the same connection gets a fresh snapshot even when data is identical")
{
    manual_harness t;
    REQUIRE(t.attach(1, "alice"));
    t.sub_trading(1, trading_args({"balance"}));
    t.provider.sink->on_account_data("alice", "main", stream_type::balance, balance(42), t.provider.last("open_account").epoch);
    t.sub_trading(1, trading_args({"balance"}));
    t.provider.sink->on_account_data("alice", "main", stream_type::balance, balance(42), t.provider.last("open_account").epoch);
    auto got = t.got(1);
    REQUIRE(got.size() == 4);
    CHECK(got[0].event == "#ack");
    CHECK(got[1].event == "balance");
    CHECK(got[2].event == "#ack");
    CHECK(got[3].event == "balance");
    CHECK(same_json(got[3].body.at("data"), balance(42)));
}

TEST_CASE("a subscriber that joins while the first snapshot is in flight shares the fetch and gets it")
{
    manual_harness t;
    REQUIRE(t.attach(1, "alice", 0));
    REQUIRE(t.attach(2, "alice", 1));
    t.sub_trading(1, trading_args({"balance"}));
    t.sub_trading(2, trading_args({"balance"}));
    // One open, no second request for the same stream.
    CHECK(t.provider.count("open_account") == 1);
    CHECK(t.provider.count("request_snapshot") == 0);
    t.provider.sink->on_account_data("alice", "main", stream_type::balance, balance(3), t.provider.last("open_account").epoch);
    CHECK(t.got(1, "balance").size() == 1);
    CHECK(t.got(2, "balance").size() == 1);
}

TEST_CASE("a type the shared session lacks is fetched with request_snapshot for the new device")
{
    manual_harness t;
    REQUIRE(t.attach(1, "alice", 0));
    REQUIRE(t.attach(2, "alice", 1));
    t.sub_trading(1, trading_args({"balance"}));
    auto const epoch = t.provider.last("open_account").epoch;
    t.sub_trading(2, trading_args({"balance", "orders"}));
    REQUIRE(t.provider.count("request_snapshot") == 1);
    auto req = t.provider.last("request_snapshot");
    CHECK(req.types == orders_bit);
    CHECK(req.epoch == epoch);
    t.provider.sink->on_account_data("alice", "main", stream_type::orders, json::parse(R"({"orders":[]})"), epoch);
    CHECK(t.got(2, "orders").size() == 1);
    CHECK(t.got(1, "orders").empty()); // device 1 did not ask for orders
}

TEST_CASE("the ack precedes the first data on every path")
{
    manual_harness t;
    REQUIRE(t.attach(1, "alice", 0));
    REQUIRE(t.attach(2, "alice", 0));
    t.sub_trading(1, trading_args({"balance"}));
    t.provider.sink->on_account_data("alice", "main", stream_type::balance, balance(1), t.provider.last("open_account").epoch);
    // Cached path: data is delivered inside the same control-strand turn as the ack.
    t.sub_trading(2, trading_args({"balance"}));
    // Ticker path with cached data.
    t.sub_ticker(1, ticker_args({"BTCUSDT"}));
    t.provider.sink->on_ticker("bybit", "linear", "BTCUSDT", json::parse(R"({"last_price":1})"));
    t.sub_ticker(2, ticker_args({"BTCUSDT"}));
    for(conn_id c : {1, 2}) {
        auto got = t.got(c);
        std::size_t acks = 0;
        for(auto const& d : got) {
            if(d.event == "#ack")
                ++acks;
            else if(d.event == "balance")
                CHECK(acks >= 1);
            else if(d.event == "ticker")
                CHECK(acks >= 2);
        }
    }
    auto got2 = t.got(2);
    REQUIRE(got2.size() == 4);
    CHECK(got2[0].event == "#ack");
    CHECK(got2[1].event == "balance");
    CHECK(got2[2].event == "#ack");
    CHECK(got2[3].event == "ticker");
}
