#include "sign.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace tradepush::bybit_sim {

std::string
hmac_sha256_hex(std::string_view secret, std::string_view payload)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
        reinterpret_cast<unsigned char const*>(payload.data()), payload.size(), digest, &len);
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(len * 2);
    for (unsigned int i = 0; i < len; ++i) {
        out.push_back(hex[digest[i] >> 4]);
        out.push_back(hex[digest[i] & 0x0f]);
    }
    return out;
}

std::string
rest_sign_origin(std::string_view timestamp, std::string_view api_key, std::string_view recv_window,
    std::string_view payload)
{
    std::string s;
    s.reserve(timestamp.size() + api_key.size() + recv_window.size() + payload.size());
    s.append(timestamp).append(api_key).append(recv_window).append(payload);
    return s;
}

std::string
rest_signature(std::string_view secret, std::string_view timestamp, std::string_view api_key,
    std::string_view recv_window, std::string_view payload)
{
    return hmac_sha256_hex(secret, rest_sign_origin(timestamp, api_key, recv_window, payload));
}

std::string
ws_signature(std::string_view secret, std::int64_t expires_ms)
{
    return hmac_sha256_hex(secret, "GET/realtime" + std::to_string(expires_ms));
}

bool
signature_equal(std::string_view a, std::string_view b)
{
    if (a.size() != b.size())
        return false;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace tradepush::bybit_sim
