// Per-stream state: seq, dedup, serialize-once fan-out, conflate keys, stream_status.

#include "hub_test_support.hpp"

#include "hub/wire.hpp"

using namespace tradepush;
using namespace tradepush::test;
using feed::stream_state;
using feed::stream_type;

TEST_CASE("seq increases by one per pushed change, per stream, and not on dedup")
{
    manual_harness t;
    REQUIRE(t.attach(1, "alice"));
    t.sub_trading(1, trading_args({"balance", "pnl"}));
    auto const e = t.provider.last("open_account").epoch;
    auto* sink = t.provider.sink;
    for(double v : {1.0, 1.0, 2.0, 2.0, 2.0, 3.0})
        sink->on_account_data("alice", "main", stream_type::balance, balance(v), e);
    sink->on_account_data("alice", "main", stream_type::pnl, json::parse(R"({"unrealised_pnl":1,"realised_pnl":0})"), e);

    std::vector<std::uint64_t> seqs;
    std::vector<double> values;
    for(auto const& d : t.got(1, "balance")) {
        seqs.push_back(d.body.at("seq").to_number<std::uint64_t>());
        values.push_back(d.body.at("data").at("total_equity").to_number<double>());
    }
    CHECK(seqs == std::vector<std::uint64_t>{1, 2, 3});
    CHECK(values == std::vector<double>{1, 2, 3});
    auto pnl = t.got(1, "pnl");
    REQUIRE(pnl.size() == 1);
    CHECK(pnl[0].body.at("seq").to_number<std::uint64_t>() == 1); // its own counter
    CHECK(t.stats().dedup_skips == 3);
}

TEST_CASE("dedup skips unchanged data for already-served connections only")
{
    manual_harness t;
    REQUIRE(t.attach(1, "alice", 0));
    REQUIRE(t.attach(2, "alice", 1));
    t.sub_trading(1, trading_args({"balance"}));
    auto const e = t.provider.last("open_account").epoch;
    t.provider.sink->on_account_data("alice", "main", stream_type::balance, balance(1), e);
    t.sub_trading(2, trading_args({"balance"})); // served from cache
    auto const pushes = t.stats().pushes;
    t.provider.sink->on_account_data("alice", "main", stream_type::balance, balance(1), e);
    CHECK(t.stats().pushes == pushes); // nobody gets the unchanged payload again
    CHECK(t.got(1, "balance").size() == 1);
    CHECK(t.got(2, "balance").size() == 1);
    // An equal value that went through another parse is not a change either.
    t.provider.sink->on_account_data("alice", "main", stream_type::balance, json::parse(hub::to_json(balance(1))), e);
    CHECK(t.stats().pushes == pushes);
}

TEST_CASE("fan-out serializes once: one deliver per shard, the same packet object for every connection")
{
    manual_harness t;
    REQUIRE(t.attach(1, "alice", 0));
    REQUIRE(t.attach(2, "alice", 0));
    REQUIRE(t.attach(3, "alice", 1));
    for(conn_id c : {1, 2, 3})
        t.sub_trading(c, trading_args({"balance"}));
    t.provider.sink->on_account_data("alice", "main", stream_type::balance, balance(1), t.provider.last("open_account").epoch);
    auto const d0 = t.shard0.deliver_calls;
    auto const d1 = t.shard1.deliver_calls;
    t.provider.sink->on_account_data("alice", "main", stream_type::balance, balance(2), t.provider.last("open_account").epoch);
    CHECK(t.shard0.deliver_calls == d0 + 1);
    CHECK(t.shard1.deliver_calls == d1 + 1);
    auto a = t.got(1, "balance").back();
    auto b = t.got(2, "balance").back();
    auto c = t.got(3, "balance").back();
    CHECK(a.msg.get() == b.msg.get());
    CHECK(a.msg.get() == c.msg.get());
    CHECK(a.body.at("seq").to_number<std::uint64_t>() == 2);
}

TEST_CASE("conflate keys are non-zero, unique per stream, and stable for a stream")
{
    manual_harness t;
    REQUIRE(t.attach(1, "alice"));
    REQUIRE(t.attach(2, "bob"));
    t.sub_trading(1, trading_args({"balance", "positions"}));
    auto const ea = t.provider.last("open_account").epoch;
    t.sub_trading(2, trading_args({"balance"}));
    auto const eb = t.provider.last("open_account").epoch;
    t.sub_ticker(1, ticker_args({"BTCUSDT"}));
    auto* sink = t.provider.sink;
    sink->on_account_data("alice", "main", stream_type::balance, balance(1), ea);
    sink->on_account_data("alice", "main", stream_type::balance, balance(2), ea);
    sink->on_account_data("alice", "main", stream_type::positions, json::parse(R"({"positions":[]})"), ea);
    sink->on_account_data("bob", "main", stream_type::balance, balance(1), eb);
    sink->on_ticker("bybit", "linear", "BTCUSDT", json::parse(R"({"last_price":1})"));
    sink->on_account_status("alice", "main", stream_type::balance, stream_state::stale, "s", "s", ea);

    auto b1 = t.got(1, "balance");
    REQUIRE(b1.size() == 2);
    CHECK(b1[0].key == b1[1].key);
    std::set<std::uint64_t> keys{b1[0].key, t.got(1, "positions")[0].key, t.got(2, "balance")[0].key,
        t.got(1, "ticker")[0].key, t.got(1, "stream_status")[0].key};
    CHECK(keys.size() == 5);
    CHECK_FALSE(keys.contains(0));
}

