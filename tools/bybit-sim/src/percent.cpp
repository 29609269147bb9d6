#include "percent.hpp"

namespace tradepush::bybit_sim {

namespace {

int
hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

} // namespace

std::string
percent_encode(std::string_view s)
{
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size() * 3);
    for (unsigned char c : s) {
        bool const unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~';
        if (unreserved) {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 0x0f]);
        }
    }
    return out;
}

std::optional<std::string>
percent_decode(std::string_view s)
{
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out.push_back(s[i]);
            continue;
        }
        if (i + 2 >= s.size())
            return std::nullopt;
        int const hi = hex_value(s[i + 1]);
        int const lo = hex_value(s[i + 2]);
        if (hi < 0 || lo < 0)
            return std::nullopt;
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
    }
    return out;
}

bool
parse_query(std::string_view raw, std::map<std::string, std::string>& out)
{
    std::size_t start = 0;
    while (start <= raw.size()) {
        auto end = raw.find('&', start);
        auto part = raw.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
        if (!part.empty()) {
            auto eq = part.find('=');
            auto key = percent_decode(part.substr(0, eq));
            auto value = percent_decode(eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1));
            if (!key || !value)
                return false;
            out.emplace(std::move(*key), std::move(*value));
        }
        if (end == std::string_view::npos)
            break;
        start = end + 1;
    }
    return true;
}

} // namespace tradepush::bybit_sim
