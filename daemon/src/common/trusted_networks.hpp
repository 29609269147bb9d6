#pragma once
// A set of IP networks (e.g. the load balancers allowed to name a client) and membership tests.

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>

#include <string_view>
#include <vector>

namespace tradepush {

/// Networks whose connections are a load balancer's, not a client's.
struct trusted_networks {
    std::vector<boost::asio::ip::network_v4> v4;
    std::vector<boost::asio::ip::network_v6> v6;

    /// True when `a` lies in one of them (an IPv4-mapped IPv6 address as its IPv4 address).
    bool contains(boost::asio::ip::address const& a) const noexcept;
    bool empty() const noexcept { return v4.empty() && v6.empty(); }
};

/// Adds "10.0.0.5" (one address) or "10.0.0.0/8" (IPv6 alike) to `out`; false when `text` is
/// neither.
bool add_network(trusted_networks& out, std::string_view text);

} // namespace tradepush
