// DESIGN §4 invariant 3: the last connection's disconnect leaves no trace.

#include "hub_test_support.hpp"

using namespace tradepush;
using namespace tradepush::test;
using feed::stream_type;

namespace {

void
check_empty(hub::hub_stats const& s)
{
    CHECK(s.connections == 0);
    CHECK(s.users == 0);
    CHECK(s.account_streams == 0);
    CHECK(s.ticker_streams == 0);
    CHECK(s.subscriptions == 0);
    CHECK(s.open_accounts == 0);
}

} // namespace

TEST_CASE("disconnect of the last connection drops every state and releases the upstream")
{
    manual_harness t;
    REQUIRE(t.attach(1, "alice"));
    t.sub_trading(1, trading_args({"balance", "positions", "pnl", "orders"}));
    t.sub_ticker(1, ticker_args({"BTCUSDT", "ETHUSDT"}));
    auto const epoch = t.provider.last("open_account").epoch;
    t.provider.sink->on_account_data("alice", "main", stream_type::balance, balance(1), epoch);
    t.provider.sink->on_ticker("bybit", "linear", "BTCUSDT", json::parse(R"({"last_price":1})"));
    t.provider.sink->on_account_status("alice", "main", stream_type::orders, feed::stream_state::error, "x", "y", epoch);

    auto s = t.stats();
    CHECK(s.connections == 1);
    CHECK(s.account_streams == 4);
    CHECK(s.ticker_streams == 2);
    CHECK(s.subscriptions == 6);
    CHECK(s.open_accounts == 1);

    auto const resets = s.resets;
    t.detach(1);
    check_empty(t.stats());
    CHECK(t.stats().resets == resets + 1);
    // Upstream released: session closed, then the user reset; tickers unsubscribed.
    CHECK(t.provider.count("close_account", "alice") == 1);
    CHECK(t.provider.last("close_account").account == "main");
    CHECK(t.provider.last_index("reset_user") > t.provider.last_index("close_account"));
    CHECK(t.provider.last("reset_user").user == "alice");
    CHECK(t.provider.count("unsubscribe_ticker") == 2);

    // A late answer of the gone session is fenced, not cached.
    t.provider.sink->on_account_data("alice", "main", stream_type::balance, balance(2), epoch);
    CHECK(t.stats().stale_epoch_drops == 1);
    check_empty(t.stats());
}

TEST_CASE("disconnect of one of two devices keeps the user's state for the other")
{
    manual_harness t;
    REQUIRE(t.attach(1, "alice", 0));
    REQUIRE(t.attach(2, "alice", 1));
    t.sub_trading(1, trading_args({"balance"}));
    t.sub_trading(2, trading_args({"balance"}));
    t.detach(1);
    auto s = t.stats();
    CHECK(s.connections == 1);
    CHECK(s.users == 1);
    CHECK(s.subscriptions == 1);
    CHECK(s.open_accounts == 1);
    CHECK(t.provider.count("reset_user") == 1); // only the one of the first subscribe
    CHECK(t.provider.count("close_account") == 0);
    t.detach(2);
    check_empty(t.stats());
}

TEST_CASE("disconnect of a connection that never subscribed still resets the user")
{
    manual_harness t;
    REQUIRE(t.attach(1, "bob"));
    t.detach(1);
    check_empty(t.stats());
    CHECK(t.provider.count("reset_user", "bob") == 1);
    t.detach(1); // unknown now: harmless
    t.detach(77);
    check_empty(t.stats());
}

TEST_CASE("1000 attach/subscribe/detach cycles return the hub to baseline")
{
    manual_harness t;
    for(conn_id c = 1; c <= 1000; ++c) {
        auto const user = (c % 2) ? "alice" : "bob";
        REQUIRE(t.attach(c, user, c % 2));
        if(c % 3 == 0)
            REQUIRE(t.attach(c + 100000, user, 0)); // a second device now and then
        t.sub_trading(c, trading_args({"balance", "orders"}));
        t.sub_ticker(c, ticker_args({"BTCUSDT", c % 5 ? "ETHUSDT" : "SOLUSDT"}));
        auto const epoch = t.provider.last("open_account").epoch;
        t.provider.sink->on_account_data(user, "main", stream_type::balance, balance(static_cast<double>(c)), epoch);
        t.provider.sink->on_ticker("bybit", "linear", "BTCUSDT", json::parse(R"({"last_price":1})"));
        if(c % 7 == 0)
            t.sub_trading(c, trading_args({"pnl"}, "alt")); // resubscribe in between
        if(c % 3 == 0)
            t.detach(c + 100000);
        t.detach(c);
    }
    check_empty(t.stats());
    // Every provider ticker subscription was released again.
    CHECK(t.provider.count("subscribe_ticker") == t.provider.count("unsubscribe_ticker"));
    // Every opened session was closed or dropped by a reset that followed it.
    CHECK(t.provider.last_index("reset_user") > t.provider.last_index("open_account"));
}
