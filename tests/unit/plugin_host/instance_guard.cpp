// The guarded call path: strand affinity of host API calls, the duration budget, no nesting.
#include "test_plugin.hpp"

#include <catch2/catch.hpp>

#include <thread>

using namespace tradepush;
using namespace tradepush::test_plugin;

TEST_CASE("host API called after the entry point returned is refused", "[plugin_host][instance][guard]")
{
    harness h;
    h.prov.open_account("alice", test_account(), 0, 1);
    // The plugin stashed its host pointer and calls later, outside any entry point.
    tradepush_owner const owner{{"alice", 5}, 1};
    CHECK(ctl().host_api->timer_start(ctl().host, &owner, 0, 0) == 0);
    ctl().host_api->emit_data(ctl().host, &owner, {"main", 4}, TRADEPUSH_STREAM_BALANCE, {}, {}, {"{}", 2});
    CHECK(ctl().host_api->now_ns(ctl().host) == 0);
    // log stays usable from anywhere.
    ctl().host_api->log(ctl().host, TRADEPUSH_LOG_DEBUG, {"still fine", 10});
    auto const c = h.inst.counters();
    CHECK(c.refused_calls == 3);
    CHECK(c.emits == 0);
    CHECK(h.inst.live_ops() == 0);
    CHECK(h.sink.datas.empty());
}

TEST_CASE("host API called from another thread during an entry point is refused", "[plugin_host][instance][guard]")
{
    harness h;
    tradepush_op from_thread = 1;
    ctl().on_open = [&](tradepush_host* host, tradepush_host_api const* api, tradepush_owner const* owner) {
        tradepush_owner const copy = *owner;
        std::thread t([&] { from_thread = api->timer_start(host, &copy, 0, 0); });
        t.join();
    };
    h.prov.open_account("alice", test_account(), 0, 1);
    CHECK(from_thread == 0);
    CHECK(h.inst.counters().refused_calls == 1);
    CHECK(h.inst.live_ops() == 0);
}

TEST_CASE("a plugin call above the budget is counted as an overrun", "[plugin_host][instance][guard]")
{
    plugin_host::instance_options o;
    o.call_budget = std::chrono::milliseconds(1);
    harness h(std::move(o));
    h.prov.open_account("alice", test_account(), 0, 1);
    CHECK(h.inst.counters().overruns == 0);
    ctl().busy = std::chrono::milliseconds(5);
    h.prov.open_account("alice", test_account(), 0, 1);
    CHECK(h.inst.counters().overruns == 1);
}

TEST_CASE("a hub reacting from inside an emit never nests entry points", "[plugin_host][instance][guard]")
{
    harness h;
    // Like the hub: on the first data, ask for another snapshot and reset another user, right inside
    // the plugin's on_timer -> emit_data.
    bool once = false;
    h.sink.after_data = [&] {
        if(once)
            return;
        once = true;
        CHECK(h.inst.in_plugin_call());
        h.prov.request_snapshot("alice", "main", feed::stream_type::orders, 1);
        h.prov.reset_user("carol");
    };
    h.prov.open_account("alice", test_account(), 1u, 1);
    h.run();
    CHECK(h.inst.counters().deferred_calls >= 2);
    // The queued commands ran afterwards, in order, and the extra snapshot arrived.
    REQUIRE(ctl().calls.size() == 3);
    CHECK(ctl().calls[1] == "request_snapshot alice main 3 1");
    CHECK(ctl().calls[2] == "reset_user carol 0");
    CHECK(h.sink.datas.size() == 2);
}
