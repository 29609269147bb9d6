// Connection-level limits over real loopback sockets: sockets and handshakes per client address, the
// unauthenticated budget, the header deadline, and clients named by trusted proxies (PROXY protocol
// v1/v2, X-Forwarded-For).
#include "engineio/server_fixture.hpp"

#include <boost/asio/read.hpp>

#include <algorithm>

using namespace tradepush::engineio;
using namespace tradepush::engineio::test;
using namespace std::chrono_literals;

namespace {

// A TCP connection from `source` (any 127.0.0.0/8 address) to the server.
std::unique_ptr<tcp::socket>
connect_from(net::io_context& c, unsigned short port, char const* source = "127.0.0.1")
{
    auto s = std::make_unique<tcp::socket>(c);
    s->open(tcp::v4());
    s->bind(tcp::endpoint(net::ip::make_address(source), 0));
    s->connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    return s;
}

// True when the server closed `s` (EOF or reset) within `limit`.
bool
closed_by_server(tcp::socket& s, std::chrono::milliseconds limit = 3000ms)
{
    s.non_blocking(true);
    auto const end = std::chrono::steady_clock::now() + limit;
    char buf[256];
    while(std::chrono::steady_clock::now() < end) {
        beast::error_code ec;
        s.read_some(net::buffer(buf), ec);
        if(ec == net::error::eof || ec == net::error::connection_reset)
            return true;
        if(ec && ec != net::error::would_block)
            return true;
        std::this_thread::sleep_for(10ms);
    }
    return false;
}

// One HTTP/1.1 request on `s` (after `prefix`, e.g. a PROXY header); the response.
http::response<http::string_body>
request_on(tcp::socket& s, std::string target, std::string prefix = {}, std::string extra_headers = {})
{
    std::string req = prefix + "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra_headers + "\r\n";
    net::write(s, net::buffer(req));
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(s, buf, res);
    return res;
}

constexpr char const* handshake_target = "/engine.io/?EIO=4&transport=polling";

// The peer address the session was opened for, asked through the echo handler.
std::string
remote_of(fixture& f, std::string const& sid, std::string const& source = "127.0.0.1")
{
    // One keep-alive connection for both requests: a per-address socket limit of 1 must not get
    // in the way of the question.
    net::io_context c;
    auto s = connect_from(c, f.srv->port(), source.c_str());
    std::string body = "4!remote";
    std::string req = "POST /engine.io/?EIO=4&transport=polling&sid=" + sid +
        " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain;charset=UTF-8\r\nContent-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body;
    net::write(*s, net::buffer(req));
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(*s, buf, res);
    REQUIRE(res.result_int() == 200);
    auto polled = request_on(*s, "/engine.io/?EIO=4&transport=polling&sid=" + sid);
    return polled.body().substr(1); // the '4' of the message packet
}

std::string
sid_of(http::response<http::string_body> const& res)
{
    REQUIRE(res.result_int() == 200);
    return std::string(boost::json::parse(res.body().substr(1)).at("sid").as_string());
}

connection_options
limits()
{
    auto o = connection_options::unlimited();
    o.header_timeout = 10000ms;
    return o;
}

} // namespace

TEST_CASE("max_sockets_per_address: more connections from one address are closed, others get in",
    "[engineio][server][limits]")
{
    auto conn = limits();
    conn.max_sockets_per_address = 3;
    fixture f(quiet_options(), conn);
    net::io_context c;
    std::vector<std::unique_ptr<tcp::socket>> held;
    for(int i = 0; i < 3; ++i)
        held.push_back(connect_from(c, f.srv->port()));
    REQUIRE(eventually([&] { return f.srv->stats().http_connections == 3; }));
    auto extra = connect_from(c, f.srv->port());
    CHECK(closed_by_server(*extra));
    CHECK(f.srv->stats().refused_address == 1);
    // Another address is not affected: /healthz answers.
    auto other = connect_from(c, f.srv->port(), "127.0.0.2");
    CHECK(request_on(*other, "/healthz").body() == "ok");
    // A place freed is a place taken again.
    held.pop_back();
    REQUIRE(eventually([&] { return f.srv->stats().http_connections == 3; }));
    auto again = connect_from(c, f.srv->port());
    CHECK(request_on(*again, "/healthz").body() == "ok");
}

TEST_CASE("handshakes_per_second_per_address: past the burst a handshake gets 429", "[engineio][server][limits]")
{
    auto conn = limits();
    conn.handshakes_per_second_per_address = 0.001; // nothing refills within the test
    conn.handshake_burst_per_address = 2;
    fixture f(quiet_options(), conn);
    CHECK(f.request(http::verb::get, handshake_target).result_int() == 200);
    CHECK(f.request(http::verb::get, handshake_target).result_int() == 200);
    auto const refused = f.request(http::verb::get, handshake_target);
    CHECK(refused.result_int() == 429);
    CHECK(f.srv->stats().refused_handshake_rate == 1);
    // Another address has its own budget.
    net::io_context c;
    auto other = connect_from(c, f.srv->port(), "127.0.0.2");
    CHECK(request_on(*other, handshake_target).result_int() == 200);
}

