// Test that header file is self-contained.
#include "engineio/ws_frame_parser.hpp"

#include "engineio/ws_frames.hpp"

#include <catch2/catch.hpp>

using namespace tradepush::engineio;

namespace {

// A client frame: masked with a fixed key.
std::string
client_frame(std::uint8_t opcode, std::string_view payload, bool fin = true)
{
    return tradepush::engineio::test::masked_frame(static_cast<std::uint8_t>((fin ? 0x80 : 0) | opcode), payload);
}

} // namespace

TEST_CASE("ws parser: text, binary, byte-by-byte feeding", "[ws]")
{
    ws_frame_parser p(1000);
    auto bytes = client_frame(0x1, "4hello") + client_frame(0x2, std::string("\x00\x01", 2));
    std::vector<std::pair<ws_event, std::string>> got;
    for(char c : bytes) {
        std::string_view one(&c, 1);
        while(!one.empty()) {
            auto ev = p.next(one);
            if(ev != ws_event::need_more)
                got.emplace_back(ev, p.message());
        }
    }
    REQUIRE(got.size() == 2);
    CHECK(got[0].first == ws_event::text);
    CHECK(got[0].second == "4hello");
    CHECK(got[1].first == ws_event::binary);
    CHECK(got[1].second == std::string("\x00\x01", 2));
}

TEST_CASE("ws parser: fragmentation with an interleaved ping", "[ws]")
{
    ws_frame_parser p(1000);
    auto bytes = client_frame(0x1, "4hel", false) + client_frame(0x9, "pp") + client_frame(0x0, "lo", true);
    std::string_view data(bytes);
    CHECK(p.next(data) == ws_event::ping);
    CHECK(p.control_payload() == "pp");
    CHECK(p.next(data) == ws_event::text);
    CHECK(p.message() == "4hello");
}

TEST_CASE("ws parser: 16-bit lengths and the size cap (1009)", "[ws]")
{
    ws_frame_parser p(300);
    auto ok = client_frame(0x1, std::string(200, 'a'));
    std::string_view d1(ok);
    CHECK(p.next(d1) == ws_event::text);
    CHECK(p.message().size() == 200);
    auto big = client_frame(0x1, std::string(301, 'a'));
    std::string_view d2(big);
    CHECK(p.next(d2) == ws_event::error);
    CHECK(p.close_code() == 1009);
}

TEST_CASE("ws parser: protocol errors (unmasked, reserved bits, bad continuation)", "[ws]")
{
    {
        ws_frame_parser p(100);
        std::string unmasked = "\x81\x02hi";
        std::string_view d(unmasked);
        CHECK(p.next(d) == ws_event::error);
        CHECK(p.close_code() == 1002);
    }
    {
        ws_frame_parser p(100);
        auto f = client_frame(0x1, "x");
        f[0] = static_cast<char>(f[0] | 0x40);
        std::string_view d(f);
        CHECK(p.next(d) == ws_event::error);
    }
    {
        ws_frame_parser p(100);
        auto f = client_frame(0x0, "x");
        std::string_view d(f);
        CHECK(p.next(d) == ws_event::error);
    }
}

TEST_CASE("ws parser: close frame carries the peer's code", "[ws]")
{
    ws_frame_parser p(100);
    auto f = client_frame(0x8, std::string("\x03\xE8", 2));
    std::string_view d(f);
    CHECK(p.next(d) == ws_event::close);
    CHECK(p.close_code() == 1000);
}

TEST_CASE("ws parser: release frees the buffers between messages, never mid-message", "[ws]")
{
    ws_frame_parser p(100000);
    std::string const big(4000, 'x');
    auto bytes = client_frame(0x1, "4" + big);
    std::string_view data(bytes);
    REQUIRE(p.next(data) == ws_event::text);
    CHECK(p.message().capacity() >= big.size());
    p.release();
    CHECK(p.message().empty());
    CHECK(p.message().capacity() < 64);

    // Half of a fragmented message, then release: the first half must survive.
    auto first = client_frame(0x1, "4" + big, false);
    auto rest = client_frame(0x0, "end", true);
    std::string_view a(first);
    REQUIRE(p.next(a) == ws_event::need_more);
    p.release();
    // Half of a frame's payload, then release: the partial payload must survive too.
    std::string_view b(rest.data(), rest.size() - 1);
    REQUIRE(p.next(b) == ws_event::need_more);
    p.release();
    std::string_view c(rest.data() + rest.size() - 1, 1);
    REQUIRE(p.next(c) == ws_event::text);
    CHECK(p.message() == "4" + big + "end");
}

