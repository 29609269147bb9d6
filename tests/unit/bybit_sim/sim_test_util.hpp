#pragma once
// Helpers for the simulator tests: fixture loading, key-set comparison, a signed REST request
// builder, and (for the socket tests) a server running on its own thread plus small Beast clients
// with bounded waits.

#include "app.hpp"
#include "server.hpp"
#include "sign.hpp"
#include "state_file.hpp"

#include <boost/asio/connect.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>

namespace tradepush::bybit_sim::test {

namespace json = boost::json;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

/// A documented sample payload from tests/data/bybit/.
inline json::value
load_fixture(std::string const& name)
{
    std::ifstream in(std::string(TRADEPUSH_TEST_DATA_DIR) + "/bybit/" + name);
    REQUIRE(in.good());
    std::stringstream ss;
    ss << in.rdbuf();
    return json::parse(ss.str());
}

/// The key set of a JSON object.
inline std::set<std::string>
keys_of(json::object const& o)
{
    std::set<std::string> k;
    for (auto const& [key, v] : o)
        k.insert(std::string(key));
    return k;
}

/// Same JSON kind (string/number/bool/object/array) for every key both objects have.
inline void
check_same_kinds(json::object const& ours, json::object const& theirs)
{
    for (auto const& [key, v] : theirs) {
        if (!ours.contains(key))
            continue;
        auto const& mine = ours.at(key);
        INFO("field " << std::string(key));
        bool const both_numbers = (mine.is_int64() || mine.is_uint64() || mine.is_double()) &&
            (v.is_int64() || v.is_uint64() || v.is_double());
        CHECK((mine.kind() == v.kind() || both_numbers));
    }
}

/// A GET request signed like a real client, for the in-process app.
inline http::request<http::string_body>
signed_get(std::string const& path, std::string const& query, std::string const& key, std::string const& secret,
    std::int64_t ts, std::string const& recv_window = "5000")
{
    http::request<http::string_body> req{http::verb::get, query.empty() ? path : path + "?" + query, 11};
    req.set("X-BAPI-API-KEY", key);
    req.set("X-BAPI-TIMESTAMP", std::to_string(ts));
    if (!recv_window.empty())
        req.set("X-BAPI-RECV-WINDOW", recv_window);
    req.set("X-BAPI-SIGN", rest_signature(secret, std::to_string(ts), key, recv_window, query));
    return req;
}

/// An unsigned GET.
inline http::request<http::string_body>
plain_get(std::string const& target)
{
    return http::request<http::string_body>{http::verb::get, target, 11};
}

/// A JSON POST (control API).
inline http::request<http::string_body>
json_post(std::string const& target, std::string body)
{
    http::request<http::string_body> req{http::verb::post, target, 11};
    req.set(http::field::content_type, "application/json");
    req.body() = std::move(body);
    req.prepare_payload();
    return req;
}

/// The app with the demo preset, no automatic ticks, a frozen clock at a round instant.
inline std::shared_ptr<app>
make_demo_app(sim_config cfg = {})
{
    cfg.tick_ms = 0;
    auto a = std::make_shared<app>(cfg);
    a->clock().freeze(1'700'000'000'000);
    install_demo_preset(*a);
    return a;
}

/// Parses a reply body as JSON object.
inline json::object
body_of(http_reply const& r)
{
    return json::parse(r.body).as_object();
}

//------------------------------------------------------------------------------

/// The simulator on 127.0.0.1:0, its io_context on a private thread. Tests talk to it only through
/// sockets (the app is not thread-safe).
class running_sim {
public:
    explicit running_sim(sim_config cfg = {})
    {
        cfg.tick_ms = 0;
        app_ = std::make_shared<app>(cfg);
        install_demo_preset(*app_);
        server_ = std::make_unique<server>(ioc_, app_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
        server_->run();
        thread_ = std::thread([this] { ioc_.run(); });
    }
    ~running_sim()
    {
        ioc_.stop();
        thread_.join();
        server_.reset();
    }
    running_sim(running_sim const&) = delete;
    running_sim& operator=(running_sim const&) = delete;

    unsigned short
    port() const
    {
        return server_->port();
    }

private:
    net::io_context ioc_{1};
    std::shared_ptr<app> app_;
    std::unique_ptr<server> server_;
    std::thread thread_;
};

/// A reply read over a real socket.
struct wire_reply {
    unsigned status = 0;
    std::string body;
    http::fields headers;

    json::object
    json() const
    {
        return json::parse(body).as_object();
    }
};

/// One request on a fresh connection.
inline wire_reply
request(unsigned short port, http::request<http::string_body> req)
{
    net::io_context ioc;
    beast::tcp_stream stream(ioc);
    stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    req.set(http::field::host, "127.0.0.1");
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(stream, buf, res);
    wire_reply r;
    r.status = res.result_int();
    r.body = res.body();
    for (auto const& f : res)
        r.headers.set(f.name_string(), f.value());
    return r;
}

/// POST to the control API; REQUIREs ok:true.
inline json::object
control(unsigned short port, std::string const& target, std::string body = "{}")
{
    auto r = request(port, json_post(target, std::move(body)));
    INFO(r.body);
    REQUIRE(r.status == 200);
    auto o = r.json();
    REQUIRE(o.at("ok").as_bool());
    return o;
}

/// A WebSocket client whose reads give up after a deadline.
class ws_client {
public:
    ws_client(unsigned short port, std::string const& target) : ws_(ioc_)
    {
        beast::get_lowest_layer(ws_).connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
        ws_.handshake("127.0.0.1", target);
    }

    void
    send(std::string const& text)
    {
        ws_.write(net::buffer(text));
    }

    /// Next message, or an error (closed, reset, timed_out).
    struct result {
        boost::system::error_code ec;
        bool timed_out = false;
        std::string text;
    };

    result
    read(std::chrono::milliseconds timeout = std::chrono::seconds(5))
    {
        result r;
        bool done = false;
        ws_.async_read(buf_, [&](boost::system::error_code ec, std::size_t) {
            done = true;
            r.ec = ec;
            if (!ec) {
                r.text = beast::buffers_to_string(buf_.data());
                buf_.consume(buf_.size());
            }
        });
        ioc_.restart();
        ioc_.run_for(timeout);
        if (!done) {
            r.timed_out = true;
            beast::get_lowest_layer(ws_).cancel();
            ioc_.restart();
            ioc_.run();
        }
        return r;
    }

    /// Next message as a JSON object; REQUIREs one arrives.
    json::object
    read_json()
    {
        auto r = read();
        INFO(r.ec.message());
        REQUIRE(!r.ec);
        REQUIRE(!r.timed_out);
        return json::parse(r.text).as_object();
    }

    /// Reads until a message satisfying `pred` (at most `max` messages).
    template <class Pred>
    json::object
    read_until(Pred pred, int max = 50)
    {
        for (int i = 0; i < max; ++i) {
            auto o = read_json();
            if (pred(o))
                return o;
        }
        FAIL("expected message not seen");
        return {};
    }

private:
    net::io_context ioc_;
    websocket::stream<beast::tcp_stream> ws_;
    beast::flat_buffer buf_;
};

/// Signed auth op for the private stream.
inline std::string
ws_auth_op(std::string const& key, std::string const& secret, std::int64_t expires)
{
    json::object o;
    o["op"] = "auth";
    o["args"] = json::array{json::value(key), json::value(expires), json::value(ws_signature(secret, expires))};
    return json::serialize(o);
}

/// Current wall clock in ms (the sim's clock when no skew/freeze is set).
inline std::int64_t
wall_ms()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace tradepush::bybit_sim::test
