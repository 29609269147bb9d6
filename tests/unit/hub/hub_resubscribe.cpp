// DESIGN §4 invariant 4 (resubscribe is clean) and invariant 5 (reset_user is an epoch fence).

#include "hub_test_support.hpp"

using namespace tradepush;
using namespace tradepush::test;
using feed::stream_type;

TEST_CASE("resubscribe drops the old subscriptions and cache, resets the user, then opens with a new epoch")
{
    manual_harness t;
    REQUIRE(t.attach(1, "alice"));
    t.sub_trading(1, trading_args({"balance", "positions"}));
    auto const e1 = t.provider.last("open_account").epoch;
    t.provider.sink->on_account_data("alice", "main", stream_type::balance, balance(5), e1);
    t.provider.sink->on_account_data("alice", "main", stream_type::balance, balance(6), e1);
    REQUIRE(t.got(1, "balance").back().body.at("seq").to_number<std::uint64_t>() == 2);
    auto const resets = t.stats().resets;
    auto const n_calls = t.provider.calls.size();

    t.sub_trading(1, trading_args({"balance"}));
    // Order of upstream calls: release, reset, then the new session.
    REQUIRE(t.provider.calls.size() == n_calls + 3);
    CHECK(t.provider.calls[n_calls].what == "close_account");
    CHECK(t.provider.calls[n_calls + 1].what == "reset_user");
    CHECK(t.provider.calls[n_calls + 2].what == "open_account");
    auto const e2 = t.provider.calls[n_calls + 2].epoch;
    CHECK(e2 > e1);
    CHECK(t.provider.calls[n_calls + 2].types == balance_bit);
    CHECK(t.stats().resets == resets + 1);

    auto s = t.stats();
    CHECK(s.account_streams == 1); // positions is gone
    CHECK(s.subscriptions == 1);

    // The old cache is gone: the same data is a fresh first message with a fresh seq.
    t.provider.sink->on_account_data("alice", "main", stream_type::balance, balance(6), e2);
    auto got = t.got(1, "balance");
    REQUIRE(got.size() == 3);
    CHECK(got[2].body.at("seq").to_number<std::uint64_t>() == 1);
    CHECK(same_json(got[2].body.at("data"), balance(6)));
    // No positions push after the resubscribe.
    t.provider.sink->on_account_data("alice", "main", stream_type::positions, json::parse(R"({"positions":[]})"), e2);
    CHECK(t.got(1, "positions").empty());
}

TEST_CASE("resubscribe to another account switches the session")
{
    manual_harness t;
    REQUIRE(t.attach(1, "alice"));
    t.sub_trading(1, trading_args({"balance"}));
    auto ack = t.sub_trading(1, trading_args({"balance"}, "alt"));
    CHECK(ack.at("account") == "alt");
    auto open = t.provider.last("open_account");
    CHECK(open.account == "alt");
    CHECK(t.stats().open_accounts == 1);
    t.provider.sink->on_account_data("alice", "main", stream_type::balance, balance(1), open.epoch);
    CHECK(t.got(1, "balance").empty()); // the old account is not subscribed any more
    t.provider.sink->on_account_data("alice", "alt", stream_type::balance, balance(1), open.epoch);
    REQUIRE(t.got(1, "balance").size() == 1);
    CHECK(t.got(1, "balance")[0].body.at("account") == "alt");
}

TEST_CASE("epoch fence: an answer of a request started before the reset is dropped, never cached or delivered")
{
    manual_harness t;
    REQUIRE(t.attach(1, "alice"));
    t.sub_trading(1, trading_args({"balance"}));
    auto const e1 = t.provider.last("open_account").epoch;
    t.sub_trading(1, trading_args({"balance"})); // reset before the first answer came back
    auto const e2 = t.provider.last("open_account").epoch;
    REQUIRE(e1 != e2);

    t.provider.sink->on_account_data("alice", "main", stream_type::balance, balance(111), e1);
    t.provider.sink->on_account_status("alice", "main", std::nullopt, feed::stream_state::error, "old", "old", e1);
    CHECK(t.stats().stale_epoch_drops == 2);
    CHECK(t.got(1, "balance").empty());
    CHECK(t.got(1, "stream_status").empty());

    // Not cached either: a second device gets no snapshot from the stale answer ...
    REQUIRE(t.attach(2, "alice", 1));
    t.sub_trading(2, trading_args({"balance"}));
    CHECK(t.got(2, "balance").empty());
    // ... and the current answer, identical or not, is the first state (seq 1).
    t.provider.sink->on_account_data("alice", "main", stream_type::balance, balance(111), e2);
    REQUIRE(t.got(1, "balance").size() == 1);
    CHECK(t.got(1, "balance")[0].body.at("seq").to_number<std::uint64_t>() == 1);
    CHECK(t.got(2, "balance").size() == 1);
    CHECK(t.stats().stale_epoch_drops == 2);
}

TEST_CASE("epoch fence: unknown users and made-up epochs are dropped")
{
    manual_harness t;
    t.provider.sink->on_account_data("mallory", "main", stream_type::balance, balance(1), 1);
    REQUIRE(t.attach(1, "alice"));
    t.sub_trading(1, trading_args({"balance"}));
    auto const e = t.provider.last("open_account").epoch;
    t.provider.sink->on_account_data("alice", "main", stream_type::balance, balance(1), e + 1000);
    t.provider.sink->on_account_data("alice", "main", stream_type::balance, balance(1), 0);
    CHECK(t.stats().stale_epoch_drops == 3);
    CHECK(t.got(1, "balance").empty());
}

TEST_CASE("epochs are never reused after a user's state was dropped")
{
    manual_harness t;
    std::set<std::uint64_t> seen;
    for(conn_id c = 1; c <= 20; ++c) {
        REQUIRE(t.attach(c, "alice"));
        t.sub_trading(c, trading_args({"balance"}));
        CHECK(seen.insert(t.provider.last("open_account").epoch).second);
        t.detach(c);
    }
}

TEST_CASE("the scripted feed and the hub together drop a delayed answer across a resubscribe")
{
    feed::scripted_options o;
    o.tick_interval = std::chrono::milliseconds(0);
    o.snapshot_delay = std::chrono::milliseconds(30);
    scripted_harness t({}, o);
    REQUIRE(t.attach(1, "alice"));
    t.sub_trading(1, trading_args({"balance"}));
    t.sub_trading(1, trading_args({"balance"}));
    CHECK(t.run_until([&] { return !t.got(1, "balance").empty(); }));
    t.run_for(std::chrono::milliseconds(80)); // room for a wrongly delivered stale answer
    // Exactly one snapshot: the one of the second subscription.
    auto got = t.got(1, "balance");
    REQUIRE(got.size() == 1);
    CHECK(got[0].body.at("seq").to_number<std::uint64_t>() == 1);
    CHECK(t.provider.stats().resets == 2);
    CHECK(t.provider.stats().opens == 2);
}
