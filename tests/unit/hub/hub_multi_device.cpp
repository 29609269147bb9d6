// DESIGN §4 invariant 6: one device's disconnect or resubscribe never interrupts another device;
// and the admin flush (fresh snapshots for every live device).

#include "hub_test_support.hpp"

using namespace tradepush;
using namespace tradepush::test;
using feed::stream_type;

namespace {

// Two devices of alice on different shards, both on balance, with one state pushed.
struct two_devices {
    manual_harness t;
    std::uint64_t epoch = 0;

    two_devices()
    {
        REQUIRE(t.attach(1, "alice", 0));
        REQUIRE(t.attach(2, "alice", 1));
        t.sub_trading(1, trading_args({"balance", "positions"}));
        t.sub_trading(2, trading_args({"balance"}));
        epoch = t.provider.last("open_account").epoch;
        push(10);
    }

    void
    push(double v)
    {
        t.provider.sink->on_account_data("alice", "main", stream_type::balance, balance(v), epoch);
    }

    std::vector<std::uint64_t>
    seqs(conn_id c)
    {
        std::vector<std::uint64_t> out;
        for(auto const& d : t.got(c, "balance"))
            out.push_back(d.body.at("seq").to_number<std::uint64_t>());
        return out;
    }
};

} // namespace

TEST_CASE("multi-device: device 1 resubscribing does not disturb device 2")
{
    two_devices d;
    auto const resets = d.t.stats().resets;
    auto const calls = d.t.provider.calls.size();
    d.t.sub_trading(1, trading_args({"balance"}));
    CHECK(d.t.stats().resets == resets); // no reset while device 2 holds streams
    for(std::size_t i = calls; i < d.t.provider.calls.size(); ++i)
        CHECK(d.t.provider.calls[i].what != "reset_user");
    // Device 1 got the cached state again right after its ack (its own fresh snapshot).
    auto g1 = d.t.got(1);
    REQUIRE(g1.size() >= 2);
    CHECK(g1[g1.size() - 2].event == "#ack");
    CHECK(g1.back().event == "balance");
    CHECK(g1.back().body.at("seq").to_number<std::uint64_t>() == 1);

    // Device 2 keeps receiving, with no gap and nothing extra.
    d.push(11);
    d.push(12);
    CHECK(d.seqs(2) == std::vector<std::uint64_t>{1, 2, 3});
    CHECK(d.seqs(1) == std::vector<std::uint64_t>{1, 1, 2, 3});
    CHECK(d.t.stats().stale_epoch_drops == 0);
}

TEST_CASE("multi-device: device 1 disconnecting does not disturb device 2")
{
    two_devices d;
    d.t.detach(1);
    CHECK(d.t.provider.count("close_account") == 0);
    d.push(11);
    CHECK(d.seqs(2) == std::vector<std::uint64_t>{1, 2});
    auto s = d.t.stats();
    CHECK(s.account_streams == 1); // device 1's positions stream went with it
    CHECK(s.subscriptions == 1);
}

TEST_CASE("multi-device: device 1 switching account keeps device 2's session")
{
    two_devices d;
    d.t.sub_trading(1, trading_args({"orders"}, "alt"));
    auto open = d.t.provider.last("open_account");
    CHECK(open.account == "alt");
    CHECK(open.epoch == d.epoch); // same user epoch: no reset happened
    CHECK(d.t.provider.count("close_account") == 0);
    CHECK(d.t.stats().open_accounts == 2);
    d.push(11);
    CHECK(d.seqs(2) == std::vector<std::uint64_t>{1, 2});
    CHECK(d.seqs(1) == std::vector<std::uint64_t>{1}); // device 1 left main/balance

    // When device 2 leaves main, main's upstream session is released, alt stays.
    d.t.unsub_trading(2, json::value());
    CHECK(d.t.provider.count("close_account") == 1);
    CHECK(d.t.provider.last("close_account").account == "main");
    CHECK(d.t.stats().open_accounts == 1);
}

TEST_CASE("multi-device: a device holding only tickers does not count as holding trading streams")
{
    manual_harness t;
    REQUIRE(t.attach(1, "alice", 0));
    REQUIRE(t.attach(2, "alice", 1));
    t.sub_ticker(2, ticker_args({"BTCUSDT"}));
    t.sub_trading(1, trading_args({"balance"}));
    t.sub_trading(1, trading_args({"balance"}));
    CHECK(t.provider.count("reset_user") == 2);
    CHECK(t.provider.count("unsubscribe_ticker") == 0); // the ticker is untouched by a trading reset
}

TEST_CASE("flush_user: reset, new epoch, and a fresh snapshot for every live device even if unchanged")
{
    two_devices d;
    auto const resets = d.t.stats().resets;
    CHECK(d.t.flush("alice"));
    CHECK(d.t.stats().resets == resets + 1);
    auto open = d.t.provider.last("open_account");
    CHECK(open.epoch > d.epoch);
    CHECK(open.types == (balance_bit | positions_bit)); // whatever any device subscribes to
    CHECK(d.t.provider.last_index("reset_user") < d.t.provider.last_index("open_account"));

    // A late answer of the old epoch is fenced.
    d.push(99);
    CHECK(d.t.stats().stale_epoch_drops == 1);

    // The identical state with the new epoch reaches both devices once; seq continues.
    d.t.provider.sink->on_account_data("alice", "main", stream_type::balance, balance(10), open.epoch);
    CHECK(d.seqs(1) == std::vector<std::uint64_t>{1, 2});
    CHECK(d.seqs(2) == std::vector<std::uint64_t>{1, 2});
    // Then dedup resumes.
    d.t.provider.sink->on_account_data("alice", "main", stream_type::balance, balance(10), open.epoch);
    CHECK(d.seqs(2) == std::vector<std::uint64_t>{1, 2});

    CHECK_FALSE(d.t.flush("nobody"));
}
