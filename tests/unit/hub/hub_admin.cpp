// What the admin `sessions list` and `user kick` read from and do through the hub.

#include "hub_test_support.hpp"

using namespace tradepush;
using namespace tradepush::test;

TEST_CASE("connections: who is attached, where, and how much they subscribed; filter and limit")
{
    manual_harness t;
    REQUIRE(t.attach(1, "alice", 0));
    REQUIRE(t.attach(2, "alice", 1));
    REQUIRE(t.attach(3, "bob", 1));
    t.sub_trading(1, trading_args({"balance", "positions"}));
    t.sub_ticker(2, ticker_args({"BTCUSDT", "ETHUSDT", "SOLUSDT"}));

    auto list = [&](std::string user, std::size_t limit) {
        std::optional<std::vector<hub::connection_info>> out;
        t.h.connections(std::move(user), limit, [&](std::vector<hub::connection_info> v) { out = std::move(v); });
        t.drain();
        REQUIRE(out.has_value());
        return *out;
    };

    auto const all = list("", 1000);
    REQUIRE(all.size() == 3);
    // Oldest (lowest id) first.
    CHECK(all[0].id == 1);
    CHECK(all[0].user == "alice");
    CHECK(all[0].shard == 0);
    CHECK(all[0].trading_account == "main");
    CHECK(all[0].trading_types == 2);
    CHECK(all[0].tickers == 0);
    CHECK(all[1].id == 2);
    CHECK(all[1].shard == 1);
    CHECK(all[1].trading_account.empty());
    CHECK(all[1].trading_types == 0);
    CHECK(all[1].tickers == 3);
    CHECK(all[2].user == "bob");

    auto const alice = list("alice", 1000);
    REQUIRE(alice.size() == 2);
    CHECK(alice[0].id == 1);
    CHECK(alice[1].id == 2);
    CHECK(list("alice", 1).size() == 1);
    CHECK(list("nobody", 1000).empty());
    CHECK(list("", 2).size() == 2);
}

TEST_CASE("kick_user closes every transport of that user only, and the disconnects clean up as usual")
{
    manual_harness t;
    REQUIRE(t.attach(1, "alice", 0));
    REQUIRE(t.attach(2, "alice", 1));
    REQUIRE(t.attach(3, "bob", 0));
    t.sub_trading(1, trading_args({"balance"}));

    std::optional<std::size_t> n;
    t.h.kick_user("alice", "kicked by operator", [&](std::size_t closed) { n = closed; });
    t.drain();
    REQUIRE(n == 2u);
    REQUIRE(t.shard0.closes.size() == 1);
    CHECK(t.shard0.closes[0] == std::pair<hub::conn_id, std::string>{1, "kicked by operator"});
    REQUIRE(t.shard1.closes.size() == 1);
    CHECK(t.shard1.closes[0].first == 2);

    // The transports' disconnects come back as detaches: alice leaves no trace, bob stays.
    t.detach(1);
    t.detach(2);
    auto const s = t.stats();
    CHECK(s.connections == 1);
    CHECK(s.users == 1);
    CHECK(s.account_streams == 0);

    std::optional<std::size_t> none;
    t.h.kick_user("nobody", "x", [&](std::size_t closed) { none = closed; });
    t.drain();
    CHECK(none == 0u);
}
