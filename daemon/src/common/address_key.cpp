#include "common/address_key.hpp"

#include <algorithm>
#include <cstring>
#include <random>

namespace tradepush {

address_key
address_key::of(boost::asio::ip::address const& a) noexcept
{
    address_key k;
    if(a.is_v4()) {
        auto const v4 = a.to_v4().to_bytes();
        k.bytes[10] = 0xFF;
        k.bytes[11] = 0xFF;
        std::memcpy(k.bytes.data() + 12, v4.data(), 4);
        return k;
    }
    auto const v6 = a.to_v6();
    if(v6.is_v4_mapped())
        return of(boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6));
    auto const b = v6.to_bytes();
    // The /64: the interface half is the subscriber's to choose.
    std::memcpy(k.bytes.data(), b.data(), 8);
    return k;
}

std::string
address_key::to_string() const
{
    bool const v4 = std::all_of(bytes.begin(), bytes.begin() + 10, [](std::uint8_t b) { return b == 0; }) &&
        bytes[10] == 0xFF && bytes[11] == 0xFF;
    if(v4) {
        boost::asio::ip::address_v4::bytes_type b;
        std::memcpy(b.data(), bytes.data() + 12, 4);
        return boost::asio::ip::address_v4(b).to_string();
    }
    boost::asio::ip::address_v6::bytes_type b;
    std::memcpy(b.data(), bytes.data(), 16);
    return boost::asio::ip::address_v6(b).to_string() + "/64";
}

std::size_t
address_key_hash::operator()(address_key const& k) const noexcept
{
    // FNV-1a from a per-process random basis: keys are chosen by clients (anyone with an IPv6 /48
    // picks among 65536 prefixes), and with a fixed basis they could pick colliding ones.
    static std::uint64_t const basis = [] {
        std::random_device rd;
        return (static_cast<std::uint64_t>(rd()) << 32) ^ rd() ^ 0xcbf29ce484222325ULL;
    }();
    std::uint64_t h = basis;
    for(auto b : k.bytes) {
        h ^= b;
        h *= 0x100000001b3ULL;
    }
    return static_cast<std::size_t>(h);
}

} // namespace tradepush
