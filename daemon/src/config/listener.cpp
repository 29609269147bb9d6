#include "config/listener.hpp"

#include <boost/asio/ip/address.hpp>

#include <charconv>
#include <utility>

namespace tradepush::config {

namespace {

// listener is an aggregate, so C++20 lets it be "constructed" from a std::string: without the tag
// result<listener, std::string> could not tell an error from a value.
boost::system::result<listener, std::string>
bad(std::string why)
{
    return {boost::system::in_place_error, std::move(why)};
}

} // namespace

boost::system::result<listener, std::string>
parse_listener(std::string_view text)
{
    std::string_view host;
    std::string_view port;
    bool bracketed = false;

    if (!text.empty() && text.front() == '[') {
        // "[v6]:port": brackets are the only way to tell the port's colon from the address's.
        auto const close = text.find(']');
        if (close == std::string_view::npos)
            return bad("missing ']' after the IPv6 address");
        host = text.substr(1, close - 1);
        auto const rest = text.substr(close + 1);
        if (rest.empty() || rest.front() != ':')
            return bad("missing ':port' after ']'");
        port = rest.substr(1);
        bracketed = true;
    } else {
        auto const colon = text.rfind(':');
        if (colon == std::string_view::npos)
            return bad("missing ':port' (expected host:port, e.g. 127.0.0.1:8080)");
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        if (host.find(':') != std::string_view::npos)
            return bad("an IPv6 address must be in brackets, e.g. [::1]:8080");
    }

    if (host.empty())
        return bad("missing host (use 0.0.0.0 or [::] for all interfaces)");
    if (port.empty())
        return bad("missing port number after ':'");

    // from_chars stops at the first non-digit ("80x" parses as 80): insist that it used everything.
    unsigned value = 0;
    auto const [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec == std::errc::invalid_argument || end != port.data() + port.size())
        return bad("port '" + std::string(port) + "' is not a number");
    if (ec == std::errc::result_out_of_range || value > 65535)
        return bad("port " + std::string(port) + " is out of range 0..65535");

    // Only IP literals: binding is done before DNS is trustworthy at boot, and a name resolving to
    // several addresses would make "which socket did we bind" ambiguous.
    boost::system::error_code addr_ec;
    auto const addr = boost::asio::ip::make_address(std::string(host), addr_ec);
    if (addr_ec)
        return bad("'" + std::string(host) + "' is not an IP address (use e.g. 127.0.0.1 or [::1])");
    if (bracketed && !addr.is_v6())
        return bad("brackets are only for IPv6 addresses");

    return listener{std::string(host), static_cast<unsigned short>(value)};
}

std::string
to_string(listener const& l)
{
    std::string out;
    if (l.address.find(':') != std::string::npos)
        out = "[" + l.address + "]";
    else
        out = l.address;
    out += ':';
    out += std::to_string(l.port);
    return out;
}

} // namespace tradepush::config
