#include "plugin_host/net_url.hpp"

#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <cctype>

namespace tradepush::plugin_host {

namespace {

std::uint16_t
default_port(std::string_view scheme)
{
    return (scheme == "https" || scheme == "wss") ? 443 : 80;
}

} // namespace

std::string
net_url::host_header() const
{
    std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    if (port != default_port(scheme))
        out += ":" + std::to_string(port);
    return out;
}

bool
net_url::host_is_ip() const
{
    boost::system::error_code ec;
    boost::asio::ip::make_address(host, ec);
    return !ec;
}

std::optional<net_url>
parse_net_url(std::string_view url)
{
    net_url out;
    auto const colon = url.find("://");
    if (colon == std::string_view::npos)
        return std::nullopt;
    out.scheme.assign(url.substr(0, colon));
    std::transform(out.scheme.begin(), out.scheme.end(), out.scheme.begin(),
        [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (out.scheme != "http" && out.scheme != "https" && out.scheme != "ws" && out.scheme != "wss")
        return std::nullopt;
    out.secure = out.scheme == "https" || out.scheme == "wss";

    // Authority ends at the first '/', '?' or '#'.
    auto rest = url.substr(colon + 3);
    auto const auth_end = rest.find_first_of("/?#");
    auto authority = rest.substr(0, auth_end);
    rest = auth_end == std::string_view::npos ? std::string_view{} : rest.substr(auth_end);
    if (authority.empty() || authority.find('@') != std::string_view::npos)
        return std::nullopt;

    // Host: a bracketed IPv6 literal or everything up to the last ':'.
    std::string_view port_text;
    bool has_port = false;
    if (authority.front() == '[') {
        auto const close = authority.find(']');
        if (close == std::string_view::npos)
            return std::nullopt;
        out.host.assign(authority.substr(1, close - 1));
        auto after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':')
                return std::nullopt;
            port_text = after.substr(1);
            has_port = true;
        }
    } else {
        auto const c = authority.rfind(':');
        out.host.assign(authority.substr(0, c));
        if (c != std::string_view::npos) {
            port_text = authority.substr(c + 1);
            has_port = true;
        }
    }
    if (out.host.empty())
        return std::nullopt;

    out.port = default_port(out.scheme);
    if (has_port) {
        if (port_text.empty())
            return std::nullopt;
        unsigned long value = 0;
        for (char c : port_text) {
            if (c < '0' || c > '9')
                return std::nullopt;
            value = value * 10 + static_cast<unsigned long>(c - '0');
            if (value > 65535)
                return std::nullopt;
        }
        if (value == 0)
            return std::nullopt;
        out.port = static_cast<std::uint16_t>(value);
    }

    // Target: path and query; the fragment never goes on the wire.
    if (auto const hash = rest.find('#'); hash != std::string_view::npos)
        rest = rest.substr(0, hash);
    if (rest.empty())
        out.target = "/";
    else if (rest.front() == '?')
        out.target = "/" + std::string(rest);
    else
        out.target.assign(rest);
    return out;
}

} // namespace tradepush::plugin_host
