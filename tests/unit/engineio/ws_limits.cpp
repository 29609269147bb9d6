// What one hostile WebSocket client can make the server hold: pings without reading, a length that
// overflows, invalid UTF-8. Each closes that client and leaves the others alone.
#include "engineio/server_fixture.hpp"

#include <boost/asio/read.hpp>

using namespace tradepush::engineio;
using namespace tradepush::engineio::test;
using namespace std::chrono_literals;

namespace {

// The WebSocket handshake by hand, waiting for the 101 (frames sent before it would land in the
// HTTP parser's buffer, as no real client sends them).
void
upgrade(tcp::socket& sock, unsigned short port, int receive_buffer = 0)
{
    raw_ws_connect(sock, port, receive_buffer);
    std::string head;
    char c;
    while(!head.ends_with("\r\n\r\n") && head.size() < 4096) {
        net::read(sock, net::buffer(&c, 1));
        head += c;
    }
    REQUIRE(head.starts_with("HTTP/1.1 101"));
}

// Reads (unmasked) server frames until the close frame; returns its code (0 if the connection
// ended first).
unsigned
read_close_code(tcp::socket& sock)
{
    std::string in;
    char buf[4096];
    beast::error_code ec;
    for(;;) {
        auto const n = sock.read_some(net::buffer(buf), ec);
        if(ec)
            return 0;
        in.append(buf, n);
        std::size_t pos = 0;
        while(pos + 2 <= in.size()) {
            auto const op = static_cast<unsigned char>(in[pos]) & 0x0F;
            std::size_t len = static_cast<unsigned char>(in[pos + 1]) & 0x7F;
            std::size_t hdr = 2;
            if(len == 126) {
                if(pos + 4 > in.size())
                    break;
                len = (static_cast<unsigned char>(in[pos + 2]) << 8) | static_cast<unsigned char>(in[pos + 3]);
                hdr = 4;
            }
            if(pos + hdr + len > in.size())
                break;
            if(op == 0x8 && len >= 2)
                return (static_cast<unsigned char>(in[pos + hdr]) << 8) | static_cast<unsigned char>(in[pos + hdr + 1]);
            pos += hdr + len;
        }
    }
}

} // namespace

TEST_CASE("a client that pings and never reads is closed, its pongs are not queued one per ping",
    "[engineio][server][limits]")
{
    auto opts = quiet_options();
    opts.socket_send_buffer = 4096;
    // Long enough that only the ping bound can close it within the test.
    opts.slow_consumer_timeout = std::chrono::milliseconds(120000);
    fixture f(opts);
    net::io_context c;
    tcp::socket sock(c);
    upgrade(sock, f.srv->port(), 4096);
    REQUIRE(eventually([&] { return f.srv->stats().sessions == 1; }));

    auto const ping = masked_frame(0x89, std::string(125, 'p'));
    std::string burst;
    for(int i = 0; i < 100; ++i)
        burst += ping;
    // 20 000 pings would queue 2.6 MB of pongs one by one; the bound closes the client long before.
    beast::error_code ec;
    for(int i = 0; i < 200 && !ec && f.closes->load() == 0; ++i)
        net::write(sock, net::buffer(burst), ec);
    CHECK(eventually([&] { return f.closes->load() == 1; }));
    CHECK(f.srv->stats().sessions == 0);
    // Closed for the pings (policy violation), behind the pongs it was sent before.
    CHECK(read_close_code(sock) == 1008);
}

TEST_CASE("a client that pings one at a time and reads gets every pong", "[engineio][server][limits]")
{
    fixture f(quiet_options());
    ws_client c(f.srv->port());
    int pongs = 0;
    c.ws.control_callback([&](websocket::frame_type kind, beast::string_view payload) {
        if(kind == websocket::frame_type::pong && payload == "p")
            ++pongs;
    });
    // Each ping waits for its pong (Beast reports control frames while it reads the next message).
    for(int i = 0; i < 300; ++i) {
        c.ws.ping(websocket::ping_data("p"));
        c.write("4echo");
        REQUIRE(c.read() == "4echo");
    }
    CHECK(pongs == 300);
    CHECK(f.closes->load() == 0);
}

