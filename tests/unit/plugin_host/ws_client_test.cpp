// Test that header file is self-contained.
#include "plugin_host/ws_client.hpp"

#include "plugin_host/net_test_servers.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

using namespace tradepush::plugin_host;
using namespace tradepush::plugin_host::test;
using namespace std::chrono_literals;

namespace {

struct event {
    ws_event_kind kind;
    std::string data;
};

/// A client io_context, a ws_client and the events of the connection opened through it.
struct ws_fixture {
    explicit ws_fixture(ssl::context* tls = nullptr)
        : tls_ctx(ssl::context::tls_client), client(ioc.get_executor(), tls ? *tls : tls_ctx)
    {
    }

    std::shared_ptr<ws_connection>
    open(std::string url, header_list headers = {}, std::size_t max_message = 16 * 1024 * 1024)
    {
        ws_open_data req;
        req.url = std::move(url);
        req.headers = std::move(headers);
        req.timeout = 3s;
        req.max_message_bytes = max_message;
        conn = client.open(std::move(req), [this](ws_event_kind k, std::string_view d) {
            events.push_back({k, std::string(d)});
            if (on_event)
                on_event(k);
        });
        return conn;
    }

    bool
    wait_events(std::size_t n)
    {
        return run_until(ioc, [&] { return events.size() >= n; });
    }

    std::size_t
    count(ws_event_kind k) const
    {
        return static_cast<std::size_t>(
            std::count_if(events.begin(), events.end(), [&](event const& e) { return e.kind == k; }));
    }

    net::io_context ioc;
    ssl::context tls_ctx;
    ws_client client;
    std::shared_ptr<ws_connection> conn;
    std::vector<event> events;
    std::function<void(ws_event_kind)> on_event;
};

std::string
ws_url(server_base const& srv, char const* scheme = "ws", char const* path = "/stream")
{
    return std::string(scheme) + "://127.0.0.1:" + std::to_string(srv.port()) + path;
}

/// Opens, echoes a text and a binary message, then asks the server to close.
void
echo_and_server_close(ws_fixture& f, std::string const& url)
{
    f.open(url, {{"X-Test", "hdr"}});
    CHECK_FALSE(f.conn->send("early", false)); // not open yet
    REQUIRE(f.wait_events(1));
    REQUIRE(f.events[0].kind == ws_event_kind::open);

    CHECK(f.conn->send("hello", false));
    CHECK(f.conn->send(std::string("\x00\x01\x02", 3), true));
    REQUIRE(f.wait_events(3));
    CHECK(f.events[1].kind == ws_event_kind::text);
    CHECK(f.events[1].data == "hello");
    CHECK(f.events[2].kind == ws_event_kind::binary);
    CHECK(f.events[2].data == std::string("\x00\x01\x02", 3));

    CHECK(f.conn->send("close-me", false));
    REQUIRE(f.wait_events(4));
    CHECK(f.events[3].kind == ws_event_kind::closed);
    CHECK(f.events[3].data == "closed by server (1000: bye)");
    CHECK_FALSE(f.conn->send("late", false));
    run_for(f.ioc, 100ms);
    CHECK(f.events.size() == 4);
}

} // namespace

TEST_CASE("ws_client echo text and binary, then server close", "[ws_client]")
{
    ws_test_server srv;
    ws_fixture f;
    echo_and_server_close(f, ws_url(srv));
    CHECK(srv.last_x_test() == "hdr");
}

TEST_CASE("ws_client queues many sends in order", "[ws_client]")
{
    ws_test_server srv;
    ws_fixture f;
    f.open(ws_url(srv));
    REQUIRE(f.wait_events(1));
    for (int i = 0; i < 50; ++i)
        REQUIRE(f.conn->send(std::to_string(i), false));
    REQUIRE(f.wait_events(51));
    for (int i = 0; i < 50; ++i)
        CHECK(f.events[static_cast<std::size_t>(i) + 1].data == std::to_string(i));
}

TEST_CASE("ws_client cancel: no events afterwards", "[ws_client]")
{
    ws_test_server srv;
    ws_fixture f;

    SECTION("before open")
    {
        f.open(ws_url(srv));
        f.conn->cancel();
        f.conn->cancel();
        run_for(f.ioc, 200ms);
        CHECK(f.events.empty());
    }
    SECTION("inside the open event, with a message in flight")
    {
        f.on_event = [&](ws_event_kind k) {
            if (k == ws_event_kind::open) {
                f.conn->send("hello", false);
                f.conn->cancel();
            }
        };
        f.open(ws_url(srv));
        REQUIRE(f.wait_events(1));
        run_for(f.ioc, 200ms);
        CHECK(f.events.size() == 1);
        CHECK_FALSE(f.conn->send("x", false));
    }
    SECTION("while open and idle")
    {
        f.open(ws_url(srv));
        REQUIRE(f.wait_events(1));
        f.conn->cancel();
        run_for(f.ioc, 200ms);
        CHECK(f.events.size() == 1);
    }
}

