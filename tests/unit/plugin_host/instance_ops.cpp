// The op registry and the operations the host runs for a plugin (timers, HTTP, WebSocket).
#include "plugin_host/op_registry.hpp"
#include "test_plugin.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace tradepush;
using namespace tradepush::test_plugin;
using plugin_host::op_kind;
using plugin_host::op_registry;

TEST_CASE("op_registry: ids are never 0 and never reused", "[plugin_host][op_registry]")
{
    op_registry r;
    std::set<tradepush_op> seen;
    for(int i = 0; i < 1000; ++i) {
        auto op = r.add(i % 2 ? "a" : "b", 1, op_kind::timer, 0);
        CHECK(op != 0);
        CHECK(seen.insert(op).second);
        if(i % 3 == 0)
            r.cancel(op);
        else
            r.erase(op);
    }
    CHECK(r.size() == 0);
    CHECK(r.indexed_users() == 0);
}

TEST_CASE("op_registry: cancel is idempotent, unknown ops ignored, cancel_user is per user", "[plugin_host][op_registry]")
{
    op_registry r;
    int cancels = 0;
    auto a1 = r.add("a", 1, op_kind::timer, 0);
    auto a2 = r.add("a", 2, op_kind::http, 0);
    auto b1 = r.add("b", 1, op_kind::ws, 0);
    for(auto op : {a1, a2, b1})
        r.find(op)->cancel = [&] { ++cancels; };

    CHECK(r.cancel(a1));
    CHECK_FALSE(r.cancel(a1));
    CHECK_FALSE(r.cancel(0));
    CHECK_FALSE(r.cancel(12345));
    CHECK(cancels == 1);

    CHECK(r.cancel_user("a") == 1); // a2, any epoch
    CHECK(r.cancel_user("a") == 0);
    CHECK(r.size("b") == 1);
    CHECK(r.cancel_all() == 1);
    CHECK(cancels == 3);
    CHECK(r.size() == 0);
}

