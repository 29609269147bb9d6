#include "common/base64.hpp"

#include <array>
#include <cstdint>

namespace tradepush {

namespace {

constexpr std::string_view standard_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view url_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// 0xFF marks "not in the alphabet"; built at compile time so decoding is one lookup a character.
constexpr std::array<std::uint8_t, 256>
make_decode_table(std::string_view alphabet)
{
    std::array<std::uint8_t, 256> table{};
    table.fill(0xFF);
    for(std::size_t i = 0; i < alphabet.size(); ++i)
        table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::uint8_t>(i);
    return table;
}

constexpr auto standard_table = make_decode_table(standard_alphabet);
constexpr auto url_table = make_decode_table(url_alphabet);

std::string
encode(std::string_view bytes, std::string_view alphabet, bool pad)
{
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    auto byte = [&](std::size_t k) { return std::uint32_t(static_cast<unsigned char>(bytes[k])); };

    // Whole 3-byte groups become 4 characters.
    std::size_t i = 0;
    for(; i + 3 <= bytes.size(); i += 3) {
        std::uint32_t const group = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
        out.push_back(alphabet[(group >> 18) & 0x3F]);
        out.push_back(alphabet[(group >> 12) & 0x3F]);
        out.push_back(alphabet[(group >> 6) & 0x3F]);
        out.push_back(alphabet[group & 0x3F]);
    }
    // A 1- or 2-byte tail becomes 2 or 3 characters, then padding where the variant wants it.
    std::size_t const rest = bytes.size() - i;
    if(rest == 0)
        return out;
    std::uint32_t const group = byte(i) << 16 | (rest == 2 ? byte(i + 1) << 8 : 0);
    out.push_back(alphabet[(group >> 18) & 0x3F]);
    out.push_back(alphabet[(group >> 12) & 0x3F]);
    if(rest == 2)
        out.push_back(alphabet[(group >> 6) & 0x3F]);
    if(pad)
        out.append(3 - rest, '=');
    return out;
}

std::optional<std::string>
decode(std::string_view text, std::array<std::uint8_t, 256> const& table, bool canonical)
{
    // One leftover character carries only 6 bits: no byte string encodes to that.
    if(text.size() % 4 == 1)
        return std::nullopt;
    std::string out;
    out.reserve(text.size() * 3 / 4);
    std::uint32_t acc = 0;
    int bits = 0;
    for(char const c : text) {
        std::uint8_t const v = table[static_cast<unsigned char>(c)];
        if(v == 0xFF)
            return std::nullopt;
        acc = (acc << 6) | v;
        bits += 6;
        if(bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xFF));
        }
    }
    // Leftover bits (2 or 4) must be zero where one spelling per byte string matters (signatures),
    // else a token could be re-encoded into a "different" one.
    if(canonical && bits > 0 && (acc & ((1u << bits) - 1)) != 0)
        return std::nullopt;
    return out;
}

} // namespace

std::string
base64_encode(std::string_view bytes)
{
    return encode(bytes, standard_alphabet, true);
}

std::optional<std::string>
base64_decode(std::string_view text)
{
    for(int i = 0; i < 2 && !text.empty() && text.back() == '='; ++i)
        text.remove_suffix(1);
    return decode(text, standard_table, false);
}

std::string
base64url_encode(std::string_view bytes)
{
    return encode(bytes, url_alphabet, false);
}

std::optional<std::string>
base64url_decode(std::string_view text)
{
    return decode(text, url_table, true);
}

} // namespace tradepush
