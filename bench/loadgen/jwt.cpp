#include "loadgen/jwt.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdexcept>

namespace tradepush::bench {

std::string
base64url(std::string_view bytes)
{
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    auto byte = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[k])); };
    for(; i + 3 <= bytes.size(); i += 3)
    {
        std::uint32_t const n = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
        out += alphabet[n >> 18 & 63];
        out += alphabet[n >> 12 & 63];
        out += alphabet[n >> 6 & 63];
        out += alphabet[n & 63];
    }
    if(bytes.size() - i == 1)
    {
        std::uint32_t const n = byte(i) << 16;
        out += alphabet[n >> 18 & 63];
        out += alphabet[n >> 12 & 63];
    }
    else if(bytes.size() - i == 2)
    {
        std::uint32_t const n = byte(i) << 16 | byte(i + 1) << 8;
        out += alphabet[n >> 18 & 63];
        out += alphabet[n >> 12 & 63];
        out += alphabet[n >> 6 & 63];
    }
    return out;
}

std::string
mint_hs256(std::string_view secret, std::string_view sub, std::int64_t exp)
{
    // The header never changes; its encoding is computed once.
    static std::string const header = base64url(R"({"alg":"HS256","typ":"JWT"})");

    std::string claims = R"({"sub":")";
    claims += sub;
    claims += R"(","exp":)";
    claims += std::to_string(exp);
    claims += '}';

    std::string token = header;
    token += '.';
    token += base64url(claims);

    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if(!HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
             reinterpret_cast<unsigned char const*>(token.data()), token.size(), mac, &mac_len))
        throw std::runtime_error("HMAC-SHA256 failed");

    token += '.';
    token += base64url(std::string_view(reinterpret_cast<char const*>(mac), mac_len));
    return token;
}

} // namespace tradepush::bench
