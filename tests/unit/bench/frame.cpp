// The load generator's in-place WebSocket frame parser and client framing.

#include "loadgen/frame.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace tradepush::bench;

namespace {

// A server frame (unmasked, FIN) of `payload` with the shortest length encoding.
std::string
server_frame(std::string_view payload, std::uint8_t opcode = 0x1)
{
    std::string f;
    f += static_cast<char>(0x80 | opcode);
    if(payload.size() < 126)
        f += static_cast<char>(payload.size());
    else if(payload.size() < 65536) {
        f += static_cast<char>(126);
        f += static_cast<char>(payload.size() >> 8);
        f += static_cast<char>(payload.size() & 0xFF);
    } else {
        f += static_cast<char>(127);
        for(int i = 7; i >= 0; --i)
            f += static_cast<char>((static_cast<std::uint64_t>(payload.size()) >> (8 * i)) & 0xFF);
    }
    f += payload;
    return f;
}

} // namespace

TEST_CASE("parse_frame: several frames of each length encoding in one buffer, in place")
{
    std::string const small = "42[\"ticker\",{}]";
    std::string const mid(300, 'm');
    std::string const big(70000, 'b');
    std::string buf = server_frame(small) + server_frame(mid) + server_frame(big) + server_frame("2");
    std::size_t at = 0;
    std::vector<std::string> got;
    while(at < buf.size()) {
        ws_frame f;
        REQUIRE(parse_frame(buf.data() + at, buf.size() - at, f) == frame_status::complete);
        CHECK(f.fin);
        CHECK(f.opcode == ws_opcode::text);
        // The payload is a view into the buffer, not a copy.
        CHECK(f.payload.data() >= buf.data());
        CHECK(f.payload.data() + f.payload.size() <= buf.data() + buf.size());
        got.emplace_back(f.payload);
        at += f.size;
    }
    CHECK(got == std::vector<std::string>{small, mid, big, "2"});
}

TEST_CASE("parse_frame: every cut of a frame is incomplete and says how much it needs")
{
    std::string const frame = server_frame(std::string(300, 'x'));
    for(std::size_t n = 0; n < frame.size(); ++n) {
        std::string part = frame.substr(0, n);
        ws_frame f;
        INFO("first " << n << " bytes");
        REQUIRE(parse_frame(part.data(), part.size(), f) == frame_status::incomplete);
        CHECK(f.size > n);
        CHECK(f.size <= frame.size());
    }
}

TEST_CASE("parse_frame: a masked frame (what clients send) is unmasked in place")
{
    std::string out;
    append_client_frame(out, ws_opcode::text, "40{\"token\":\"abc\"}", 0xA1B2C3D4u);
    CHECK((static_cast<unsigned char>(out[1]) & 0x80) != 0);
    CHECK(out.find("token") == std::string::npos); // masked on the wire
    ws_frame f;
    REQUIRE(parse_frame(out.data(), out.size(), f) == frame_status::complete);
    CHECK(f.payload == "40{\"token\":\"abc\"}");
    CHECK(f.size == out.size());

    std::string longer;
    append_client_frame(longer, ws_opcode::binary, std::string(1000, 'z'), 7);
    REQUIRE(parse_frame(longer.data(), longer.size(), f) == frame_status::complete);
    CHECK(f.opcode == ws_opcode::binary);
    CHECK(f.payload == std::string(1000, 'z'));
}

TEST_CASE("parse_frame: what no server may send is refused")
{
    std::string rsv = server_frame("x");
    rsv[0] = static_cast<char>(rsv[0] | 0x40); // RSV1 without an extension
    ws_frame f;
    CHECK(parse_frame(rsv.data(), rsv.size(), f) == frame_status::bad);

    std::string ping = server_frame(std::string(126, 'p'), 0x9); // control frames carry <= 125 bytes
    CHECK(parse_frame(ping.data(), ping.size(), f) == frame_status::bad);

    std::string fragmented_close = server_frame("", 0x8);
    fragmented_close[0] = static_cast<char>(0x08); // close without FIN
    CHECK(parse_frame(fragmented_close.data(), fragmented_close.size(), f) == frame_status::bad);
}

TEST_CASE("upgrade_accepted: status 101 and the accept value of the fixed key, any header case")
{
    auto const req = upgrade_request("127.0.0.1", "/socket.io/?EIO=4&transport=websocket");
    CHECK(req.starts_with("GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"));
    CHECK(req.ends_with("\r\n\r\n"));
    CHECK(upgrade_accepted("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"));
    CHECK(upgrade_accepted("HTTP/1.1 101 Switching Protocols\r\nsec-websocket-accept:  s3pPLMBiTxaQ9kYGzzhZRbK+xOo= \r\n\r\n"));
    CHECK_FALSE(upgrade_accepted("HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: wrong=\r\n\r\n"));
    CHECK_FALSE(upgrade_accepted("HTTP/1.1 400 Bad Request\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"));
    CHECK_FALSE(upgrade_accepted("HTTP/1.1 101 Switching Protocols\r\n\r\n"));
}
