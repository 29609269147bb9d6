#include "engineio/proxy_protocol.hpp"

#include <boost/asio/ip/address.hpp>

#include <array>
#include <charconv>
#include <cstring>

namespace tradepush::engineio {

namespace {

using status = proxy_header::status;
namespace ip = boost::asio::ip;

constexpr std::string_view v2_signature{"\r\n\r\n\0\r\nQUIT\n", 12};
constexpr std::string_view v1_prefix = "PROXY ";
// "PROXY TCP6 " + 2 x 39 + 2 x 5 + 4 spaces + CRLF (the spec's bound).
constexpr std::size_t v1_max = 107;

proxy_header
invalid()
{
    return proxy_header{status::invalid, 0, std::nullopt};
}

// The next space-separated field of a v1 line.
std::string_view
field(std::string_view& line)
{
    auto const sp = line.find(' ');
    auto const f = line.substr(0, sp);
    line.remove_prefix(sp == std::string_view::npos ? line.size() : sp + 1);
    return f;
}

std::optional<unsigned short>
port_of(std::string_view s)
{
    // Decimal without leading zeros (as the spec writes them), 0..65535.
    if(s.empty() || s.size() > 5 || (s.size() > 1 && s.front() == '0'))
        return std::nullopt;
    unsigned v = 0;
    auto const [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if(ec != std::errc{} || end != s.data() + s.size() || v > 65535)
        return std::nullopt;
    return static_cast<unsigned short>(v);
}

proxy_header
parse_v1(std::string_view data)
{
    auto const crlf = data.substr(0, v1_max).find("\r\n");
    if(crlf == std::string_view::npos)
        return data.size() >= v1_max ? invalid() : proxy_header{};
    auto line = data.substr(v1_prefix.size(), crlf - v1_prefix.size());
    proxy_header h{status::done, crlf + 2, std::nullopt};
    auto const proto = field(line);
    if(proto == "UNKNOWN")
        return h; // the rest of the line is to be ignored
    if(proto != "TCP4" && proto != "TCP6")
        return invalid();
    auto const src = field(line);
    auto const dst = field(line);
    auto const sport = port_of(field(line));
    auto const dport = port_of(field(line));
    if(!line.empty() || !sport || !dport)
        return invalid();
    boost::system::error_code ec;
    auto const src_addr = ip::make_address(std::string(src), ec);
    if(ec || src_addr.is_v4() != (proto == "TCP4"))
        return invalid();
    (void)ip::make_address(std::string(dst), ec);
    if(ec)
        return invalid();
    h.source = ip::tcp::endpoint(src_addr, *sport);
    return h;
}

proxy_header
parse_v2(std::string_view data)
{
    if(data.size() < 16)
        return {};
    auto const byte = [&](std::size_t i) { return static_cast<std::uint8_t>(data[i]); };
    auto const version = byte(12) >> 4;
    auto const command = byte(12) & 0x0F;
    if(version != 2 || command > 1)
        return invalid();
    std::size_t const len = (std::size_t(byte(14)) << 8) | byte(15);
    if(len > max_proxy_header - 16)
        return invalid();
    if(data.size() < 16 + len)
        return {};
    proxy_header h{status::done, 16 + len, std::nullopt};
    if(command == 0)
        return h; // LOCAL: the proxy's own connection (a health check)
    auto const family = byte(13) >> 4;
    auto const transport = byte(13) & 0x0F;
    if(transport != 1 && family != 0)
        return h; // not TCP (datagrams): no client to name; the connection's peer stands
    if(family == 1) {
        if(len < 12)
            return invalid();
        ip::address_v4::bytes_type b;
        std::memcpy(b.data(), data.data() + 16, 4);
        auto const port = static_cast<unsigned short>((byte(24) << 8) | byte(25));
        h.source = ip::tcp::endpoint(ip::address_v4(b), port);
    } else if(family == 2) {
        if(len < 36)
            return invalid();
        ip::address_v6::bytes_type b;
        std::memcpy(b.data(), data.data() + 16, 16);
        auto const port = static_cast<unsigned short>((byte(48) << 8) | byte(49));
        h.source = ip::tcp::endpoint(ip::address_v6(b), port);
    } else if(family != 0) {
        return h; // AF_UNIX or unknown: no IP client to name
    }
    return h;
}

} // namespace

proxy_header
parse_proxy_header(std::string_view data) noexcept
{
    try {
        // Enough bytes to tell the versions apart (or a prefix of either).
        auto const n1 = std::min(data.size(), v1_prefix.size());
        if(data.substr(0, n1) == v1_prefix.substr(0, n1))
            return data.size() < v1_prefix.size() ? proxy_header{} : parse_v1(data);
        auto const n2 = std::min(data.size(), v2_signature.size());
        if(data.substr(0, n2) == v2_signature.substr(0, n2))
            return data.size() < v2_signature.size() ? proxy_header{} : parse_v2(data);
        return invalid();
    } catch(...) {
        // make_address takes a std::string: only allocation can throw, and the line is tiny.
        return invalid();
    }
}

} // namespace tradepush::engineio
