// plugin_provider::switch_to, the heart of a hot reload: every live account session and ticker is
// re-opened on the new instance with the hub's epochs, the old instance goes quiet at once, and
// commands still queued on it never run.
#include "test_plugin.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <utility>

using namespace tradepush;
using namespace tradepush::test_plugin;

namespace {

std::size_t
count_calls(std::string const& prefix)
{
    return static_cast<std::size_t>(std::count_if(ctl().calls.begin(), ctl().calls.end(),
        [&](std::string const& c) { return c.rfind(prefix, 0) == 0; }));
}

bool
called(std::string const& call)
{
    return std::find(ctl().calls.begin(), ctl().calls.end(), call) != ctl().calls.end();
}

} // namespace

TEST_CASE("switch_to re-opens every live account and ticker on the new instance", "[plugin_host][reload]")
{
    harness h;
    REQUIRE(h.created);
    h.prov.open_account("alice", test_account(), 0x3, 7);
    h.prov.request_snapshot("alice", "main", feed::stream_type::orders, 7);
    h.prov.open_account("bob", test_account("sub"), all_streams, 9);
    h.prov.open_account("carol", test_account(), all_streams, 11);
    h.prov.close_account("carol", "main");
    h.prov.open_account("dave", test_account(), all_streams, 12);
    h.prov.reset_user("dave");
    h.prov.subscribe_ticker("testex", "linear", "BTCUSDT");
    h.prov.subscribe_ticker("testex", "linear", "ETHUSDT");
    h.prov.unsubscribe_ticker("testex", "linear", "ETHUSDT");
    h.prov.subscribe_ticker("otherex", "linear", "XRPUSDT"); // not ours: not recorded
    h.run();
    CHECK(h.prov.live_accounts() == 2);
    CHECK(h.prov.live_tickers() == 1);

    plugin_host::instance next(h.ioc.get_executor(), api(), "testex", "{}", nullptr, &h.io);
    REQUIRE(next.create());
    ctl().calls.clear();
    auto const datas_before = h.sink.datas.size();
    auto const tickers_before = h.sink.tickers.size();

    auto& old = h.prov.switch_to(next);
    CHECK(&old == &h.inst);
    CHECK(&h.prov.current() == &next);
    REQUIRE(h.sink.restarts == std::vector<std::string>{"testex"});
    // Alice asked for balance+positions, then orders, all in epoch 7: one open with the union.
    CHECK(called("open_account alice main 11 7 KEY"));
    CHECK(called("open_account bob sub 15 9 KEY"));
    CHECK(called("subscribe_ticker linear BTCUSDT"));
    CHECK(count_calls("open_account") == 2);
    CHECK(count_calls("subscribe_ticker") == 1);
    CHECK(next.epoch("alice") == 7u);
    CHECK(next.epoch("bob") == 9u);
    CHECK_FALSE(next.epoch("carol"));

    h.inst.destroy();
    h.run();
    // Fresh snapshots from the new instance, under the hub's epochs.
    CHECK(h.sink.datas.size() - datas_before == 3 + 4);
    CHECK(h.sink.tickers.size() - tickers_before == 1);
    for(auto i = datas_before; i < h.sink.datas.size(); ++i)
        CHECK(h.sink.datas[i].epoch == (h.sink.datas[i].user == "alice" ? 7u : 9u));
    CHECK(next.counters().emits == 3 + 4 + 1);

    // Later commands go to the new instance.
    ctl().calls.clear();
    h.prov.request_snapshot("bob", "sub", feed::stream_type::pnl, 9);
    CHECK(called("request_snapshot bob sub 2 9"));
    CHECK(next.counters().plugin_calls > 0);
    next.destroy();
}

TEST_CASE("after switch_to the old instance is silent and its queued commands never run", "[plugin_host][reload]")
{
    harness h;
    REQUIRE(h.created);
    ctl().timer_delay_ns = 1'000'000'000; // the old instance's snapshots are still pending at the switch
    // Bob subscribes while the plugin is inside a call (the hub reacting to an emit): his open is queued
    // on the old instance.
    bool nested = false;
    ctl().on_open = [&](tradepush_host*, tradepush_host_api const*, tradepush_owner const*) {
        if(!std::exchange(nested, true))
            h.prov.open_account("bob", test_account(), all_streams, 5);
    };
    h.prov.open_account("alice", test_account(), all_streams, 3);
    ctl().on_open = nullptr;
    REQUIRE(h.inst.live_ops() == 4);
    REQUIRE(count_calls("open_account bob") == 0);

    plugin_host::instance next(h.ioc.get_executor(), api(), "testex", "{}", nullptr, &h.io);
    REQUIRE(next.create());
    ctl().timer_delay_ns = 0;
    h.prov.switch_to(next);
    h.inst.destroy();
    CHECK(h.inst.live_ops() == 0);
    h.run();
    // Bob was opened once, by the replay on the new instance; everything came from the new one.
    CHECK(count_calls("open_account bob") == 1);
    CHECK(h.sink.datas.size() == 8);
    CHECK(h.inst.counters().emits == 0);
    CHECK(next.counters().emits == 8);
    next.destroy();
}

TEST_CASE("a new epoch replaces what the previous one asked for", "[plugin_host][reload]")
{
    harness h;
    h.prov.open_account("alice", test_account(), 0x1, 1);
    h.prov.request_snapshot("alice", "main", feed::stream_type::orders, 1);
    // The hub flushed the user: reset, then a new session in epoch 2 with other types.
    h.prov.reset_user("alice");
    h.prov.open_account("alice", test_account(), 0x2, 2);
    h.run();

    plugin_host::instance next(h.ioc.get_executor(), api(), "testex", "{}", nullptr, &h.io);
    REQUIRE(next.create());
    ctl().calls.clear();
    h.prov.switch_to(next);
    CHECK(ctl().calls == std::vector<std::string>{"open_account alice main 2 2 KEY"});
    h.inst.destroy();
    h.run();
    next.destroy();
}
