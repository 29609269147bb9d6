// The PROXY protocol header (v1 text, v2 binary) a trusted load balancer sends first, fed the way a
// connection reads it: growing prefixes of the stream until the parser decides.
#include "engineio/proxy_protocol.hpp"

#include <cstdlib>

extern "C" int
LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    using tradepush::engineio::max_proxy_header;
    using status = tradepush::engineio::proxy_header::status;
    std::string_view all(reinterpret_cast<char const*>(data), size);
    for(std::size_t n = 1; n <= std::min(size, max_proxy_header); ++n) {
        auto const h = tradepush::engineio::parse_proxy_header(all.substr(0, n));
        if(h.state == status::need_more)
            continue;
        if(h.state == status::done) {
            // Never claims more than it was given, nor more than the bound.
            if(h.length == 0 || h.length > n || h.length > max_proxy_header)
                std::abort();
            // The decision is stable: more bytes after a complete header change nothing.
            auto const again = tradepush::engineio::parse_proxy_header(all);
            if(again.state != status::done || again.length != h.length)
                std::abort();
        }
        return 0;
    }
    return 0;
}