TEST_CASE("max_unauthenticated_sessions: sessions without a token cannot take every place",
    "[engineio][server][limits]")
{
    auto conn = limits();
    conn.max_unauthenticated_sessions = 2;
    fixture f(quiet_options(), conn);
    // The echo handler never authenticates its sessions.
    CHECK(f.request(http::verb::get, handshake_target).result_int() == 200);
    CHECK(f.request(http::verb::get, handshake_target).result_int() == 200);
    auto const busy = f.request(http::verb::get, handshake_target);
    CHECK(busy.result_int() == 503);
    CHECK(busy.body() == "server busy\n");
    CHECK(f.srv->stats().unauthenticated == 2);
    CHECK(f.srv->stats().refused_unauthenticated == 1);
    CHECK(f.srv->stats().evicted_unauthenticated == 0); // both are within their grace
}

TEST_CASE("max_unauthenticated_sessions: past its grace the oldest unauthenticated session makes way",
    "[engineio][server][limits]")
{
    auto conn = limits();
    conn.max_unauthenticated_sessions = 2;
    conn.unauthenticated_grace = 200ms;
    fixture f(quiet_options(), conn);
    auto const oldest = sid_of(f.request(http::verb::get, handshake_target));
    std::this_thread::sleep_for(50ms);
    auto const second = sid_of(f.request(http::verb::get, handshake_target));
    // Both within the grace: a flood can refuse a newcomer, never cut off a client mid-handshake.
    CHECK(f.request(http::verb::get, handshake_target).result_int() == 503);
    std::this_thread::sleep_for(300ms);
    auto const third = sid_of(f.request(http::verb::get, handshake_target));
    auto const s = f.srv->stats();
    CHECK(s.evicted_unauthenticated == 1);
    CHECK(s.unauthenticated == 2);
    // A noop POST answers "ok" while the session exists (a GET would wait for a packet).
    auto const noop = [&](std::string const& sid) {
        return f.request(http::verb::post, std::string(handshake_target) + "&sid=" + sid, "6").body();
    };
    CHECK(noop(oldest) == R"({"code":1,"message":"Session ID unknown"})");
    CHECK(noop(second) == "ok");
    CHECK(noop(third) == "ok");
}

TEST_CASE("header_timeout: a connection that sends no request is closed", "[engineio][server][limits]")
{
    auto conn = limits();
    conn.header_timeout = 300ms;
    fixture f(quiet_options(), conn);
    net::io_context c;
    auto idle = connect_from(c, f.srv->port());
    auto trickle = connect_from(c, f.srv->port());
    net::write(*trickle, net::buffer(std::string("GET /healthz HTTP/1.1\r\nHost: x\r\n")));
    auto const t0 = std::chrono::steady_clock::now();
    CHECK(closed_by_server(*idle, 5000ms));
    CHECK(closed_by_server(*trickle, 5000ms));
    CHECK(std::chrono::steady_clock::now() - t0 < 3000ms);
}

TEST_CASE("header_timeout: idle sockets opened together are closed over a span, not in one burst",
    "[engineio][server][limits]")
{
    auto conn = limits();
    conn.header_timeout = 1600ms; // closes fall between 1400 and 1600 ms after accept
    fixture f(quiet_options(), conn);
    net::io_context c;
    std::vector<std::unique_ptr<tcp::socket>> idle;
    for(int i = 0; i < 40; ++i)
        idle.push_back(connect_from(c, f.srv->port()));
    auto const t0 = std::chrono::steady_clock::now();
    std::vector<std::chrono::steady_clock::duration> closed_at(idle.size(), std::chrono::steady_clock::duration::max());
    for(auto& s : idle)
        s->non_blocking(true);
    std::size_t open = idle.size();
    while(open > 0 && std::chrono::steady_clock::now() - t0 < 10s) {
        for(std::size_t i = 0; i < idle.size(); ++i) {
            if(closed_at[i] != std::chrono::steady_clock::duration::max())
                continue;
            char byte;
            beast::error_code ec;
            idle[i]->read_some(net::buffer(&byte, 1), ec);
            if(ec && ec != net::error::would_block) {
                closed_at[i] = std::chrono::steady_clock::now() - t0;
                --open;
            }
        }
        std::this_thread::sleep_for(2ms);
    }
    REQUIRE(open == 0);
    auto const [first, last] = std::minmax_element(closed_at.begin(), closed_at.end());
    // Never before 7/8 of the deadline (less a margin for the accept, which follows our connect)...
    CHECK(*first >= 1300ms);
    // ...and spread over the last eighth: 40 draws from 200 ms span far more than 60 ms, while
    // closes due in the same millisecond would all land within a few.
    CHECK(*last - *first >= 60ms);
}

