// Protocol echo server for conformance tests, shaped like the reference test-suite servers:
//  - Socket.IO on /socket.io/: namespaces "/" and "/custom" accept every CONNECT and emit "auth" with
//    the CONNECT payload; "message" -> "message-back" with the same arguments (binary preserved),
//    "message-with-ack" -> ack with the same arguments; other namespaces get "Invalid namespace".
//  - Engine.IO on /engine.io/: every message is sent back as it came (text as text, binary as binary).
// Prints `listening on <port>` as the first stdout line; exits cleanly on SIGINT/SIGTERM.

#include "engineio/server.hpp"
#include "socketio/server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <charconv>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace net = boost::asio;
namespace json = boost::json;
using namespace tradepush;

namespace {

struct config {
    std::string host = "127.0.0.1";
    unsigned short port = 0;
    long ping_interval_ms = 25000;
    long ping_timeout_ms = 20000;
    long connect_timeout_ms = 45000;
    long max_payload = 1000000;
    long workers = 1;
};

//------------------------------------------------------------------------------------------------

// The socket.io-protocol test-suite server: echo events, answer acks, report auth.
class echo_namespace final : public socketio::namespace_handler {
public:
    void on_connect(socketio::socket_ptr const& s, json::object const& auth) override
    {
        s->accept();
        s->emit("auth", json::array{auth});
    }

    void on_event(socketio::socket_ptr const& s, socketio::event&& ev) override
    {
        // Placeholders and attachments go back untouched, so binary arguments round-trip.
        if(ev.name == "message")
            s->emit("message-back", std::move(ev.args), std::move(ev.attachments));
        else if(ev.name == "message-with-ack" && ev.ack_id)
            s->ack(*ev.ack_id, std::move(ev.args), std::move(ev.attachments));
    }

    void on_disconnect(socketio::socket_ptr const&, std::string_view) override {}
};

//------------------------------------------------------------------------------------------------

// The engine.io-protocol test-suite server: `socket.on("message", (...args) => socket.send(...args))`.
class engine_echo final : public engineio::session_handler {
public:
    explicit engine_echo(engineio::session_ptr session)
        : session_(std::move(session))
    {
    }

    void on_message(std::string_view data, bool binary) override
    {
        if(!session_)
            return;
        if(binary)
            session_->send_binary(data);
        else
            session_->send_text(data);
    }

    // The session owns us: drop the back reference to break the cycle.
    void on_close(std::string_view) override { session_.reset(); }

private:
    engineio::session_ptr session_;
};

//------------------------------------------------------------------------------------------------

bool
parse_long(std::string_view s, long& out)
{
    auto const [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc{} && p == s.data() + s.size() && out >= 0;
}

int
usage(char const* argv0)
{
    std::cerr << "usage: " << argv0
              << " [--port N] [--host ADDR] [--ping-interval MS] [--ping-timeout MS]"
                 " [--connect-timeout MS] [--max-payload BYTES] [--workers N]\n";
    return 2;
}

} // namespace

int
main(int argc, char** argv)
{
    config cfg;
    for(int i = 1; i < argc; ++i) {
        std::string_view const arg = argv[i];
        if(i + 1 >= argc)
            return usage(argv[0]);
        std::string_view const val = argv[++i];
        long n = 0;
        if(arg == "--host") {
            cfg.host = std::string(val);
            continue;
        }
        if(!parse_long(val, n))
            return usage(argv[0]);
        if(arg == "--port" && n <= 65535)
            cfg.port = static_cast<unsigned short>(n);
        else if(arg == "--ping-interval")
            cfg.ping_interval_ms = n;
        else if(arg == "--ping-timeout")
            cfg.ping_timeout_ms = n;
        else if(arg == "--connect-timeout")
            cfg.connect_timeout_ms = n;
        else if(arg == "--max-payload")
            cfg.max_payload = n;
        else if(arg == "--workers" && n >= 1)
            cfg.workers = n;
        else
            return usage(argv[0]);
    }

    boost::system::error_code ec;
    auto const address = net::ip::make_address(cfg.host, ec);
    if(ec) {
        std::cerr << "bad --host " << cfg.host << ": " << ec.message() << "\n";
        return 2;
    }

    // One io_context per shard, each run by one thread. Declared before the servers so that they
    // are destroyed after them.
    std::vector<std::unique_ptr<net::io_context>> contexts;
    std::vector<net::io_context*> shards;
    for(long i = 0; i < cfg.workers; ++i) {
        contexts.push_back(std::make_unique<net::io_context>(1));
        shards.push_back(contexts.back().get());
    }

    socketio::options sio_opts;
    sio_opts.connect_timeout = std::chrono::milliseconds(cfg.connect_timeout_ms);
    socketio::server sio(sio_opts);
    auto echo = std::make_shared<echo_namespace>();
    sio.of("/", echo);
    sio.of("/custom", echo);

    engineio::options eio_opts;
    eio_opts.ping_interval = std::chrono::milliseconds(cfg.ping_interval_ms);
    eio_opts.ping_timeout = std::chrono::milliseconds(cfg.ping_timeout_ms);
    eio_opts.max_payload = static_cast<std::size_t>(cfg.max_payload);

    // Held by pointer so it can be destroyed while the shards still exist (see the end of main).
    auto eio = std::make_unique<engineio::server>(shards);
    auto sio_endpoint = eio_opts;
    sio_endpoint.path = "/socket.io/";
    eio->add_endpoint(sio_endpoint, sio.session_factory());
    auto eio_endpoint = eio_opts;
    eio_endpoint.path = "/engine.io/";
    eio->add_endpoint(eio_endpoint, [](engineio::session_ptr const& s) -> std::shared_ptr<engineio::session_handler> {
        return std::make_shared<engine_echo>(s);
    });

    if(auto r = eio->listen(net::ip::tcp::endpoint(address, cfg.port)); !r) {
        std::cerr << "listen on " << cfg.host << ":" << cfg.port << " failed: " << r.error().message() << "\n";
        return 1;
    }
    // Tests read the port from this line, so it must be the first one and flushed right away.
    std::cout << "listening on " << eio->port() << std::endl;

    // SIGINT/SIGTERM: stop accepting, close every session, give the close frames a moment to leave,
    // then stop the shards.
    net::signal_set signals(*shards.front(), SIGINT, SIGTERM);
    net::steady_timer grace(*shards.front());
    signals.async_wait([&](boost::system::error_code const& ec, int) {
        if(ec)
            return;
        eio->stop_accepting();
        eio->close_all();
        grace.expires_after(std::chrono::milliseconds(200));
        grace.async_wait([&](boost::system::error_code const&) {
            for(auto* ioc : shards)
                ioc->stop();
        });
    });

    std::vector<std::thread> threads;
    for(std::size_t i = 1; i < shards.size(); ++i)
        threads.emplace_back([ioc = shards[i]] { ioc->run(); });
    shards.front()->run();
    for(auto& t : threads)
        t.join();

    // The engine's core lives as long as handlers queued on any shard hold it, and it owns objects
    // bound to every shard. So destroy the server (it cancels its acceptors and timers), then run
    // the shards on this thread, one at a time, until no handler is left: the core then goes while
    // all io_contexts still exist, instead of inside the first io_context's destructor.
    eio.reset();
    auto const deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    for(bool busy = true; busy && std::chrono::steady_clock::now() < deadline;) {
        busy = false;
        for(auto* ioc : shards) {
            ioc->restart();
            if(ioc->poll() > 0)
                busy = true;
        }
    }
    return 0;
}
