// create / destroy of an instance.
#include "test_plugin.hpp"

#include <catch2/catch.hpp>

using namespace tradepush;
using namespace tradepush::test_plugin;

TEST_CASE("create failure returns the plugin's message", "[plugin_host][instance][lifecycle]")
{
    control_reset reset;
    ctl().fail_create = true;
    boost::asio::io_context ioc;
    plugin_host::instance inst(ioc.get_executor(), api(), "testex", "{}", nullptr);
    auto r = inst.create();
    REQUIRE(r.has_error());
    CHECK(r.error() == "bad config: no endpoint");
    CHECK_FALSE(inst.alive());
    CHECK(ctl().destroys == 0);
}

TEST_CASE("destroy cancels pending ops: no completion after destroy", "[plugin_host][instance][lifecycle]")
{
    harness h;
    ctl().timer_delay_ns = 60'000'000'000;
    h.prov.open_account("alice", test_account(), all_streams, 1);
    h.prov.open_account("bob", test_account(), all_streams, 1);
    REQUIRE(h.inst.live_ops() == 8);
    h.inst.destroy();
    CHECK(ctl().destroys == 1);
    CHECK(h.inst.live_ops() == 0);
    h.run(); // returns at once: every timer was cancelled
    CHECK(ctl().timers_fired == 0);
    CHECK(h.sink.datas.empty());

    // Later commands do not reach the plugin; a refusal becomes a status instead.
    auto const calls = ctl().calls.size();
    h.prov.open_account("alice", test_account(), all_streams, 2);
    CHECK(ctl().calls.size() == calls);
    REQUIRE(h.sink.statuses.size() == 1);
    CHECK(h.sink.statuses[0].code == "plugin_error");
    h.inst.destroy(); // idempotent
    CHECK(ctl().destroys == 1);
}

TEST_CASE("destroying the instance object with handlers still queued is safe", "[plugin_host][instance][lifecycle]")
{
    control_reset reset;
    boost::asio::io_context ioc;
    recording_sink sink;
    {
        plugin_host::instance inst(ioc.get_executor(), api(), "testex", "{}", &sink);
        REQUIRE(inst.create());
        plugin_host::plugin_provider prov(inst);
        prov.open_account("alice", test_account(), all_streams, 1);
    } // ~instance destroys: the aborted timer handlers find it gone
    ioc.run();
    CHECK(ctl().destroys == 1);
    CHECK(ctl().timers_fired == 0);
    CHECK(sink.datas.empty());
}

TEST_CASE("1000 create/destroy cycles leave no live ops", "[plugin_host][instance][lifecycle]")
{
    control_reset reset;
    boost::asio::io_context ioc;
    recording_sink sink;
    ctl().timer_delay_ns = 60'000'000'000;
    for(int i = 0; i < 1000; ++i) {
        plugin_host::instance inst(ioc.get_executor(), api(), "testex", "{}", &sink);
        REQUIRE(inst.create());
        plugin_host::plugin_provider prov(inst);
        prov.set_sink(&sink);
        prov.open_account("u" + std::to_string(i), test_account(), all_streams, 1);
        REQUIRE(inst.live_ops() == 4);
        inst.destroy();
        REQUIRE(inst.live_ops() == 0);
    }
    ioc.run();
    CHECK(ctl().creates == 1000);
    CHECK(ctl().destroys == 1000);
    CHECK(ctl().timers_fired == 0);
    CHECK(sink.datas.empty());
}
