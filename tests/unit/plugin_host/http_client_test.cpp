// Test that header file is self-contained.
#include "plugin_host/http_client.hpp"

#include "plugin_host/net_test_servers.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <optional>

using namespace tradepush::plugin_host;
using namespace tradepush::plugin_host::test;
using namespace std::chrono_literals;

namespace {

std::string
header(http_response_data const& res, std::string_view name)
{
    for (auto const& [n, v] : res.headers)
        if (beast::iequals(n, name))
            return v;
    return {};
}

/// A client io_context plus client, and a helper that runs one request to completion.
struct client_fixture {
    explicit client_fixture(http_client_options opts = {}, ssl::context* tls = nullptr)
        : tls_ctx(ssl::context::tls_client), client(ioc.get_executor(), tls ? *tls : tls_ctx, opts)
    {
    }

    http_response_data
    fetch(http_request_data req)
    {
        std::optional<http_response_data> res;
        client.request(std::move(req), [&](http_response_data r) { res = std::move(r); });
        REQUIRE(run_until(ioc, [&] { return res.has_value(); }, 10s));
        return std::move(*res);
    }

    net::io_context ioc;
    ssl::context tls_ctx;
    http_client client;
};

http_request_data
get(std::string url)
{
    http_request_data req;
    req.url = std::move(url);
    return req;
}

std::string
base(server_base const& srv, char const* scheme = "http")
{
    return std::string(scheme) + "://127.0.0.1:" + std::to_string(srv.port());
}

} // namespace

TEST_CASE("http_client GET round trip with headers", "[http_client]")
{
    http_test_server srv;
    client_fixture f;
    auto req = get(base(srv) + "/echo");
    req.headers = {{"X-Test", "hello"}};
    auto res = f.fetch(req);
    CHECK(res.error.empty());
    CHECK(res.status == 200);
    CHECK(header(res, "X-Method") == "GET");
    CHECK(header(res, "X-Test") == "hello");
    CHECK(header(res, "X-Host") == "127.0.0.1:" + std::to_string(srv.port()));
    CHECK(res.elapsed > 0ns);
}

TEST_CASE("http_client POST sends body and Content-Length", "[http_client]")
{
    http_test_server srv;
    client_fixture f;
    auto req = get(base(srv) + "/echo");
    req.method = "POST";
    req.body = R"({"a":1})";
    req.headers = {{"Content-Type", "application/json"}};
    auto res = f.fetch(req);
    CHECK(res.status == 200);
    CHECK(res.body == R"({"a":1})");
    CHECK(header(res, "X-Method") == "POST");
    CHECK(header(res, "X-Length") == "7");
}

TEST_CASE("http_client unknown route gives the status, not an error", "[http_client]")
{
    http_test_server srv;
    client_fixture f;
    auto res = f.fetch(get(base(srv) + "/nope"));
    CHECK(res.status == 404);
    CHECK(res.error.empty());
}

TEST_CASE("http_client timeout gives status 0 and \"timeout\"", "[http_client]")
{
    http_test_server srv;
    client_fixture f;
    auto req = get(base(srv) + "/slow");
    req.timeout = 200ms;
    auto const t0 = std::chrono::steady_clock::now();
    auto res = f.fetch(req);
    auto const took = std::chrono::steady_clock::now() - t0;
    CHECK(res.status == 0);
    CHECK(res.error == "timeout");
    CHECK(took >= 190ms);
    CHECK(took < 2s);
}

TEST_CASE("http_client cancel: the handler never runs", "[http_client]")
{
    http_test_server srv;
    client_fixture f;
    bool called = false;

    SECTION("cancel right after request()")
    {
        auto h = f.client.request(get(base(srv) + "/echo"), [&](http_response_data) { called = true; });
        h->cancel();
        h->cancel(); // idempotent
        run_for(f.ioc, 300ms);
    }
    SECTION("cancel while waiting for the response")
    {
        auto req = get(base(srv) + "/slow");
        req.timeout = 300ms;
        auto h = f.client.request(req, [&](http_response_data) { called = true; });
        REQUIRE(run_until(f.ioc, [&] { return srv.connections() == 1; }));
        run_for(f.ioc, 50ms);
        h->cancel();
        run_for(f.ioc, 500ms); // past the timeout too
    }
    SECTION("cancel on a bad URL before the posted error runs")
    {
        auto h = f.client.request(get("ftp://x"), [&](http_response_data) { called = true; });
        h->cancel();
        run_for(f.ioc, 100ms);
    }
    CHECK_FALSE(called);
    CHECK(f.client.idle_connections() == 0);
}

