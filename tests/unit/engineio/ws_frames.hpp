#pragma once
// Client-side WebSocket frames built by hand, for tests that speak the wire format directly.

#include <cstdint>
#include <string>
#include <string_view>

namespace tradepush::engineio::test {

/// A masked client frame (fixed key) with the shortest length encoding.
inline std::string
masked_frame(std::uint8_t first_byte, std::string_view payload)
{
    std::string f;
    f += static_cast<char>(first_byte);
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

} // namespace tradepush::engineio::test
