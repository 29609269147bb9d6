// The epoch fence (DESIGN invariant 5) as the host enforces it for plugins.
#include "test_plugin.hpp"

#include <catch2/catch.hpp>

using namespace tradepush;
using namespace tradepush::test_plugin;

TEST_CASE("open_account: one snapshot per stream reaches the sink with the request's epoch", "[plugin_host][instance]")
{
    harness h;
    REQUIRE(h.created);
    h.prov.open_account("alice", test_account(), all_streams, 7);
    REQUIRE(h.inst.live_ops() == 4);
    h.run();
    REQUIRE(h.sink.datas.size() == 4);
    for(std::size_t i = 0; i < 4; ++i) {
        auto const& d = h.sink.datas[i];
        CHECK(d.user == "alice");
        CHECK(d.account == "main");
        CHECK(d.epoch == 7);
        CHECK(static_cast<std::size_t>(d.type) == i);
        CHECK(d.json == "{\"stream\":" + std::to_string(i) + ",\"epoch\":7}");
    }
    auto const c = h.inst.counters();
    CHECK(c.emits == 4);
    CHECK(c.stale_completions == 0);
    CHECK(h.inst.live_ops() == 0);
    CHECK(ctl().calls.at(0) == "open_account alice main 15 7 KEY");
}

TEST_CASE("epoch fence: a timer started before reset_user is never delivered after it", "[plugin_host][instance][fence]")
{
    harness h;
    ctl().timer_delay_ns = 60'000'000'000; // a slow upstream: one minute
    h.prov.open_account("alice", test_account(), all_streams, 1);
    h.poll();
    REQUIRE(h.inst.live_ops("alice") == 4);

    h.prov.reset_user("alice");
    // The fence is synchronous: ops gone and epoch forgotten before the plugin even hears of it.
    CHECK(h.inst.live_ops("alice") == 0);
    CHECK_FALSE(h.inst.epoch("alice"));
    h.run(); // returns at once: the cancelled timers complete as aborted

    CHECK(ctl().timers_fired == 0);
    CHECK(h.sink.datas.empty());
    CHECK(h.inst.counters().stale_completions == 4);
    CHECK(ctl().calls.back() == "reset_user alice 1");
    CHECK(h.inst.tracked_users() == 0);
}

TEST_CASE("epoch fence: a completion of an older epoch is dropped even when not cancelled", "[plugin_host][instance][fence]")
{
    harness h;
    ctl().timer_delay_ns = 5'000'000; // 5 ms
    h.prov.open_account("alice", test_account(), 1u << 0, 1);
    // The hub moved on (e.g. flushed the user) without a reset: a new epoch for the same user.
    ctl().timer_delay_ns = 0;
    h.prov.open_account("alice", test_account(), 1u << 1, 2);
    h.run();
    // Only the new epoch's timer reached the plugin and the sink.
    CHECK(ctl().timers_fired == 1);
    REQUIRE(h.sink.datas.size() == 1);
    CHECK(h.sink.datas[0].epoch == 2);
    CHECK(h.sink.datas[0].type == feed::stream_type::positions);
    CHECK(h.inst.counters().stale_completions == 1);
    CHECK(h.inst.live_ops() == 0);
}

TEST_CASE("epoch fence: an emit carrying a stale epoch is dropped and counted", "[plugin_host][instance][fence]")
{
    harness h;
    ctl().emit_epoch_offset = -1; // the plugin emits with epoch 4 while the hub uses 5
    h.prov.open_account("alice", test_account(), all_streams, 5);
    h.run();
    CHECK(ctl().timers_fired == 4);
    CHECK(h.sink.datas.empty());
    CHECK(h.inst.counters().stale_emits == 4);
    CHECK(h.inst.counters().emits == 0);
}

TEST_CASE("epoch fence: reset of one user leaves another user's ops alone", "[plugin_host][instance][fence]")
{
    harness h;
    ctl().timer_delay_ns = 1'000'000;
    h.prov.open_account("alice", test_account(), all_streams, 1);
    h.prov.open_account("bob", test_account(), all_streams, 2);
    h.prov.reset_user("alice");
    h.run();
    REQUIRE(h.sink.datas.size() == 4);
    for(auto const& d : h.sink.datas)
        CHECK(d.user == "bob");
}

TEST_CASE("epoch fence: reset_user of an unknown user is harmless and idempotent", "[plugin_host][instance][fence]")
{
    harness h;
    h.prov.reset_user("nobody");
    h.prov.reset_user("nobody");
    h.run();
    CHECK(ctl().calls == std::vector<std::string>{"reset_user nobody 0", "reset_user nobody 0"});
    CHECK(h.inst.tracked_users() == 0);
}

TEST_CASE("epoch fence: HTTP and WebSocket completions of a fenced user are swallowed", "[plugin_host][instance][fence]")
{
    harness h;
    ctl().open_status = TRADEPUSH_OK;
    ctl().on_open = [](tradepush_host* host, tradepush_host_api const* api, tradepush_owner const* owner) {
        tradepush_http_request req{};
        req.struct_size = sizeof req;
        req.method = {"GET", 3};
        req.url = {"https://x/y", 11};
        ctl().ops.push_back(api->http_request(host, owner, &req, 11));
        tradepush_ws_open ws{};
        ws.struct_size = sizeof ws;
        ws.url = {"wss://x/ws", 10};
        ctl().ops.push_back(api->ws_open(host, owner, &ws, 12));
    };
    h.prov.open_account("alice", test_account(), 0, 1);
    REQUIRE(h.io.http.size() == 1);
    REQUIRE(h.io.ws.size() == 1);
    CHECK(h.io.http[0].req.url == "https://x/y");

    h.prov.reset_user("alice");
    CHECK(h.io.http[0].h->cancelled);
    CHECK(h.io.ws[0].h->cancelled);
    // A backend that fires anyway (a race in a real client) still cannot reach the plugin.
    h.io.http[0].done(plugin_host::http_response_data{200, {}, {}, "late", {}});
    h.io.ws[0].on_event(plugin_host::ws_event_kind::text, "late");
    h.run();
    CHECK(ctl().http_done.empty());
    CHECK(ctl().ws_events.empty());
    CHECK(h.inst.counters().stale_completions == 2);
}

TEST_CASE("epoch fence: a WebSocket message of an older epoch closes the socket, unseen", "[plugin_host][instance][fence]")
{
    harness h;
    ctl().on_open = [](tradepush_host* host, tradepush_host_api const* api, tradepush_owner const* owner) {
        tradepush_ws_open ws{};
        ws.struct_size = sizeof ws;
        ws.url = {"wss://x/private", 15};
        ctl().ops.push_back(api->ws_open(host, owner, &ws, 1));
    };
    h.prov.open_account("alice", test_account(), 0, 1);
    ctl().on_open = nullptr;
    h.prov.open_account("alice", test_account(), 0, 2); // new epoch, no reset
    REQUIRE(h.io.ws.size() == 1);
    h.io.ws[0].on_event(plugin_host::ws_event_kind::text, "old session");
    CHECK(ctl().ws_events.empty());
    CHECK(h.io.ws[0].h->cancelled);
    CHECK(h.inst.live_ops() == 0);
    CHECK(h.inst.counters().stale_completions == 1);
}