TEST_CASE("http_client destroying the client cancels requests in flight", "[http_client]")
{
    http_test_server srv;
    net::io_context ioc;
    ssl::context tls(ssl::context::tls_client);
    bool called = false;
    {
        http_client client(ioc.get_executor(), tls);
        client.request(get(base(srv) + "/slow"), [&](http_response_data) { called = true; });
        run_until(ioc, [&] { return srv.connections() == 1; });
    }
    run_for(ioc, 100ms);
    CHECK_FALSE(called);
}

TEST_CASE("http_client connection refused is an error", "[http_client]")
{
    // A port that was just free: bind, read it, close.
    unsigned short port = 0;
    {
        net::io_context tmp;
        tcp::acceptor a(tmp, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
        port = a.local_endpoint().port();
    }
    client_fixture f;
    auto res = f.fetch(get("http://127.0.0.1:" + std::to_string(port) + "/"));
    CHECK(res.status == 0);
    CHECK(res.error.rfind("connect: ", 0) == 0);
}

TEST_CASE("http_client bad URLs fail asynchronously", "[http_client]")
{
    client_fixture f;
    for (auto url : {"ftp://x/", "http://", "ws://127.0.0.1/", "http://h:99999/", "http://u:p@h/"}) {
        bool inline_call = true;
        bool called = false;
        std::string error;
        f.client.request(get(url), [&](http_response_data r) {
            called = true;
            error = r.error;
            CHECK_FALSE(inline_call);
        });
        inline_call = false;
        REQUIRE(run_until(f.ioc, [&] { return called; }));
        CHECK(error == "bad url");
    }
    // Header injection is refused too.
    auto req = get("http://127.0.0.1:1/");
    req.headers = {{"X-A", "1\r\nX-B: 2"}};
    CHECK(f.fetch(req).error == "bad header");
}

TEST_CASE("http_client keep-alive reuses one connection", "[http_client]")
{
    http_test_server srv;
    client_fixture f;
    CHECK(f.fetch(get(base(srv) + "/echo")).status == 200);
    CHECK(f.client.idle_connections() == 1);
    CHECK(f.fetch(get(base(srv) + "/echo")).status == 200);
    CHECK(srv.connections() == 1);
    CHECK(f.client.idle_connections() == 1);

    SECTION("Connection: close is not pooled")
    {
        CHECK(f.fetch(get(base(srv) + "/close")).body == "bye");
        CHECK(f.client.idle_connections() == 0);
        CHECK(f.fetch(get(base(srv) + "/echo")).status == 200);
        CHECK(srv.connections() == 2);
    }
    SECTION("a pooled connection the server closed is not reused")
    {
        CHECK(f.fetch(get(base(srv) + "/drop")).body == "dropping");
        run_for(f.ioc, 100ms);
        auto req = get(base(srv) + "/echo");
        req.method = "POST"; // not retried: must not be sent on the dead connection at all
        req.body = "x";
        auto res = f.fetch(req);
        CHECK(res.status == 200);
        CHECK(res.body == "x");
        CHECK(srv.connections() == 2);
    }
}

TEST_CASE("http_client idle limits", "[http_client]")
{
    http_test_server srv;
    http_client_options opts;
    opts.max_idle_per_endpoint = 1;
    opts.idle_timeout = 1s;
    client_fixture f(opts);
    // Two concurrent requests need two connections; only one may stay idle.
    int done = 0;
    f.client.request(get(base(srv) + "/echo"), [&](http_response_data) { ++done; });
    f.client.request(get(base(srv) + "/echo"), [&](http_response_data) { ++done; });
    REQUIRE(run_until(f.ioc, [&] { return done == 2; }));
    CHECK(srv.connections() == 2);
    CHECK(f.client.idle_connections() == 1);
    // The sweep closes it after idle_timeout.
    CHECK(run_until(f.ioc, [&] { return f.client.idle_connections() == 0; }, 3s));
}

TEST_CASE("http_client opens at most max_connections_per_endpoint, the rest wait in order", "[http_client]")
{
    http_test_server srv;
    http_client_options opts;
    opts.max_connections_per_endpoint = 2;
    client_fixture f(opts);
    std::vector<std::string> answered;
    for(int i = 0; i < 12; ++i) {
        auto req = get(base(srv) + "/echo");
        req.method = "POST";
        req.body = std::to_string(i);
        f.client.request(req, [&](http_response_data r) { answered.push_back(r.body); });
    }
    // Two go now, ten wait.
    CHECK(f.client.stats().busy == 2);
    CHECK(f.client.stats().waiting == 10);
    REQUIRE(run_until(f.ioc, [&] { return answered.size() == 12; }));
    // Every request was served over the two connections (the order is the gate's, tested on its own).
    CHECK(srv.connections() == 2);
    std::sort(answered.begin(), answered.end());
    CHECK(std::unique(answered.begin(), answered.end()) == answered.end());
    auto const st = f.client.stats();
    CHECK(st.busy == 0);
    CHECK(st.waiting == 0);
    CHECK(st.idle == 2);
}

TEST_CASE("http_client: a request waiting for a connection times out, and a full line refuses", "[http_client]")
{
    http_test_server srv;
    http_client_options opts;
    opts.max_connections_per_endpoint = 1;
    opts.max_queued_per_endpoint = 1;
    client_fixture f(opts);
    auto slow = get(base(srv) + "/slow");
    slow.timeout = 3s;
    std::optional<http_response_data> held, waiting, refused;
    f.client.request(slow, [&](http_response_data r) { held = std::move(r); });
    auto quick = get(base(srv) + "/echo");
    quick.timeout = 300ms;
    f.client.request(quick, [&](http_response_data r) { waiting = std::move(r); });
    f.client.request(quick, [&](http_response_data r) { refused = std::move(r); });
    REQUIRE(run_until(f.ioc, [&] { return waiting && refused; }));
    CHECK(refused->error == "queue full");
    CHECK(waiting->error == "timeout");
    CHECK(srv.connections() == 1); // the waiting request never opened a connection
    // The slot frees when the slow request ends: the next request gets it.
    REQUIRE(run_until(f.ioc, [&] { return held.has_value(); }, 10s));
    CHECK(f.fetch(get(base(srv) + "/echo")).status == 200);
}

TEST_CASE("http_client: cancelling a waiting request lets the next one through", "[http_client]")
{
    http_test_server srv;
    http_client_options opts;
    opts.max_connections_per_endpoint = 1;
    client_fixture f(opts);
    auto slow = get(base(srv) + "/slow");
    slow.timeout = 400ms;
    bool cancelled_called = false;
    std::optional<http_response_data> first, last;
    f.client.request(slow, [&](http_response_data r) { first = std::move(r); });
    auto h = f.client.request(get(base(srv) + "/echo"), [&](http_response_data) { cancelled_called = true; });
    f.client.request(get(base(srv) + "/echo"), [&](http_response_data r) { last = std::move(r); });
    h->cancel();
    CHECK(f.client.stats().busy == 1);
    REQUIRE(run_until(f.ioc, [&] { return last.has_value(); }, 10s));
    CHECK(first->error == "timeout");
    CHECK(last->status == 200);
    CHECK_FALSE(cancelled_called);
    CHECK(f.client.stats().busy == 0);
}

TEST_CASE("http_client response too large", "[http_client]")
{
    http_test_server srv;
    http_client_options opts;
    opts.max_response_bytes = 1000;
    client_fixture f(opts);
    auto res = f.fetch(get(base(srv) + "/big"));
    CHECK(res.status == 0);
    CHECK(res.error == "response too large");
    // A small response on the same client still works.
    CHECK(f.fetch(get(base(srv) + "/echo")).status == 200);
}

TEST_CASE("http_client big response under the limit", "[http_client]")
{
    http_test_server srv;
    client_fixture f;
    auto res = f.fetch(get(base(srv) + "/big"));
    CHECK(res.status == 200);
    CHECK(res.body.size() == 1024 * 1024);
}

TEST_CASE("http_client https round trip and reuse", "[http_client][tls]")
{
    auto server_ctx = test_server_context();
    http_test_server srv(&server_ctx);
    auto client_ctx = trusting_client_context();
    client_fixture f({}, &client_ctx);

    for (auto host : {"127.0.0.1", "localhost"}) {
        auto req = get(std::string("https://") + host + ":" + std::to_string(srv.port()) + "/echo");
        req.method = "POST";
        req.body = "secret";
        auto res = f.fetch(req);
        INFO(res.error);
        CHECK(res.status == 200);
        CHECK(res.body == "secret");
    }
    // Same (scheme, host, port) reuses; "localhost" is a different pool key from 127.0.0.1.
    CHECK(f.fetch(get(base(srv, "https") + "/echo")).status == 200);
    CHECK(srv.connections() == 2);
}

TEST_CASE("http_client https rejects an untrusted certificate", "[http_client][tls]")
{
    auto server_ctx = test_server_context();
    http_test_server srv(&server_ctx);
    ssl::context untrusting(ssl::context::tls_client); // no roots at all
    client_fixture f({}, &untrusting);
    auto res = f.fetch(get(base(srv, "https") + "/echo"));
    CHECK(res.status == 0);
    CHECK(res.error.rfind("tls: ", 0) == 0);
}

TEST_CASE("http_client https to a plain server fails with tls", "[http_client][tls]")
{
    http_test_server srv;
    auto client_ctx = trusting_client_context();
    client_fixture f({}, &client_ctx);
    auto res = f.fetch(get(base(srv, "https") + "/echo"));
    CHECK(res.status == 0);
    CHECK(res.error.rfind("tls: ", 0) == 0);
}
