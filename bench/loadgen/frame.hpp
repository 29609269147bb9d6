// The few WebSocket (RFC 6455) framing rules the load generator needs, without Beast's stream.
//
// Server-to-client frames are unmasked and, from every server here, one small text frame per
// Engine.IO packet. A read of the socket often holds many of them (several clients' worth never:
// one socket is one client, but several symbols ticking at once, or a coalesced write, put several
// frames into one read). Parsing them in place from the read buffer, with no per-message
// allocation or copy, is what keeps the load generator cheaper per message than the servers.

#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tradepush::bench {

enum class ws_opcode : std::uint8_t
{
    continuation = 0x0,
    text = 0x1,
    binary = 0x2,
    close = 0x8,
    ping = 0x9,
    pong = 0xA
};

enum class frame_status : std::uint8_t
{
    complete,   // `frame` describes the first frame of the buffer
    incomplete, // more bytes needed: at least `frame.size` in total (header only: 14)
    bad         // not a frame a server may send (reserved bits, oversized control frame, ...)
};

struct ws_frame
{
    ws_opcode opcode = ws_opcode::text;
    bool fin = true;
    // Points into the buffer given to parse_frame (unmasked in place when the server masked it).
    std::string_view payload;
    // Bytes the whole frame takes in the buffer (header + payload).
    std::size_t size = 0;
};

/// Parses the frame at the start of `data[0, n)`. Masked payloads are unmasked in place.
frame_status
parse_frame(char* data, std::size_t n, ws_frame& frame) noexcept;

/// Appends one client frame (FIN set, masked with `mask` as RFC 6455 requires of clients) to `out`.
void
append_client_frame(std::string& out, ws_opcode op, std::string_view payload, std::uint32_t mask);

/// The HTTP/1.1 upgrade request for `target` on `host` (with a fixed Sec-WebSocket-Key).
std::string
upgrade_request(std::string_view host, std::string_view target);

/// Whether `head` (the response up to and including the blank line) accepts the upgrade_request:
/// status 101 and the Sec-WebSocket-Accept of the fixed key.
bool
upgrade_accepted(std::string_view head) noexcept;

} // namespace tradepush::bench
