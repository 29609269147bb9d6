// Test that header file is self-contained.
#include "engineio/ws_frame_parser.hpp"

#include <catch2/catch.hpp>

using namespace tradepush::engineio;

namespace {

// A client frame: masked with a fixed key.
std::string
client_frame(std::uint8_t opcode, std::string_view payload, bool fin = true)
{
    std::string f;
    f += static_cast<char>((fin ? 0x80 : 0) | opcode);
    unsigned char const key[4] = {0x11, 0x22, 0x33, 0x44};
    if(payload.size() < 126) {
        f += static_cast<char>(0x80 | payload.size());
    } else if(payload.size() <= 0xFFFF) {
        f += static_cast<char>(0x80 | 126);
        f += static_cast<char>(payload.size() >> 8);
        f += static_cast<char>(payload.size() & 0xFF);
    } else {
        f += static_cast<char>(0x80 | 127);
        for(int s = 56; s >= 0; s -= 8)
            f += static_cast<char>((static_cast<std::uint64_t>(payload.size()) >> s) & 0xFF);
    }
    f.append(reinterpret_cast<char const*>(key), 4);
    for(std::size_t i = 0; i < payload.size(); ++i)
        f += static_cast<char>(payload[i] ^ key[i & 3]);
    return f;
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