TEST_CASE("op_cancel from the plugin: idempotent, unknown ops ignored, no completion", "[plugin_host][instance]")
{
    harness h;
    ctl().timer_delay_ns = 1'000'000;
    ctl().on_open = [](tradepush_host* host, tradepush_host_api const* api, tradepush_owner const* owner) {
        auto op = api->timer_start(host, owner, 1'000'000, 5);
        api->op_cancel(host, op);
        api->op_cancel(host, op);
        api->op_cancel(host, 0);
        api->op_cancel(host, 999'999);
    };
    h.prov.open_account("alice", test_account(), 1u, 1);
    CHECK(h.inst.live_ops() == 1);
    h.run();
    CHECK(ctl().timers_fired == 1); // only the snapshot timer
    CHECK(h.sink.datas.size() == 1);
    CHECK(h.inst.counters().refused_calls == 0);
}

TEST_CASE("op ids handed to the plugin are unique across users and kinds", "[plugin_host][instance]")
{
    harness h;
    for(int i = 0; i < 50; ++i)
        h.prov.open_account("u" + std::to_string(i % 7), test_account(), all_streams, 1);
    h.run();
    std::set<tradepush_op> ids(ctl().ops.begin(), ctl().ops.end());
    CHECK(ids.size() == ctl().ops.size());
    CHECK(ids.count(0) == 0);
}

TEST_CASE("HTTP: the request is copied, the response reaches the plugin once", "[plugin_host][instance]")
{
    harness h;
    ctl().on_open = [](tradepush_host* host, tradepush_host_api const* api, tradepush_owner const* owner) {
        // Borrowed strings that die right after the call: the host must copy them.
        std::string url = "https://api.example/v5/account?x=1";
        std::string hname = "X-BAPI-SIGN", hvalue = "abc";
        tradepush_header hd{{hname.data(), hname.size()}, {hvalue.data(), hvalue.size()}};
        tradepush_http_request req{};
        req.struct_size = sizeof req;
        req.method = {"POST", 4};
        req.url = {url.data(), url.size()};
        req.headers = &hd;
        req.header_count = 1;
        req.body = {"{}", 2};
        req.timeout_ms = 1500;
        ctl().ops.push_back(api->http_request(host, owner, &req, 77));
        url.assign(url.size(), 'x');
        hvalue.assign(hvalue.size(), 'x');
    };
    h.prov.open_account("alice", test_account(), 0, 1);
    REQUIRE(h.io.http.size() == 1);
    auto& call = h.io.http[0];
    CHECK(call.req.method == "POST");
    CHECK(call.req.url == "https://api.example/v5/account?x=1");
    REQUIRE(call.req.headers.size() == 1);
    CHECK(call.req.headers[0].second == "abc");
    CHECK(call.req.body == "{}");
    CHECK(call.req.timeout == std::chrono::milliseconds(1500));
    CHECK(h.inst.live_ops() == 1);

    call.done(plugin_host::http_response_data{200, {}, {{"k", "v"}}, "{\"ok\":1}", std::chrono::nanoseconds(5)});
    h.run();
    CHECK(ctl().http_done == std::vector<std::string>{"200 {\"ok\":1}"});
    CHECK(h.inst.live_ops() == 0);
}

TEST_CASE("HTTP / WS without a client are refused with op 0", "[plugin_host][instance]")
{
    control_reset reset;
    boost::asio::io_context ioc;
    recording_sink sink;
    plugin_host::instance inst(ioc.get_executor(), api(), "testex", "{}", &sink, nullptr);
    REQUIRE(inst.create());
    plugin_host::plugin_provider prov(inst);
    tradepush_op http = 1, ws = 1;
    ctl().on_open = [&](tradepush_host* host, tradepush_host_api const* api, tradepush_owner const* owner) {
        tradepush_http_request req{};
        req.struct_size = sizeof req;
        req.url = {"https://x", 9};
        http = api->http_request(host, owner, &req, 0);
        tradepush_ws_open w{};
        w.struct_size = sizeof w;
        w.url = {"wss://x", 7};
        ws = api->ws_open(host, owner, &w, 0);
    };
    prov.open_account("alice", test_account(), 0, 1);
    CHECK(http == 0);
    CHECK(ws == 0);
    CHECK(inst.live_ops() == 0);
}

TEST_CASE("WebSocket: events in order, send, closed ends the op", "[plugin_host][instance]")
{
    harness h;
    tradepush_op ws = 0;
    ctl().on_open = [&](tradepush_host* host, tradepush_host_api const* api, tradepush_owner const*) {
        tradepush_owner const pub{{nullptr, 0}, 0};
        // An older plugin's smaller struct: the host must not read past struct_size.
        tradepush_ws_open w{};
        w.struct_size = offsetof(tradepush_ws_open, timeout_ms);
        w.url = {"wss://stream/public", 19};
        w.timeout_ms = 1;
        ws = api->ws_open(host, &pub, &w, 3);
    };
    h.prov.open_account("alice", test_account(), 0, 1);
    REQUIRE(ws != 0);
    REQUIRE(h.io.ws.size() == 1);
    CHECK(h.io.ws[0].req.timeout == std::chrono::milliseconds(10000)); // default, not the unread field

    auto& c = h.io.ws[0];
    c.on_event(plugin_host::ws_event_kind::open, {});
    c.on_event(plugin_host::ws_event_kind::text, "hello");
    CHECK(ctl().ws_events == std::vector<std::string>{"0 ", "1 hello"});

    // ws_send is only valid inside an entry point: do it from a command.
    tradepush_status sent = TRADEPUSH_E_INTERNAL;
    ctl().on_open = [&](tradepush_host* host, tradepush_host_api const* api, tradepush_owner const*) {
        sent = api->ws_send(host, ws, {"ping", 4}, 0);
    };
    h.prov.open_account("alice", test_account(), 0, 1);
    CHECK(sent == TRADEPUSH_OK);
    CHECK(c.h->sent == std::vector<std::string>{"ping"});

    c.on_event(plugin_host::ws_event_kind::closed, "bye");
    CHECK(ctl().ws_events.back() == "3 bye");
    CHECK(h.inst.live_ops() == 0);
    // Fenced or not, a public WebSocket survives reset_user: it has no user.
}

TEST_CASE("upstream counters: answered, failed, error status, latency buckets, WebSocket opens and closes", "[plugin_host][instance][metrics]")
{
    harness h;
    ctl().on_open = [](tradepush_host* host, tradepush_host_api const* api, tradepush_owner const* owner) {
        tradepush_http_request req{};
        req.struct_size = sizeof req;
        req.url = {"https://api.example/v5/x", 24};
        for(int i = 0; i < 4; ++i)
            ctl().ops.push_back(api->http_request(host, owner, &req, 0));
        tradepush_ws_open ws{};
        ws.struct_size = sizeof ws;
        ws.url = {"wss://stream.example/v5", 23};
        ctl().ops.push_back(api->ws_open(host, owner, &ws, 0));
    };
    h.prov.open_account("alice", test_account(), 0, 1);
    REQUIRE(h.io.http.size() == 4);
    using namespace std::chrono_literals;
    h.io.http[0].done(plugin_host::http_response_data{200, {}, {}, "{}", 5ms});
    h.io.http[1].done(plugin_host::http_response_data{503, {}, {}, "", 40ms});
    h.io.http[2].done(plugin_host::http_response_data{0, "connect: refused", {}, "", 1ms});
    // A completion for an op the user no longer owns still counts as upstream traffic.
    h.prov.reset_user("alice");
    h.io.http[3].done(plugin_host::http_response_data{200, {}, {}, "{}", 20s});
    REQUIRE(h.io.ws.size() == 1);
    h.io.ws[0].on_event(plugin_host::ws_event_kind::open, "");
    h.io.ws[0].on_event(plugin_host::ws_event_kind::closed, "bye");
    h.run();

    auto const c = h.inst.counters();
    CHECK(c.http_responses == 3);
    CHECK(c.http_failures == 1);
    CHECK(c.http_error_status == 1);
    CHECK(c.http_latency_buckets[0] == 1); // 5 ms <= 10 ms
    CHECK(c.http_latency_buckets[2] == 1); // 40 ms <= 50 ms
    CHECK(c.http_latency_buckets.back() == 1); // 20 s: above every bound
    CHECK(c.http_latency_sum_s == Approx(20.045));
    CHECK(c.ws_opens == 1);
    CHECK(c.ws_closes == 1);
}