TEST_CASE("stream_status: error forwarded, remembered for new subscribers, live once when data flows")
{
    manual_harness t;
    REQUIRE(t.attach(1, "alice", 0));
    t.sub_trading(1, trading_args({"balance", "orders"}));
    auto const e = t.provider.last("open_account").epoch;
    auto* sink = t.provider.sink;
    sink->on_account_data("alice", "main", stream_type::balance, balance(1), e);
    // No type: applies to every subscribed stream of the account.
    sink->on_account_status("alice", "main", std::nullopt, stream_state::error, "exchange_auth_failed",
        "API key expired", e);
    auto st = t.got(1, "stream_status");
    REQUIRE(st.size() == 2);
    CHECK(st[0].body == json::parse(R"({"stream":"balance","exchange":"bybit","account":"main","state":"error","code":"exchange_auth_failed","message":"API key expired"})"));
    CHECK(st[1].body.at("stream") == "orders");

    // A new device gets the cached data, then the remembered status.
    REQUIRE(t.attach(2, "alice", 1));
    t.sub_trading(2, trading_args({"balance"}));
    auto g2 = t.got(2);
    REQUIRE(g2.size() == 3);
    CHECK(g2[0].event == "#ack");
    CHECK(g2[1].event == "balance");
    CHECK(g2[2].event == "stream_status");
    CHECK(g2[2].body.at("state") == "error");

    // Data flows again: "live" once (even though the data itself is unchanged), then nothing more.
    sink->on_account_data("alice", "main", stream_type::balance, balance(1), e);
    sink->on_account_data("alice", "main", stream_type::balance, balance(2), e);
    for(conn_id c : {1, 2}) {
        auto s = t.got(c, "stream_status");
        std::size_t live = 0;
        for(auto const& d : s)
            live += d.body.at("state") == "live" && d.body.at("stream") == "balance";
        CHECK(live == 1);
    }
    auto s1 = t.got(1, "stream_status");
    CHECK(s1.back().body == json::parse(R"({"stream":"balance","exchange":"bybit","account":"main","state":"live","code":"","message":""})"));
    // A third device joining now sees no stale error.
    REQUIRE(t.attach(3, "alice", 1));
    t.sub_trading(3, trading_args({"balance"}));
    CHECK(t.got(3, "stream_status").empty());
    // orders is still in error: a live status from upstream clears it without data.
    sink->on_account_status("alice", "main", stream_type::orders, stream_state::live, "", "", e);
    CHECK(t.got(1, "stream_status").back().body.at("stream") == "orders");
    CHECK(t.got(1, "stream_status").back().body.at("state") == "live");
    auto const n = t.got(1, "stream_status").size();
    sink->on_account_status("alice", "main", stream_type::orders, stream_state::live, "", "", e);
    CHECK(t.got(1, "stream_status").size() == n); // already live: nothing to say
}

TEST_CASE("stream_status: an error before any data reaches the subscriber, a later subscriber asks again")
{
    manual_harness t;
    REQUIRE(t.attach(1, "alice", 0));
    t.sub_trading(1, trading_args({"balance"}));
    auto const e = t.provider.last("open_account").epoch;
    t.provider.sink->on_account_status("alice", "main", stream_type::balance, stream_state::error,
        "exchange_unavailable", "503", e);
    REQUIRE(t.got(1, "stream_status").size() == 1);
    REQUIRE(t.attach(2, "alice", 1));
    t.sub_trading(2, trading_args({"balance"}));
    CHECK(t.got(2, "stream_status").size() == 1);
    CHECK(t.provider.count("request_snapshot") == 1); // the failed fetch is retried for the newcomer
    t.provider.sink->on_account_data("alice", "main", stream_type::balance, balance(1), e);
    CHECK(t.got(1, "balance").size() == 1);
    CHECK(t.got(2, "balance").size() == 1);
}

TEST_CASE("after an upstream restart the next data reaches every subscriber even when unchanged (invariant 8)")
{
    manual_harness t;
    REQUIRE(t.attach(1, "alice", 0));
    REQUIRE(t.attach(2, "bob", 1));
    t.sub_trading(1, trading_args({"balance"}));
    auto const ea = t.provider.last("open_account").epoch;
    t.sub_trading(2, trading_args({"balance"}));
    auto const eb = t.provider.last("open_account").epoch;
    t.sub_ticker(1, ticker_args({"BTCUSDT"}));
    auto* sink = t.provider.sink;
    sink->on_account_data("alice", "main", stream_type::balance, balance(1), ea);
    sink->on_account_data("bob", "main", stream_type::balance, balance(5), eb);
    sink->on_account_data("alice", "main", stream_type::balance, balance(1), ea);
    sink->on_ticker("bybit", "linear", "BTCUSDT", json::parse(R"({"last_price":1})"));
    REQUIRE(t.got(1, "balance").size() == 1);

    // The plugin serving "bybit" was reloaded: its fresh snapshots are pushed although equal.
    sink->on_upstream_restart("bybit");
    sink->on_account_data("alice", "main", stream_type::balance, balance(1), ea);
    sink->on_account_data("bob", "main", stream_type::balance, balance(5), eb);
    auto a = t.got(1, "balance");
    REQUIRE(a.size() == 2);
    CHECK(a[1].body.at("seq").to_number<std::uint64_t>() == 2);
    CHECK(t.got(2, "balance").size() == 2);
    sink->on_ticker("bybit", "linear", "BTCUSDT", json::parse(R"({"last_price":1})"));
    CHECK(t.got(1, "ticker").size() == 2);
    // Once: dedup is back for what follows.
    sink->on_account_data("alice", "main", stream_type::balance, balance(1), ea);
    CHECK(t.got(1, "balance").size() == 2);
    // Another exchange's restart does not touch these streams.
    sink->on_upstream_restart("binance");
    sink->on_account_data("alice", "main", stream_type::balance, balance(1), ea);
    CHECK(t.got(1, "balance").size() == 2);
}
