// Heap an idle WebSocket session holds on the server, counted by this binary's own operator new and
// delete (only on the server's thread). Idle memory per connection is a stated target (bench/: at
// most a third of Node socket.io's); this catches a per-session buffer or map creeping back in
// without a benchmark run. Byte counts, not timings: nothing here depends on machine load.
#include "engineio/server.hpp"
#include "engineio/ws_test_client.hpp"

#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <catch2/catch.hpp>

#include <malloc.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <future>
#include <new>
#include <thread>

namespace {

thread_local bool counting = false;
std::atomic<std::int64_t> live_bytes{0};

void*
counted_alloc(std::size_t n, std::size_t align)
{
    void* p = align > alignof(std::max_align_t) ? std::aligned_alloc(align, (n + align - 1) / align * align)
                                                : std::malloc(n ? n : 1);
    if(!p)
        throw std::bad_alloc();
    if(counting)
        live_bytes.fetch_add(static_cast<std::int64_t>(malloc_usable_size(p)), std::memory_order_relaxed);
    return p;
}

void
counted_free(void* p) noexcept
{
    if(p && counting)
        live_bytes.fetch_sub(static_cast<std::int64_t>(malloc_usable_size(p)), std::memory_order_relaxed);
    std::free(p);
}

} // namespace

void* operator new(std::size_t n) { return counted_alloc(n, 0); }
void* operator new[](std::size_t n) { return counted_alloc(n, 0); }
void* operator new(std::size_t n, std::align_val_t a) { return counted_alloc(n, static_cast<std::size_t>(a)); }
void* operator new[](std::size_t n, std::align_val_t a) { return counted_alloc(n, static_cast<std::size_t>(a)); }
void operator delete(void* p) noexcept { counted_free(p); }
void operator delete[](void* p) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t) noexcept { counted_free(p); }
void operator delete(void* p, std::align_val_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { counted_free(p); }

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using namespace tradepush::engineio;
using tcp = net::ip::tcp;

struct echo_handler : session_handler {
    std::weak_ptr<session> s;
    void on_message(std::string_view data, bool) override
    {
        if(auto p = s.lock())
            p->send_text(data);
    }
    void on_close(std::string_view) override {}
};

// A browser-like upgrade request: its cookies and user agent must not be kept per session.
void
browser_headers(websocket::request_type& req)
{
    req.set(beast::http::field::user_agent,
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36");
    req.set(beast::http::field::cookie, std::string(400, 'c'));
    req.set(beast::http::field::origin, "https://app.example.com");
}

using client = tradepush::engineio::test::ws_test_client;

// Runs `f` on the server's thread and waits for it.
template<class F>
void
on_server(net::io_context& ioc, F f)
{
    std::promise<void> done;
    net::post(ioc, [&] {
        f();
        done.set_value();
    });
    done.get_future().wait();
}

} // namespace

TEST_CASE("an idle WebSocket session holds little heap on the server", "[memory][engineio]")
{
    options opts;
    opts.path = "/engine.io/";
    // No heartbeat during the test: the figure is the idle state, not a ping in flight.
    opts.ping_interval = std::chrono::milliseconds(60000);
    opts.ping_timeout = std::chrono::milliseconds(60000);

    net::io_context ioc;
    auto work = net::make_work_guard(ioc);
    std::thread thread([&] { ioc.run(); });
    auto srv = std::make_unique<server>(std::vector<net::io_context*>{&ioc});
    srv->add_endpoint(opts, [](session_ptr const& s) {
        auto h = std::make_shared<echo_handler>();
        h->s = s;
        return h;
    });
    REQUIRE(srv->listen(tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)));
    on_server(ioc, [] { counting = true; });

    // The first session sizes the shard's lazily created buffers; it is not counted.
    client first(srv->port(), browser_headers);
    first.write("4warm");
    REQUIRE(first.read() == "4warm");

    std::int64_t before = 0;
    on_server(ioc, [&] { before = live_bytes.load(); });
    constexpr int n = 100;
    std::vector<std::unique_ptr<client>> clients;
    for(int i = 0; i < n; ++i) {
        clients.push_back(std::make_unique<client>(srv->port(), browser_headers, "EIO=4&transport=websocket&t=PxQ3a1b"));
        // One message each way, as a client that connects and subscribes does.
        clients.back()->write("4subscribe " + std::string(200, 'x'));
        REQUIRE(clients.back()->read().starts_with("4subscribe "));
    }
    std::int64_t after = 0;
    on_server(ioc, [&] { after = live_bytes.load(); });
    REQUIRE(srv->stats().sessions == n + 1);

    auto const per_session = (after - before) / n;
    INFO("heap per idle WebSocket session: " << per_session << " bytes");
    // Measured 1413 bytes (session, transport, heartbeat wait, the shard's index): 1389 before
    // each WebSocket carried its count against its client address's socket limit (24 bytes). It
    // was 3365 while the session kept the handshake's query and headers in maps, the transport kept
    // its 101 preamble's buffer, the parser its last message's and each session an idle upgrade timer.
    CHECK(per_session <= 1425);
    WARN("heap per idle WebSocket session: " << per_session << " bytes");

    for(auto& c : clients)
        c->ws.close(websocket::close_code::normal);
    first.ws.close(websocket::close_code::normal);
    clients.clear();
    on_server(ioc, [] { counting = false; });
    srv->close_all();
    srv.reset();
    work.reset();
    ioc.stop();
    thread.join();
}