namespace {

// A masked client frame header announcing `len` bytes with the 64-bit length form, and no payload.
std::string
frame_header_64(std::uint8_t first_byte, std::uint64_t len)
{
    std::string f;
    f += static_cast<char>(first_byte);
    f += static_cast<char>(0x80 | 127);
    for(int s = 56; s >= 0; s -= 8)
        f += static_cast<char>((len >> s) & 0xFF);
    f += std::string("\x11\x22\x33\x44", 4);
    return f;
}

ws_event
feed_all(ws_frame_parser& p, std::string const& bytes)
{
    std::string_view d(bytes);
    auto ev = ws_event::need_more;
    while(!d.empty() && ev == ws_event::need_more)
        ev = p.next(d);
    return ev;
}

} // namespace

TEST_CASE("ws parser: a continuation of 2^64-1 bytes after a 1-byte fragment is refused (1009)", "[ws][limits]")
{
    // The length check once added the announced length to what was buffered and wrapped; everything
    // after such a header was then appended without limit.
    ws_frame_parser p(1000);
    auto const first = client_frame(0x1, "4", false);
    REQUIRE(feed_all(p, first) == ws_event::need_more);
    CHECK(feed_all(p, frame_header_64(0x80, ~std::uint64_t(0) >> 1)) == ws_event::error);
    CHECK(p.close_code() == 1009);
}

TEST_CASE("ws parser: a 64-bit length with the top bit set is a protocol error (1002)", "[ws][limits]")
{
    ws_frame_parser p(1000);
    CHECK(feed_all(p, client_frame(0x1, "4", false) + frame_header_64(0x80, ~std::uint64_t(0))) == ws_event::error);
    CHECK(p.close_code() == 1002);
    ws_frame_parser q(1000);
    CHECK(feed_all(q, frame_header_64(0x82, std::uint64_t(1) << 63)) == ws_event::error);
    CHECK(q.close_code() == 1002);
}

TEST_CASE("ws parser: fragments adding up past the cap are refused, exactly at the cap accepted", "[ws][limits]")
{
    ws_frame_parser p(10);
    auto ok = client_frame(0x1, "45678", false) + client_frame(0x0, "12345", true);
    CHECK(feed_all(p, ok) == ws_event::text);
    CHECK(p.message() == "4567812345");
    auto over = client_frame(0x1, "45678", false) + client_frame(0x0, "123456", true);
    CHECK(feed_all(p, over) == ws_event::error);
    CHECK(p.close_code() == 1009);
}

TEST_CASE("ws parser: invalid UTF-8 in a text message closes with 1007, binary is not checked", "[ws]")
{
    for(std::string const& bad : {std::string("4\xC3"), std::string("4\xED\xA0\x80"), std::string("4\xFF"),
            std::string("4\xC0\xAF")}) {
        ws_frame_parser p(100);
        CHECK(feed_all(p, client_frame(0x1, bad)) == ws_event::error);
        CHECK(p.close_code() == 1007);
    }
    {
        // A code point split across fragments is valid once the message is whole.
        ws_frame_parser p(100);
        CHECK(feed_all(p, client_frame(0x1, "4\xE2\x82", false) + client_frame(0x0, "\xAC", true)) == ws_event::text);
        CHECK(p.message() == "4\xE2\x82\xAC");
    }
    ws_frame_parser p(100);
    CHECK(feed_all(p, client_frame(0x2, std::string("\xFF\xFE", 2))) == ws_event::binary);
}

TEST_CASE("ws parser: malformed close frames are protocol errors (1002), a bad reason 1007", "[ws]")
{
    auto close_with = [](std::string const& payload) {
        ws_frame_parser p(100);
        auto const ev = feed_all(p, client_frame(0x8, payload));
        return std::pair(ev, p.close_code());
    };
    CHECK(close_with("") == std::pair(ws_event::close, std::uint16_t(1005)));
    CHECK(close_with("\x03") == std::pair(ws_event::error, std::uint16_t(1002)));
    for(std::uint16_t code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535}) {
        std::string payload{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
        INFO("code " << code);
        CHECK(close_with(payload) == std::pair(ws_event::error, std::uint16_t(1002)));
    }
    for(std::uint16_t code : {1000, 1001, 1003, 1007, 1011, 1012, 3000, 4999}) {
        std::string payload{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
        INFO("code " << code);
        CHECK(close_with(payload + "bye") == std::pair(ws_event::close, code));
    }
    CHECK(close_with(std::string("\x03\xE8\xFF", 3)) == std::pair(ws_event::error, std::uint16_t(1007)));
}
