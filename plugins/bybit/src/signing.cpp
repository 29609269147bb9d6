#include "signing.hpp"

#include "json_writer.hpp"

namespace tradepush::bybit {

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

} // namespace

std::string
to_hex(digest const& d)
{
    std::string out;
    out.reserve(d.size() * 2);
    for(auto b : d) {
        out += hex_digits[b >> 4];
        out += hex_digits[b & 0xf];
    }
    return out;
}

std::string
rest_sign_payload(std::uint64_t timestamp_ms, std::string_view api_key, std::uint64_t recv_window_ms,
    std::string_view payload)
{
    // Always with recv_window: we always send X-BAPI-RECV-WINDOW, and the server signs what it receives.
    std::string s = std::to_string(timestamp_ms);
    s += api_key;
    s += std::to_string(recv_window_ms);
    s += payload;
    return s;
}

std::string
ws_sign_payload(std::uint64_t expires_ms)
{
    return "GET/realtime" + std::to_string(expires_ms);
}

std::vector<std::pair<std::string, std::string>>
rest_auth_headers(std::string_view api_key, std::uint64_t timestamp_ms, std::uint64_t recv_window_ms,
    std::string_view signature_hex)
{
    return {
        {"X-BAPI-API-KEY", std::string(api_key)},
        {"X-BAPI-TIMESTAMP", std::to_string(timestamp_ms)},
        {"X-BAPI-RECV-WINDOW", std::to_string(recv_window_ms)},
        {"X-BAPI-SIGN", std::string(signature_hex)},
    };
}

std::string
ws_auth_message(std::string_view api_key, std::uint64_t expires_ms, std::string_view signature_hex)
{
    // expires as a JSON integer, as pybit and nautilus send it.
    std::string s = R"({"op":"auth","args":[)";
    append_json_string(s, api_key);
    s += ',';
    s += std::to_string(expires_ms);
    s += ',';
    append_json_string(s, signature_hex);
    s += "]}";
    return s;
}

} // namespace tradepush::bybit