TEST_CASE("a burst of pings in one read gets one pong, and more than 64 at once close with 1008",
    "[engineio][server][limits]")
{
    fixture f(quiet_options());
    net::io_context c;
    tcp::socket sock(c);
    upgrade(sock, f.srv->port(), 65536);
    REQUIRE(eventually([&] { return f.srv->stats().sessions == 1; }));
    // One pong per burst, for its most recent ping (RFC 6455 5.5.3), and the session stays: the
    // count starts again once a pong is written, so bursts that add up past 64 are fine. (Server
    // frames here are short: a 2-byte header. The open packet comes first.)
    auto const next_frame = [&] {
        unsigned char h[2];
        net::read(sock, net::buffer(h));
        std::string payload(h[1] & 0x7F, '\0');
        net::read(sock, net::buffer(payload));
        return std::pair<int, std::string>(h[0], payload);
    };
    std::string burst;
    for(int i = 0; i < 60; ++i)
        burst += masked_frame(0x89, "p" + std::to_string(i));
    for(int round = 0; round < 3; ++round) {
        net::write(sock, net::buffer(burst));
        auto frame = next_frame();
        if(frame.first == 0x81) // the open packet
            frame = next_frame();
        CHECK(frame == std::pair<int, std::string>(0x8A, "p59"));
    }
    CHECK(f.srv->stats().sessions == 1);

    burst.clear();
    for(int i = 0; i < 1000; ++i)
        burst += masked_frame(0x89, "x");
    beast::error_code ec;
    net::write(sock, net::buffer(burst), ec);
    CHECK(eventually([&] { return f.closes->load() == 1; }));
    CHECK(read_close_code(sock) == 1008);
}

TEST_CASE("a continuation frame whose length wraps the size check is refused with 1009", "[engineio][server][limits]")
{
    auto opts = quiet_options();
    opts.max_payload = 1000;
    fixture f(opts);
    net::io_context c;
    tcp::socket sock(c);
    upgrade(sock, f.srv->port());
    // A 1-byte first fragment, then a continuation announcing 2^63-1 bytes (valid top bit), then data.
    std::string attack = masked_frame(0x01, "4");
    attack += static_cast<char>(0x80);
    attack += static_cast<char>(0x80 | 127);
    for(int s = 56; s >= 0; s -= 8)
        attack += static_cast<char>(((~std::uint64_t(0) >> 1) >> s) & 0xFF);
    attack += std::string("\x11\x22\x33\x44", 4);
    attack += std::string(64 * 1024, 'x');
    beast::error_code ec;
    net::write(sock, net::buffer(attack), ec);
    CHECK(read_close_code(sock) == 1009);
    CHECK(eventually([&] { return f.srv->stats().sessions == 0; }));
}

TEST_CASE("invalid UTF-8 in a text frame closes with 1007, a reserved close code with 1002", "[engineio][server][limits]")
{
    fixture f(quiet_options());
    {
        net::io_context c;
        tcp::socket sock(c);
        upgrade(sock, f.srv->port());
        net::write(sock, net::buffer(masked_frame(0x81, "4\xC3(")));
        CHECK(read_close_code(sock) == 1007);
    }
    {
        net::io_context c;
        tcp::socket sock(c);
        upgrade(sock, f.srv->port());
        net::write(sock, net::buffer(masked_frame(0x88, std::string("\x03\xED", 2)))); // 1005
        CHECK(read_close_code(sock) == 1002);
    }
    CHECK(eventually([&] { return f.srv->stats().sessions == 0; }));
}

TEST_CASE("a client that sends as fast as it can does not starve the others on its worker", "[engineio][server][limits]")
{
    // One shard. A client streams unsolicited pongs (valid frames the server reads and drops) for
    // 3 s; meanwhile another connection asks for /healthz. Reading a fast sender without a bound
    // per turn kept the worker in one connection's read loop for as long as the flood lasted.
    fixture f(quiet_options());
    std::atomic<bool> flooding{true};
    std::atomic<std::size_t> flooded{0};
    std::thread flooder([&] {
        net::io_context c;
        tcp::socket sock(c);
        upgrade(sock, f.srv->port());
        std::string burst;
        while(burst.size() < 64 * 1024)
            burst += masked_frame(0x8A, "");
        auto const until = std::chrono::steady_clock::now() + 3s;
        beast::error_code ec;
        while(!ec && std::chrono::steady_clock::now() < until) {
            net::write(sock, net::buffer(burst), ec);
            flooded += burst.size();
        }
        flooding = false;
    });
    std::this_thread::sleep_for(300ms);
    auto const t0 = std::chrono::steady_clock::now();
    auto const res = f.request(http::verb::get, "/healthz");
    auto const took = std::chrono::steady_clock::now() - t0;
    bool const during_flood = flooding.load();
    flooder.join();
    CHECK(res.result_int() == 200);
    INFO("/healthz took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms; "
                           << flooded.load() << " bytes flooded");
    // Answered while the flood was still going, not after it.
    CHECK(during_flood);
    CHECK(took < 1500ms);
}
