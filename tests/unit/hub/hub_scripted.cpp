// The hub on the scripted feed, the way the daemon runs until exchange plugins exist.

#include "hub_test_support.hpp"

using namespace tradepush;
using namespace tradepush::test;
using namespace std::chrono_literals;

namespace {

feed::scripted_options
options(std::chrono::milliseconds tick, std::chrono::milliseconds delay = 0ms)
{
    feed::scripted_options o;
    o.tick_interval = tick;
    o.snapshot_delay = delay;
    return o;
}

} // namespace

TEST_CASE("scripted: snapshots arrive after the ack, ticks push changes with consecutive seqs")
{
    scripted_harness t({}, options(10ms, 5ms));
    REQUIRE(t.attach(1, "alice"));
    t.sub_trading(1, trading_args({"balance", "positions", "pnl", "orders"}));
    t.sub_ticker(1, ticker_args({"BTCUSDT"}));
    CHECK(t.run_until([&] {
        for(auto ev : {"balance", "positions", "pnl", "orders", "ticker"})
            if(t.got(1, ev).empty())
                return false;
        return true;
    }));
    CHECK(t.got(1).front().event == "#ack");
    CHECK(t.run_until([&] { return t.got(1, "balance").size() >= 8; }));
    auto b = t.got(1, "balance");
    REQUIRE(b.size() >= 3);
    for(std::size_t i = 0; i < b.size(); ++i)
        CHECK(b[i].body.at("seq").to_number<std::uint64_t>() == i + 1);
    auto const& coin = b.back().body.at("data").at("coins").at(0);
    CHECK(coin.at("coin") == "USDT");
    CHECK(coin.at("available_balance").is_number());
    // Orders change more slowly than prices: dedup is doing work.
    CHECK(t.got(1, "orders").size() < b.size());
    CHECK(t.stats().dedup_skips > 0);
}

TEST_CASE("scripted: second device gets the cached snapshot, resubscribe after leaving gets identical data again")
{
    scripted_harness t({}, options(0ms));
    REQUIRE(t.attach(1, "alice", 0));
    t.sub_trading(1, trading_args({"balance"}));
    CHECK(t.run_until([&] { return !t.got(1, "balance").empty(); }));
    auto first = t.got(1, "balance");
    REQUIRE(first.size() == 1);

    REQUIRE(t.attach(2, "alice", 1));
    t.sub_trading(2, trading_args({"balance"}));
    auto second = t.got(2, "balance");
    REQUIRE(second.size() == 1); // at once, no run needed
    CHECK(second[0].msg.get() == first[0].msg.get());

    t.detach(1);
    t.detach(2);
    CHECK(t.provider.open_sessions() == 0);
    REQUIRE(t.attach(3, "alice"));
    t.sub_trading(3, trading_args({"balance"}));
    CHECK(t.run_until([&] { return !t.got(3, "balance").empty(); }));
    auto third = t.got(3, "balance");
    REQUIRE(third.size() == 1);
    // Deterministic feed: the very same state as before the restart, and it is delivered.
    CHECK(third[0].body.at("data") == first[0].body.at("data"));
}

TEST_CASE("scripted: error status and recovery")
{
    scripted_harness t({}, options(0ms));
    REQUIRE(t.attach(1, "alice"));
    t.sub_trading(1, trading_args({"balance"}));
    CHECK(t.run_until([&] { return !t.got(1, "balance").empty(); }));
    t.provider.fail_account("alice", "main", "exchange_auth_failed", "invalid api key");
    auto s = t.got(1, "stream_status");
    REQUIRE(s.size() == 1);
    CHECK(s[0].body.at("state") == "error");
    CHECK(s[0].body.at("code") == "exchange_auth_failed");
    t.provider.push_account_change("alice", "main");
    CHECK(t.got(1, "stream_status").back().body.at("state") == "live");
    CHECK(t.got(1, "balance").size() == 2);
}

TEST_CASE("scripted: 1000 connect/subscribe/disconnect cycles leave nothing in hub or feed")
{
    scripted_harness t({}, options(1ms));
    for(conn_id c = 1; c <= 1000; ++c) {
        auto const user = "user" + std::to_string(c % 10);
        t.dir.users[user] = {{"main", "bybit", "testnet", "k", "s"}};
        REQUIRE(t.attach(c, user, c % 2));
        t.sub_trading(c, trading_args({"balance", "positions"}));
        t.sub_ticker(c, ticker_args({"BTCUSDT"}));
        if(c % 10 == 0)
            t.run_for(2ms);
        t.detach(c);
    }
    t.run_for(5ms);
    auto s = t.stats();
    CHECK(s.connections == 0);
    CHECK(s.users == 0);
    CHECK(s.account_streams == 0);
    CHECK(s.ticker_streams == 0);
    CHECK(s.subscriptions == 0);
    CHECK(s.open_accounts == 0);
    CHECK(t.provider.open_sessions() == 0);
    CHECK(t.provider.ticker_streams() == 0);
    CHECK(t.provider.stats().ticker_subscribes == t.provider.stats().ticker_unsubscribes);
}
