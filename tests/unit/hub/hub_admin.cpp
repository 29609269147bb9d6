// What the admin `sessions list` and `user kick` read from and do through the hub.

#include "hub_test_support.hpp"

#include "feed/provider_router.hpp"

using namespace tradepush;
using namespace tradepush::test;
using tradepush::feed::stream_type;

TEST_CASE("connections: who is attached, where, and how much they subscribed, filter and limit")
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

//------------------------------------------------------------------------------

namespace {

// Two manual providers behind the real router, as the daemon has a plugin per exchange.
struct split_provider : feed::provider {
    manual_provider bybit;
    manual_provider binance;
    feed::provider_router router;

    explicit split_provider(net::any_io_executor ex)
        : router(ex)
    {
        router.add("bybit", bybit);
        router.add("binance", binance);
    }

    void set_sink(feed::sink* s) override { router.set_sink(s); }
    bool has_exchange(std::string_view e) const override { return router.has_exchange(e); }
    void
    open_account(std::string_view u, feed::account const& a, unsigned t, std::uint64_t e) override
    {
        router.open_account(u, a, t, e);
    }
    void
    request_snapshot(std::string_view u, std::string_view a, feed::stream_type t, std::uint64_t e) override
    {
        router.request_snapshot(u, a, t, e);
    }
    void close_account(std::string_view u, std::string_view a) override { router.close_account(u, a); }
    void reset_user(std::string_view u) override { router.reset_user(u); }
    std::optional<std::vector<std::string>>
    reset_user_on(std::string_view u, std::string_view e) override
    {
        return router.reset_user_on(u, e);
    }
    void
    subscribe_ticker(std::string_view e, std::string_view c, std::string_view s) override
    {
        router.subscribe_ticker(e, c, s);
    }
    void
    unsubscribe_ticker(std::string_view e, std::string_view c, std::string_view s) override
    {
        router.unsubscribe_ticker(e, c, s);
    }
};

std::optional<std::size_t>
flush_on(basic_harness<split_provider>& t, std::string user, std::string exchange)
{
    std::optional<std::optional<std::size_t>> out;
    t.h.flush_user(std::move(user), std::move(exchange), [&](std::optional<std::size_t> n) { out = n; });
    t.drain();
    REQUIRE(out.has_value());
    return *out;
}

std::vector<std::uint64_t>
balance_seqs(basic_harness<split_provider>& t, conn_id c)
{
    std::vector<std::uint64_t> out;
    for(auto const& d : t.got(c, "balance"))
        out.push_back(d.body.at("seq").to_number<std::uint64_t>());
    return out;
}

} // namespace

TEST_CASE("flush_user --exchange: only that exchange's provider is reset and only its streams are pushed again")
{
    basic_harness<split_provider> t;
    t.dir.users["dora"] = {{"main", "bybit", "testnet", "ka", "sa"}, {"bin", "binance", "mainnet", "kb", "sb"}};
    REQUIRE(t.attach(1, "dora", 0));
    REQUIRE(t.attach(2, "dora", 1));
    t.sub_trading(1, trading_args({"balance"}, "main"));
    t.sub_trading(2, trading_args({"balance"}, "bin"));
    auto const e1 = t.provider.bybit.last("open_account").epoch;
    REQUIRE(t.provider.binance.last("open_account").epoch == e1);
    t.provider.bybit.sink->on_account_data("dora", "main", stream_type::balance, balance(1), e1);
    t.provider.binance.sink->on_account_data("dora", "bin", stream_type::balance, balance(2), e1);
    REQUIRE(balance_seqs(t, 1) == std::vector<std::uint64_t>{1});
    REQUIRE(balance_seqs(t, 2) == std::vector<std::uint64_t>{1});

    auto const bybit_resets = t.provider.bybit.count("reset_user");
    auto const binance_calls = t.provider.binance.calls.size();
    auto const resets = t.stats().resets;
    CHECK(flush_on(t, "dora", "bybit") == std::optional<std::size_t>(1));
    CHECK(t.stats().resets == resets + 1);
    // bybit: reset, then reopened in a newer epoch; binance: not a single call.
    CHECK(t.provider.bybit.count("reset_user") == bybit_resets + 1);
    auto const e2 = t.provider.bybit.last("open_account").epoch;
    CHECK(e2 > e1);
    CHECK(t.provider.bybit.last_index("reset_user") < t.provider.bybit.last_index("open_account"));
    CHECK(t.provider.binance.calls.size() == binance_calls);

    // binance's session carries on in its epoch: a change still reaches device 2, nothing is fenced.
    auto const drops = t.stats().stale_epoch_drops;
    t.provider.binance.sink->on_account_data("dora", "bin", stream_type::balance, balance(3), e1);
    CHECK(balance_seqs(t, 2) == std::vector<std::uint64_t>{1, 2});
    CHECK(t.stats().stale_epoch_drops == drops);
    // A late bybit answer of the old epoch is fenced; the fresh one reaches device 1 even unchanged.
    t.provider.bybit.sink->on_account_data("dora", "main", stream_type::balance, balance(1), e1);
    CHECK(t.stats().stale_epoch_drops == drops + 1);
    CHECK(balance_seqs(t, 1) == std::vector<std::uint64_t>{1});
    t.provider.bybit.sink->on_account_data("dora", "main", stream_type::balance, balance(1), e2);
    CHECK(balance_seqs(t, 1) == std::vector<std::uint64_t>{1, 2});
    CHECK(balance_seqs(t, 2) == std::vector<std::uint64_t>{1, 2}); // device 2 got nothing from the flush

    // A later subscription on bybit asks in bybit's new epoch, one on binance in binance's.
    t.sub_trading(1, trading_args({"balance", "positions"}, "main"));
    CHECK(t.provider.bybit.last("request_snapshot").epoch == e2);

    // A full flush puts every exchange back in one epoch.
    CHECK(t.flush("dora"));
    CHECK(t.provider.binance.last("open_account").epoch == t.provider.bybit.last("open_account").epoch);

    CHECK_FALSE(flush_on(t, "nobody", "bybit").has_value());
}
