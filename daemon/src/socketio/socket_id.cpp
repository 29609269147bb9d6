#include "socketio/socket_id.hpp"

#include <openssl/rand.h>

#include <array>
#include <cstdint>

namespace tradepush::socketio {

std::optional<std::string>
make_socket_id()
{
    // 15 bytes encode to exactly 20 base64 chars with no padding. The id is public but must not be
    // guessable: it names the socket's private room and, with recovery, a session.
    std::array<unsigned char, 15> raw{};
    if(RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1)
        return std::nullopt;
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string id;
    id.reserve(20);
    for(std::size_t i = 0; i < raw.size(); i += 3) {
        std::uint32_t const n = (std::uint32_t{raw[i]} << 16) | (std::uint32_t{raw[i + 1]} << 8) | raw[i + 2];
        id.push_back(alphabet[(n >> 18) & 63]);
        id.push_back(alphabet[(n >> 12) & 63]);
        id.push_back(alphabet[(n >> 6) & 63]);
        id.push_back(alphabet[n & 63]);
    }
    return id;
}

} // namespace tradepush::socketio
