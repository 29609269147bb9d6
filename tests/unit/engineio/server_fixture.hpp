#pragma once
// The Engine.IO server fixtures shared by the tests that run it over loopback: an echo handler, a
// one-request HTTP client, a server on one shard with its own thread, and a WebSocket-only client.

#include "engineio/server.hpp"
#include "engineio/ws_frames.hpp"
#include "engineio/ws_test_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json/parse.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <memory>
#include <optional>
#include <thread>

namespace tradepush::engineio::test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

// Echoes every message, like the reference Engine.IO test server.
struct echo_handler : session_handler {
    std::weak_ptr<session> s;
    std::shared_ptr<std::atomic<int>> closes;
    void on_message(std::string_view data, bool binary) override
    {
        if(auto p = s.lock()) {
            if(!binary && data == "!burst") {
                // Four streams' pushes in one go, the first stream twice: the newer replaces the
                // older while both wait.
                p->send(tradepush::outbound_message::text("4s1a"), 1);
                p->send(tradepush::outbound_message::text("4s2"), 2);
                p->send(tradepush::outbound_message::text("4s3"), 3);
                p->send(tradepush::outbound_message::text("4x"), 0);
                p->send(tradepush::outbound_message::text("4s1b"), 1);
                return;
            }
            if(!binary && data == "!bye") {
                // The last word, then the close (as the gateway ends a session whose token expired).
                p->send_text("bye");
                p->close("bye");
                return;
            }
            if(!binary && data == "!remote") {
                p->send_text(p->handshake().remote.address().to_string());
                return;
            }
            if(!binary && data == "!stats") {
                auto const st = p->stats();
                p->send_text("writes=" + std::to_string(st.writes) + " sent=" + std::to_string(st.messages_sent) +
                    " conflated=" + std::to_string(st.messages_conflated));
                return;
            }
            if(binary)
                p->send_binary(data);
            else
                p->send_text(data);
        }
    }
    void on_close(std::string_view) override { ++*closes; }
};

// One HTTP/1.1 request on a fresh loopback connection, read to the end of its response.
inline http::response<http::string_body>
http_request(unsigned short port, http::verb verb, std::string target, std::string body = {},
    std::string content_type = "text/plain;charset=UTF-8")
{
    net::io_context c;
    beast::tcp_stream stream(c);
    stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    http::request<http::string_body> req(verb, target, 11);
    req.set(http::field::host, "127.0.0.1");
    if(!body.empty())
        req.set(http::field::content_type, content_type);
    req.body() = body;
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(stream, buf, res);
    return res;
}

struct fixture {
    net::io_context ioc;
    std::unique_ptr<server> srv;
    std::thread thread;
    std::shared_ptr<std::atomic<int>> closes = std::make_shared<std::atomic<int>>(0);
    std::optional<net::executor_work_guard<net::io_context::executor_type>> work;

    explicit fixture(options opts, std::optional<connection_options> conn = std::nullopt)
    {
        srv = std::make_unique<server>(std::vector<net::io_context*>{&ioc});
        if(conn)
            srv->set_connection_options(*conn);
        srv->add_endpoint(opts, [c = closes](session_ptr const& s) {
            auto h = std::make_shared<echo_handler>();
            h->s = s;
            h->closes = c;
            return h;
        });
        srv->add_route("/healthz", [](std::string_view) { return http_reply{200, "text/plain", "ok"}; });
        REQUIRE(srv->listen(tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)));
        work.emplace(ioc.get_executor());
        thread = std::thread([this] { ioc.run(); });
    }
    ~fixture()
    {
        srv->close_all();
        srv.reset();
        work.reset();
        ioc.stop();
        thread.join();
    }

    http::response<http::string_body> request(http::verb verb, std::string target, std::string body = {},
        std::string content_type = "text/plain;charset=UTF-8")
    {
        return http_request(srv->port(), verb, std::move(target), std::move(body), std::move(content_type));
    }

    std::string handshake()
    {
        auto res = request(http::verb::get, "/engine.io/?EIO=4&transport=polling");
        REQUIRE(res.result_int() == 200);
        REQUIRE(res.body().front() == '0');
        return std::string(boost::json::parse(res.body().substr(1)).at("sid").as_string());
    }
};

inline options
test_options()
{
    options o;
    o.path = "/engine.io/";
    o.ping_interval = std::chrono::milliseconds(300);
    o.ping_timeout = std::chrono::milliseconds(200);
    return o;
}

// No heartbeat within a test's lifetime: every frame a client reads is one the test caused.
inline options
quiet_options()
{
    auto o = test_options();
    o.ping_interval = std::chrono::milliseconds(60000);
    o.ping_timeout = std::chrono::milliseconds(60000);
    return o;
}

// A WebSocket-only client of the echo server.
struct ws_client : tradepush::engineio::test::ws_test_client {
    using ws_test_client::ws_test_client;
    // {writes, sent, conflated} as the session counts them, before its answer is sent.
    std::array<std::uint64_t, 3> stats()
    {
        write("4!stats");
        auto const line = read();
        std::array<std::uint64_t, 3> v{};
        REQUIRE(std::sscanf(line.c_str(), "4writes=%" SCNu64 " sent=%" SCNu64 " conflated=%" SCNu64, &v[0], &v[1], &v[2]) == 3);
        return v;
    }
};

/// Waits (bounded) until `pred` holds; returns whether it did.
template<class Pred>
bool
eventually(Pred pred, std::chrono::milliseconds limit = std::chrono::milliseconds(5000))
{
    auto const end = std::chrono::steady_clock::now() + limit;
    while(!pred()) {
        if(std::chrono::steady_clock::now() > end)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

/// A raw TCP client that does the WebSocket handshake by hand and reads nothing back: for tests of
/// clients that stop reading. `receive_buffer` > 0 shrinks its kernel receive buffer first, so the
/// server's writes back up quickly.
inline void
raw_ws_connect(tcp::socket& sock, unsigned short port, int receive_buffer = 0)
{
    sock.open(tcp::v4());
    if(receive_buffer > 0)
        sock.set_option(net::socket_base::receive_buffer_size(receive_buffer));
    sock.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    std::string const upgrade = "GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    net::write(sock, net::buffer(upgrade));
}

} // namespace tradepush::engineio::test
