#pragma once
// The PROXY protocol header (versions 1 and 2) a load balancer such as HAProxy (`send-proxy`,
// `send-proxy-v2`) writes at the start of each connection, naming the client it forwards.
// Accepted only from configured trusted proxies (see options::trusted_proxies).

#include <boost/asio/ip/tcp.hpp>

#include <cstddef>
#include <optional>
#include <string_view>

namespace tradepush::engineio {

/// Longest header accepted: a v1 line is at most 107 bytes; a v2 header is 16 bytes plus its
/// addresses and TLVs, which HAProxy keeps well below this.
inline constexpr std::size_t max_proxy_header = 1024;

/// What parse_proxy_header found at the start of a connection's bytes.
struct proxy_header {
    enum class status {
        need_more, ///< a valid prefix: read more (the caller bounds it by max_proxy_header)
        done,      ///< complete: `length` bytes belong to it, the rest is the client's
        invalid    ///< not a PROXY header, malformed, or longer than max_proxy_header
    };
    status state = status::need_more;
    std::size_t length = 0;
    /// The client's address and port; empty for a LOCAL (v2) or UNKNOWN (v1) header, where the
    /// proxy speaks for itself (health checks) and the connection's own peer stands.
    std::optional<boost::asio::ip::tcp::endpoint> source;
};

/// Parses the PROXY header at the start of `data` (v1 text or v2 binary). Reads nothing past the
/// header; allocation-free.
proxy_header parse_proxy_header(std::string_view data) noexcept;

} // namespace tradepush::engineio