TEST_CASE("a trusted proxy's PROXY header names the client, without one its connection is refused",
    "[engineio][server][proxy]")
{
    auto conn = limits();
    tradepush::add_network(conn.trusted_proxies, "127.0.0.1");
    conn.proxy_protocol = true;
    conn.max_sockets_per_address = 1;
    fixture f(quiet_options(), conn);
    net::io_context c;

    SECTION("v1")
    {
        auto s = connect_from(c, f.srv->port());
        auto const sid = sid_of(request_on(*s, handshake_target, "PROXY TCP4 203.0.113.7 127.0.0.1 40000 80\r\n"));
        // The session belongs to the named client. (remote_of's own requests come from 127.0.0.2,
        // which is not a trusted proxy: no header needed.)
        CHECK(remote_of(f, sid, "127.0.0.2") == "203.0.113.7");
    }
    SECTION("v2, and the per-address limit applies to the named client")
    {
        std::string v2("\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x0c", 16);
        v2 += std::string("\xcb\x00\x71\x09\x7f\x00\x00\x01\x9c\x40\x00\x50", 12); // 203.0.113.9:40000
        auto s = connect_from(c, f.srv->port());
        auto const sid = sid_of(request_on(*s, handshake_target, v2));
        CHECK(remote_of(f, sid, "127.0.0.2") == "203.0.113.9");
        // A second connection naming the same client while the first is open: over its limit of 1.
        auto second = connect_from(c, f.srv->port());
        net::write(*second, net::buffer(v2));
        CHECK(closed_by_server(*second));
        CHECK(f.srv->stats().refused_address == 1);
    }
    SECTION("no header from a trusted proxy")
    {
        auto s = connect_from(c, f.srv->port());
        net::write(*s, net::buffer(std::string("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")));
        CHECK(closed_by_server(*s));
        CHECK(f.srv->stats().refused_proxy == 1);
    }
}

TEST_CASE("X-Forwarded-For is read from trusted proxies only, rightmost untrusted address first",
    "[engineio][server][proxy]")
{
    auto conn = limits();
    tradepush::add_network(conn.trusted_proxies, "127.0.0.1");
    tradepush::add_network(conn.trusted_proxies, "10.0.0.0/8");
    fixture f(quiet_options(), conn);
    net::io_context c;
    auto via_proxy = connect_from(c, f.srv->port());
    // The client wrote the first entry itself; 10.1.2.3 is a trusted hop; 198.51.100.9 is the client
    // the outermost trusted proxy saw.
    auto const sid = sid_of(request_on(*via_proxy, handshake_target, {},
        "X-Forwarded-For: 192.0.2.66, 198.51.100.9, 10.1.2.3\r\n"));
    CHECK(remote_of(f, sid, "127.0.0.2") == "198.51.100.9");

    auto direct = connect_from(c, f.srv->port(), "127.0.0.2");
    auto const sid2 = sid_of(request_on(*direct, handshake_target, {}, "X-Forwarded-For: 192.0.2.66\r\n"));
    CHECK(remote_of(f, sid2, "127.0.0.2") == "127.0.0.2");
}

TEST_CASE("a chunk header that never ends is not buffered without limit", "[engineio][server][limits]")
{
    // Beast 1.81 keeps a chunk header's extensions until their end of line arrives; the connection's
    // read buffer is bounded, so the read fails and the connection is closed instead.
    fixture f(quiet_options());
    auto const sid = f.handshake();
    net::io_context c;
    auto s = connect_from(c, f.srv->port());
    std::string head = "POST /engine.io/?EIO=4&transport=polling&sid=" + sid +
        " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=";
    net::write(*s, net::buffer(head));
    std::string const more(64 * 1024, 'a');
    std::size_t sent = 0;
    beast::error_code ec;
    s->non_blocking(true);
    auto const until = std::chrono::steady_clock::now() + 10s;
    while(!ec && sent < (std::size_t{16} << 20) && std::chrono::steady_clock::now() < until) {
        auto const n = s->write_some(net::buffer(more), ec);
        if(ec == net::error::would_block) {
            ec = {};
            std::this_thread::sleep_for(5ms);
            continue;
        }
        sent += n;
    }
    // The server stopped reading (closed) long before 16 MiB; it had read at most its buffer's bound.
    INFO("sent " << sent << " bytes, " << ec.message());
    CHECK(ec);
    CHECK(sent < (std::size_t{8} << 20));
}
