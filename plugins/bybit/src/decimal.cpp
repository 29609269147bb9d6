#include "decimal.hpp"

#include <charconv>
#include <cmath>

namespace tradepush::bybit {

bool
is_plain_decimal(std::string_view s) noexcept
{
    std::size_t i = 0;
    if(i < s.size() && s[i] == '-')
        ++i;
    std::size_t digits = 0;
    while(i < s.size() && s[i] >= '0' && s[i] <= '9') {
        ++i;
        ++digits;
    }
    // JSON forbids "01" and ".5": require a leading digit, and no leading zero before more digits.
    if(digits == 0 || (digits > 1 && s[s[0] == '-' ? 1 : 0] == '0'))
        return false;
    if(i < s.size() && s[i] == '.') {
        ++i;
        std::size_t frac = 0;
        while(i < s.size() && s[i] >= '0' && s[i] <= '9') {
            ++i;
            ++frac;
        }
        if(frac == 0)
            return false;
    }
    return i == s.size();
}

std::optional<double>
parse_decimal(std::string_view s) noexcept
{
    if(!is_plain_decimal(s))
        return std::nullopt;
    double v = 0;
    auto const [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if(ec != std::errc{} || ptr != s.data() + s.size() || !std::isfinite(v))
        return std::nullopt;
    return v;
}

std::string
format_number(double v)
{
    // Clients parse JSON numbers; non-finite values have no JSON form, and "-0" only confuses.
    if(!std::isfinite(v) || v == 0)
        return "0";
    char buf[64];
    auto const [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
    if(ec != std::errc{})
        return "0";
    return std::string(buf, ptr);
}

} // namespace tradepush::bybit
