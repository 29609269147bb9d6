#include "common/trusted_networks.hpp"

#include <string>

namespace tradepush {

bool
trusted_networks::contains(boost::asio::ip::address const& a) const noexcept
{
    namespace ip = boost::asio::ip;
    if(a.is_v6() && a.to_v6().is_v4_mapped())
        return contains(ip::make_address_v4(ip::v4_mapped, a.to_v6()));
    if(a.is_v4()) {
        auto const v = a.to_v4().to_uint();
        for(auto const& n : v4) {
            auto const mask = n.prefix_length() == 0 ? 0u : ~0u << (32 - n.prefix_length());
            if((v & mask) == (n.network().to_uint() & mask))
                return true;
        }
        return false;
    }
    auto const b = a.to_v6().to_bytes();
    for(auto const& n : v6) {
        auto const nb = n.network().to_bytes();
        auto bits = n.prefix_length();
        bool match = true;
        for(std::size_t i = 0; i < 16 && bits > 0 && match; ++i, bits = bits > 8 ? bits - 8 : 0) {
            auto const mask = static_cast<std::uint8_t>(bits >= 8 ? 0xFF : 0xFF << (8 - bits));
            match = (b[i] & mask) == (nb[i] & mask);
        }
        if(match)
            return true;
    }
    return false;
}

bool
add_network(trusted_networks& out, std::string_view text)
{
    namespace ip = boost::asio::ip;
    boost::system::error_code ec;
    if(text.find('/') == std::string_view::npos) {
        auto const a = ip::make_address(std::string(text), ec);
        if(ec)
            return false;
        if(a.is_v4())
            out.v4.emplace_back(a.to_v4(), 32);
        else
            out.v6.emplace_back(a.to_v6(), 128);
        return true;
    }
    if(auto n4 = ip::make_network_v4(text, ec); !ec) {
        out.v4.push_back(n4);
        return true;
    }
    ec = {};
    if(auto n6 = ip::make_network_v6(text, ec); !ec) {
        out.v6.push_back(n6);
        return true;
    }
    return false;
}

} // namespace tradepush
