#include "rate_limit.hpp"

#include <algorithm>
#include <charconv>

namespace tradepush::bybit {

bool
iequals(std::string_view a, std::string_view b) noexcept
{
    if(a.size() != b.size())
        return false;
    for(std::size_t i = 0; i < a.size(); ++i) {
        auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
        if(lower(a[i]) != lower(b[i]))
            return false;
    }
    return true;
}

namespace {

std::optional<std::int64_t>
to_int(std::string_view s)
{
    while(!s.empty() && s.front() == ' ')
        s.remove_prefix(1);
    std::int64_t v = 0;
    auto const [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if(ec != std::errc{} || ptr == s.data())
        return std::nullopt;
    return v;
}

} // namespace

rate_limit_info
parse_rate_limit(std::vector<std::pair<std::string_view, std::string_view>> const& headers)
{
    rate_limit_info info;
    for(auto const& [name, value] : headers) {
        if(iequals(name, "X-Bapi-Limit"))
            info.limit = to_int(value);
        else if(iequals(name, "X-Bapi-Limit-Status"))
            info.remaining = to_int(value);
        else if(iequals(name, "X-Bapi-Limit-Reset-Timestamp"))
            info.reset_ms = to_int(value);
    }
    return info;
}

std::chrono::milliseconds
rate_limit_wait(rate_limit_info const& info, std::int64_t server_now_ms, std::chrono::milliseconds fallback,
    std::chrono::milliseconds cap)
{
    auto wait = fallback;
    // A reset time in the past or absurdly far ahead is not trusted (10006 may come without it, pybit#340).
    if(info.reset_ms && *info.reset_ms > server_now_ms)
        wait = std::chrono::milliseconds{*info.reset_ms - server_now_ms + 50};
    return std::clamp(wait, std::chrono::milliseconds{1}, cap);
}

} // namespace tradepush::bybit
