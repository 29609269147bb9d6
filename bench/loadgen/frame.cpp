#include "loadgen/frame.hpp"

#include <algorithm>
#include <cstring>

namespace tradepush::bench {

namespace {

// RFC 6455 section 1.3's example key and its accept value: any fixed key is as good as a random
// one for the server, and a fixed one lets the response be checked with a string compare.
constexpr std::string_view ws_key = "dGhlIHNhbXBsZSBub25jZQ==";
constexpr std::string_view ws_accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

bool
iequal_prefix(std::string_view s, std::string_view prefix) noexcept
{
    if(s.size() < prefix.size())
        return false;
    for(std::size_t i = 0; i < prefix.size(); ++i)
    {
        auto a = s[i];
        auto b = prefix[i];
        if(a >= 'A' && a <= 'Z')
            a = static_cast<char>(a - 'A' + 'a');
        if(b >= 'A' && b <= 'Z')
            b = static_cast<char>(b - 'A' + 'a');
        if(a != b)
            return false;
    }
    return true;
}

} // namespace

frame_status
parse_frame(char* data, std::size_t n, ws_frame& frame) noexcept
{
    if(n < 2)
    {
        frame.size = 2;
        return frame_status::incomplete;
    }
    auto const b0 = static_cast<std::uint8_t>(data[0]);
    auto const b1 = static_cast<std::uint8_t>(data[1]);
    // RSV bits: no extension (permessage-deflate is off on every server).
    if(b0 & 0x70)
        return frame_status::bad;
    frame.fin = (b0 & 0x80) != 0;
    frame.opcode = static_cast<ws_opcode>(b0 & 0x0F);
    bool const masked = (b1 & 0x80) != 0;
    std::uint64_t len = b1 & 0x7F;
    std::size_t head = 2;
    if(len == 126)
        head += 2;
    else if(len == 127)
        head += 8;
    if(masked)
        head += 4;
    if(n < head)
    {
        frame.size = head;
        return frame_status::incomplete;
    }
    auto const* u = reinterpret_cast<unsigned char const*>(data);
    if(len == 126)
        len = (std::uint64_t{u[2]} << 8) | u[3];
    else if(len == 127)
    {
        len = 0;
        for(int i = 0; i < 8; ++i)
            len = (len << 8) | u[2 + i];
        // Nothing here comes near 2^40 bytes; a length that large is a broken stream.
        if(len >> 40)
            return frame_status::bad;
    }
    bool const control = (b0 & 0x08) != 0;
    if(control && (len > 125 || !frame.fin))
        return frame_status::bad;
    frame.size = head + static_cast<std::size_t>(len);
    if(n < frame.size)
        return frame_status::incomplete;
    char* payload = data + head;
    if(masked)
    {
        unsigned char key[4];
        std::memcpy(key, data + head - 4, 4);
        for(std::size_t i = 0; i < len; ++i)
            payload[i] = static_cast<char>(static_cast<unsigned char>(payload[i]) ^ key[i & 3]);
    }
    frame.payload = std::string_view(payload, static_cast<std::size_t>(len));
    return frame_status::complete;
}

void
append_client_frame(std::string& out, ws_opcode op, std::string_view payload, std::uint32_t mask)
{
    out += static_cast<char>(0x80 | static_cast<std::uint8_t>(op));
    auto const len = payload.size();
    if(len < 126)
        out += static_cast<char>(0x80 | len);
    else if(len < 65536)
    {
        out += static_cast<char>(0x80 | 126);
        out += static_cast<char>(len >> 8);
        out += static_cast<char>(len & 0xFF);
    }
    else
    {
        out += static_cast<char>(0x80 | 127);
        for(int i = 7; i >= 0; --i)
            out += static_cast<char>((static_cast<std::uint64_t>(len) >> (8 * i)) & 0xFF);
    }
    char key[4];
    for(int i = 0; i < 4; ++i)
        key[i] = static_cast<char>((mask >> (8 * i)) & 0xFF);
    out.append(key, 4);
    auto const at = out.size();
    out.append(payload);
    for(std::size_t i = 0; i < len; ++i)
        out[at + i] = static_cast<char>(out[at + i] ^ key[i & 3]);
}

std::string
upgrade_request(std::string_view host, std::string_view target)
{
    std::string r;
    r.reserve(256);
    r += "GET ";
    r += target;
    r += " HTTP/1.1\r\nHost: ";
    r += host;
    r += "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ";
    r += ws_key;
    r += "\r\nSec-WebSocket-Version: 13\r\n\r\n";
    return r;
}

bool
upgrade_accepted(std::string_view head) noexcept
{
    if(!iequal_prefix(head, "HTTP/1.1 101"))
        return false;
    // Header names are case-insensitive; scan line by line for the accept header.
    std::size_t i = head.find("\r\n");
    while(i != std::string_view::npos && i + 2 < head.size())
    {
        auto const line_start = i + 2;
        auto const line_end = head.find("\r\n", line_start);
        auto const line = head.substr(line_start, line_end == std::string_view::npos ? std::string_view::npos
                                                                                      : line_end - line_start);
        constexpr std::string_view name = "sec-websocket-accept:";
        if(iequal_prefix(line, name))
        {
            auto v = line.substr(name.size());
            while(!v.empty() && (v.front() == ' ' || v.front() == '\t'))
                v.remove_prefix(1);
            while(!v.empty() && (v.back() == ' ' || v.back() == '\t'))
                v.remove_suffix(1);
            return v == ws_accept;
        }
        i = line_end;
    }
    return false;
}

} // namespace tradepush::bench
