#pragma once
// A minimal absolute-URL splitter for the host's HTTP and WebSocket clients. Plugins hand us
// http(s):// and ws(s):// URLs only, so a small parser avoids linking Boost.URL into the plugin host.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tradepush::plugin_host {

/// The parts of an absolute URL the clients need to connect and send a request line.
struct net_url {
    std::string scheme; ///< lower case: "http", "https", "ws" or "wss"
    std::string host;   ///< without brackets for IPv6 literals
    std::uint16_t port = 0; ///< explicit or the scheme's default
    std::string target = "/"; ///< path and query, never empty; the fragment is dropped
    bool secure = false; ///< https or wss

    /// Value of the Host header: the host (bracketed when IPv6), plus ":port" when not the default.
    std::string host_header() const;
    /// "scheme://host:port": what the clients pool connections and bound connection attempts by.
    std::string endpoint_key() const { return scheme + "://" + host + ":" + std::to_string(port); }
    /// Whether `host` is an IP literal (then no SNI is sent: RFC 6066 forbids it).
    bool host_is_ip() const;
};

/// Parses `url`; nullopt when the scheme is not one of http/https/ws/wss or the authority is bad.
/// Userinfo ("user:pass@") is rejected rather than silently sent nowhere.
std::optional<net_url> parse_net_url(std::string_view url);

} // namespace tradepush::plugin_host