TEST_CASE("ws_client destroying the client cancels its connections", "[ws_client]")
{
    ws_test_server srv;
    net::io_context ioc;
    ssl::context tls(ssl::context::tls_client);
    int events = 0;
    {
        ws_client client(ioc.get_executor(), tls);
        ws_open_data req;
        req.url = ws_url(srv);
        client.open(req, [&](ws_event_kind, std::string_view) { ++events; });
        run_until(ioc, [&] { return events == 1; });
    }
    run_for(ioc, 100ms);
    CHECK(events == 1);
}

TEST_CASE("ws_client failures give one closed event", "[ws_client]")
{
    ws_fixture f;

    SECTION("connection refused")
    {
        unsigned short port = 0;
        {
            net::io_context tmp;
            tcp::acceptor a(tmp, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
            port = a.local_endpoint().port();
        }
        f.open("ws://127.0.0.1:" + std::to_string(port) + "/");
        REQUIRE(f.wait_events(1));
        CHECK(f.events[0].data.rfind("connect: ", 0) == 0);
    }
    SECTION("upgrade refused")
    {
        ws_test_server srv;
        f.open(ws_url(srv, "ws", "/reject"));
        REQUIRE(f.wait_events(1));
        INFO(f.events[0].data);
        CHECK(f.events[0].data.rfind("handshake: ", 0) == 0);
        CHECK(f.events[0].data.find("status 403") != std::string::npos);
    }
    SECTION("bad url")
    {
        f.open("http://127.0.0.1/");
        CHECK(f.events.empty()); // never inline
        REQUIRE(f.wait_events(1));
        CHECK(f.events[0].data == "bad url");
    }
    SECTION("timeout: a TCP server that never upgrades")
    {
        net::io_context tmp;
        tcp::acceptor a(tmp, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
        ws_open_data req;
        req.url = "ws://127.0.0.1:" + std::to_string(a.local_endpoint().port()) + "/";
        req.timeout = 200ms;
        f.conn = f.client.open(req, [&](ws_event_kind k, std::string_view d) { f.events.push_back({k, std::string(d)}); });
        REQUIRE(f.wait_events(1));
        CHECK(f.events[0].data == "timeout");
    }
    SECTION("message too large")
    {
        ws_test_server srv;
        f.open(ws_url(srv), {}, 100);
        REQUIRE(f.wait_events(1));
        f.conn->send("big", false);
        REQUIRE(f.wait_events(2));
        CHECK(f.events[1].data == "message too large");
    }
    run_for(f.ioc, 100ms);
    CHECK(f.count(ws_event_kind::closed) == 1);
    CHECK(f.events.back().kind == ws_event_kind::closed);
}

TEST_CASE("ws_client: at most max_connects_per_endpoint attempts at once, the rest wait", "[ws_client]")
{
    ws_test_server srv;
    net::io_context ioc;
    ssl::context tls(ssl::context::tls_client);
    ws_client_options opts;
    opts.max_connects_per_endpoint = 1;
    ws_client client(ioc.get_executor(), tls, opts);
    std::vector<std::shared_ptr<ws_connection>> conns;
    std::size_t opened = 0, most_connecting = 0;
    for(int i = 0; i < 5; ++i) {
        ws_open_data req;
        req.url = "ws://127.0.0.1:" + std::to_string(srv.port()) + "/";
        req.timeout = 5s;
        conns.push_back(client.open(std::move(req), [&](ws_event_kind k, std::string_view) {
            if(k == ws_event_kind::open)
                ++opened;
        }));
    }
    CHECK(client.stats().connecting == 1);
    CHECK(client.stats().waiting == 4);
    REQUIRE(run_until(ioc, [&] {
        most_connecting = std::max(most_connecting, client.stats().connecting);
        return opened == 5;
    }));
    CHECK(most_connecting == 1);
    // Open sockets do not hold slots.
    CHECK(client.stats().connecting == 0);
    CHECK(client.stats().waiting == 0);
    for(auto& c : conns)
        c->cancel();
}

TEST_CASE("ws_client wss echo", "[ws_client][tls]")
{
    auto server_ctx = test_server_context();
    ws_test_server srv(&server_ctx);
    auto client_ctx = trusting_client_context();
    ws_fixture f(&client_ctx);
    echo_and_server_close(f, ws_url(srv, "wss"));
}

TEST_CASE("ws_client wss rejects an untrusted certificate", "[ws_client][tls]")
{
    auto server_ctx = test_server_context();
    ws_test_server srv(&server_ctx);
    ws_fixture f; // default context: trusts nothing
    f.open(ws_url(srv, "wss"));
    REQUIRE(f.wait_events(1));
    CHECK(f.events[0].kind == ws_event_kind::closed);
    CHECK(f.events[0].data.rfind("tls: ", 0) == 0);
}
