#include "format.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace tradepush::bybit_sim {

std::string
fmt_fixed(double v, int decimals)
{
    // "-0.00" would be a tell-tale simulator artefact; Bybit never prints negative zero.
    if (std::fabs(v) < 0.5 * std::pow(10.0, -decimals))
        v = 0.0;
    char buf[64];
    int n = std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    if (n < 0 || n >= static_cast<int>(sizeof buf))
        return "0";
    return std::string(buf, static_cast<std::size_t>(n));
}

std::string
fmt_amount(double v, int max_decimals)
{
    std::string s = fmt_fixed(v, max_decimals);
    if (s.find('.') != std::string::npos) {
        while (!s.empty() && s.back() == '0')
            s.pop_back();
        if (!s.empty() && s.back() == '.')
            s.pop_back();
    }
    if (s == "-0")
        s = "0";
    return s;
}

bool
parse_decimal(std::string const& s, double& out)
{
    if (s.empty() || s.size() > 40)
        return false;
    // Bybit rejects exponents, hex and inf/nan; accept only [-]digits[.digits].
    std::size_t i = 0;
    if (s[0] == '-')
        i = 1;
    bool digits = false;
    bool dot = false;
    for (; i < s.size(); ++i) {
        if (s[i] >= '0' && s[i] <= '9')
            digits = true;
        else if (s[i] == '.' && !dot)
            dot = true;
        else
            return false;
    }
    if (!digits)
        return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size() && std::isfinite(out);
}

bool
parse_int(std::string const& s, std::int64_t& out)
{
    if (s.empty() || s.size() > 19)
        return false;
    for (char c : s)
        if (c < '0' || c > '9')
            return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

} // namespace tradepush::bybit_sim
