#include "auth/base64url.hpp"

#include <array>
#include <cstdint>

namespace tradepush::auth {

namespace {

constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// 0xFF marks "not in the alphabet"; built at compile time so decoding is one table lookup a char.
constexpr std::array<std::uint8_t, 256>
make_decode_table()
{
    std::array<std::uint8_t, 256> table{};
    table.fill(0xFF);
    for(std::size_t i = 0; i < alphabet.size(); ++i)
        table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::uint8_t>(i);
    return table;
}

constexpr auto decode_table = make_decode_table();

} // namespace

std::string
base64url_encode(std::string_view bytes)
{
    std::string out;
    out.reserve((bytes.size() * 4 + 2) / 3);

    // Whole 3-byte groups become 4 characters.
    std::size_t i = 0;
    for(; i + 3 <= bytes.size(); i += 3) {
        std::uint32_t const group = (std::uint32_t(static_cast<unsigned char>(bytes[i])) << 16) |
                                    (std::uint32_t(static_cast<unsigned char>(bytes[i + 1])) << 8) |
                                    std::uint32_t(static_cast<unsigned char>(bytes[i + 2]));
        out.push_back(alphabet[(group >> 18) & 0x3F]);
        out.push_back(alphabet[(group >> 12) & 0x3F]);
        out.push_back(alphabet[(group >> 6) & 0x3F]);
        out.push_back(alphabet[group & 0x3F]);
    }

    // A 1- or 2-byte tail becomes 2 or 3 characters; JWS drops the '=' padding.
    std::size_t const rest = bytes.size() - i;
    if(rest == 1) {
        std::uint32_t const group = std::uint32_t(static_cast<unsigned char>(bytes[i])) << 16;
        out.push_back(alphabet[(group >> 18) & 0x3F]);
        out.push_back(alphabet[(group >> 12) & 0x3F]);
    } else if(rest == 2) {
        std::uint32_t const group = (std::uint32_t(static_cast<unsigned char>(bytes[i])) << 16) |
                                    (std::uint32_t(static_cast<unsigned char>(bytes[i + 1])) << 8);
        out.push_back(alphabet[(group >> 18) & 0x3F]);
        out.push_back(alphabet[(group >> 12) & 0x3F]);
        out.push_back(alphabet[(group >> 6) & 0x3F]);
    }
    return out;
}

std::optional<std::string>
base64url_decode(std::string_view text)
{
    // One leftover character carries only 6 bits: no byte string encodes to that.
    if(text.size() % 4 == 1)
        return std::nullopt;

    std::string out;
    out.reserve(text.size() * 3 / 4);

    std::uint32_t acc = 0;
    int bits = 0;
    for(char const c : text) {
        std::uint8_t const v = decode_table[static_cast<unsigned char>(c)];
        if(v == 0xFF)
            return std::nullopt;
        acc = (acc << 6) | v;
        bits += 6;
        if(bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xFF));
        }
    }

    // Leftover bits (2 or 4) must be zero; otherwise several texts would decode to the same bytes,
    // which lets a signature be re-encoded into a "different" token.
    if(bits > 0 && (acc & ((1u << bits) - 1)) != 0)
        return std::nullopt;
    return out;
}

} // namespace tradepush::auth
