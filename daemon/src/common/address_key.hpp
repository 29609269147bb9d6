#pragma once
// The unit per-client limits count by: one IPv4 address, or one IPv6 /64. A subscriber usually gets
// a whole /64, so limiting single IPv6 addresses would limit nothing.

#include <boost/asio/ip/address.hpp>

#include <array>
#include <cstdint>
#include <functional>
#include <string>

namespace tradepush {

/// An IPv4 address (as IPv4-mapped IPv6) or the /64 prefix of an IPv6 address.
struct address_key {
    std::array<std::uint8_t, 16> bytes{};

    /// The key of `a`; an IPv4-mapped IPv6 address keys as its IPv4 address.
    static address_key of(boost::asio::ip::address const& a) noexcept;
    /// "192.0.2.1" or "2001:db8:1:2::/64", for logs.
    std::string to_string() const;

    friend bool operator==(address_key const&, address_key const&) = default;
};

/// Hash for unordered containers keyed by address_key.
struct address_key_hash {
    std::size_t operator()(address_key const& k) const noexcept;
};

} // namespace tradepush
