// Request validation, attach limits, and bad input containment at the hub boundary.

#include "hub_test_support.hpp"

using namespace tradepush;
using namespace tradepush::test;

TEST_CASE("subscribe_trading argument errors leave no state and make no upstream call")
{
    manual_harness t;
    REQUIRE(t.attach(1, "alice"));
    CHECK(is_error(t.sub_trading(1, json::value()), "invalid_args"));
    CHECK(is_error(t.sub_trading(1, json::array{"balance"}), "invalid_args"));
    CHECK(is_error(t.sub_trading(1, json::parse(R"({"types":[]})")), "invalid_args"));
    CHECK(is_error(t.sub_trading(1, json::parse(R"({"types":["balance","positions","pnl","orders","pnl"]})")), "invalid_args"));
    CHECK(is_error(t.sub_trading(1, trading_args({"balance", "klines"})), "invalid_type"));
    CHECK(is_error(t.sub_trading(1, json::parse(R"({"types":["balance"],"account":5})")), "invalid_args"));
    CHECK(is_error(t.sub_trading(1, trading_args({"balance"}, "savings")), "unknown_account"));
    CHECK(t.provider.calls.empty());
    auto s = t.stats();
    CHECK(s.subscriptions == 0);
    CHECK(s.account_streams == 0);

    auto err = t.sub_trading(1, trading_args({"balance"}, "savings"));
    CHECK(err.at("error").at("message").as_string().size() > 0);
    CHECK(err.size() == 2);
}

TEST_CASE("subscribe_trading for a user without accounts is no_account, unknown connections are not_attached")
{
    manual_harness t;
    REQUIRE(t.attach(1, "carol"));
    CHECK(is_error(t.sub_trading(1, trading_args({"balance"})), "no_account"));
    REQUIRE(t.attach(2, "dave")); // not in the credentials store at all
    CHECK(is_error(t.sub_trading(2, trading_args({"balance"})), "no_account"));
    CHECK(is_error(t.sub_trading(99, trading_args({"balance"})), "not_attached"));
    CHECK(is_error(t.unsub_trading(99, trading_args({"balance"})), "not_attached"));
    CHECK(is_error(t.sub_ticker(99, ticker_args({"BTCUSDT"})), "not_attached"));
    CHECK(is_error(t.unsub_ticker(99, ticker_args({"BTCUSDT"})), "not_attached"));
    CHECK(t.provider.calls.empty());
}

TEST_CASE("subscribe_trading: duplicates ignored, default account is the first, explicit label honoured")
{
    manual_harness t;
    REQUIRE(t.attach(1, "alice"));
    auto ack = t.sub_trading(1, trading_args({"pnl", "balance", "pnl"}));
    CHECK(json::value(ack) == json::parse(R"({"ok":true,"types":["pnl","balance"],"account":"main"})"));
    CHECK(t.provider.last("open_account").types == (pnl_bit | balance_bit));
    CHECK(t.sub_trading(1, trading_args({"orders"}, "alt")).at("account") == "alt");
}

TEST_CASE("unsubscribe_trading drops the listed types, all when none listed")
{
    manual_harness t;
    REQUIRE(t.attach(1, "alice"));
    t.sub_trading(1, trading_args({"balance", "positions", "pnl"}));
    auto const e = t.provider.last("open_account").epoch;
    auto ack = t.unsub_trading(1, trading_args({"positions"}));
    CHECK(json::value(ack) == json::parse(R"({"ok":true,"types":["positions"]})"));
    CHECK(t.stats().subscriptions == 2);
    t.provider.sink->on_account_data("alice", "main", feed::stream_type::positions, json::parse(R"({"positions":[]})"), e);
    CHECK(t.got(1, "positions").empty());
    CHECK(is_error(t.unsub_trading(1, trading_args({"bogus"})), "invalid_type"));
    t.unsub_trading(1, json::object{});
    CHECK(t.stats().subscriptions == 0);
    CHECK(t.stats().open_accounts == 0); // nobody needs the session any more
    CHECK(t.provider.count("close_account") == 1);
    CHECK(t.unsub_trading(1, json::value()).at("ok").as_bool()); // idempotent
}

TEST_CASE("attach: max connections per user, duplicate ids and unknown shards are refused")
{
    hub::hub_limits limits;
    limits.max_connections_per_user = 2;
    manual_harness t(limits);
    CHECK(t.attach(1, "alice"));
    CHECK(t.attach(2, "alice", 1));
    CHECK_FALSE(t.attach(3, "alice"));
    CHECK(t.attach(4, "bob")); // per user, not global
    CHECK_FALSE(t.attach(1, "bob")); // id already attached
    CHECK_FALSE(t.attach(5, "bob", 2)); // there are two shards
    CHECK(t.stats().connections == 3);
    t.detach(1);
    CHECK(t.attach(3, "alice"));
}

TEST_CASE("work posted after the hub is destroyed does nothing")
{
    net::io_context ioc;
    recording_shard shard;
    manual_provider provider;
    fixed_directory dir;
    bool called = false;
    {
        hub::hub h(ioc.get_executor(), provider, dir, {&shard});
        CHECK(provider.sink == &h);
        h.attach(1, "alice", 0, [&](bool) { called = true; });
    }
    CHECK(provider.sink == nullptr); // the hub unregistered itself
    ioc.poll();
    CHECK_FALSE(called);
}
