#include "admin/redact.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <array>
#include <string>

namespace tradepush::admin {

namespace json = boost::json;

bool
is_secret_key(std::string_view key) noexcept
{
    std::string lower(key);
    for(char& c : lower)
        if(c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    std::string_view const k = lower;

    // Substrings: any key mentioning these carries a secret whatever its prefix (api_secret,
    // refresh_token, db_password).
    constexpr std::array contains{"secret", "token", "password", "passwd", "passphrase", "credential"};
    for(std::string_view s : contains)
        if(k.find(s) != std::string_view::npos)
            return true;
    // Suffixes only: plain "key" is too common (a map key, a stream key) to redact blindly.
    constexpr std::array suffixes{"api_key", "apikey", "private_key"};
    for(std::string_view s : suffixes)
        if(k.ends_with(s))
            return true;
    return false;
}

bool
is_secret_config_key(std::string_view key) noexcept
{
    if(is_secret_key(key))
        return true;
    std::string lower(key);
    for(char& c : lower)
        if(c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return lower.find("key") != std::string::npos;
}

namespace {

json::value
redact_with(json::value const& v, bool (*secret)(std::string_view) noexcept)
{
    if(v.is_object()) {
        json::object out;
        for(auto const& [k, child] : v.get_object())
            out[k] = secret(k) ? json::value("***") : redact_with(child, secret);
        return out;
    }
    if(v.is_array()) {
        json::array out;
        for(auto const& child : v.get_array())
            out.push_back(redact_with(child, secret));
        return out;
    }
    return v;
}

} // namespace

json::value
redact(json::value const& v)
{
    return redact_with(v, &is_secret_key);
}

json::value
redact_config(json::value const& v)
{
    return redact_with(v, &is_secret_config_key);
}

} // namespace tradepush::admin
