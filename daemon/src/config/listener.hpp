#pragma once
// One address the daemon accepts clients on, and the parser for its "host:port" spelling.

#include <boost/system/result.hpp>

#include <string>
#include <string_view>

namespace tradepush::config {

/// A listening address: an IP literal (IPv6 without brackets) and a port; port 0 lets the kernel pick.
struct listener {
    /// IPv4 or IPv6 literal, e.g. "127.0.0.1" or "::1" (stored without the brackets).
    std::string address;
    /// TCP port; 0 means "any free port", which tests use.
    unsigned short port = 0;

    /// Listeners compare equal when both address and port match (used to reject duplicates).
    friend bool operator==(listener const&, listener const&) = default;
};

/// Parses "127.0.0.1:8080" or "[::1]:8080" (IPv6 must be bracketed). The error is a human-readable
/// reason without position. Note: in Boost 1.81 `value()` does not compile for a std::string error
/// type (no throw_exception_from_error overload is reachable); test the result and use `*r` / `r.error()`.
boost::system::result<listener, std::string> parse_listener(std::string_view text);

/// Formats a listener back into the spelling parse_listener accepts ("[::1]:8080" for IPv6).
std::string to_string(listener const& l);

} // namespace tradepush::config
