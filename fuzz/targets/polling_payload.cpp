// A long-polling POST body split into Engine.IO packets, then each text packet as the session reads
// it (type digit, then data) and each binary one decoded from base64.
#include "engineio/payload.hpp"

#include <cstdlib>

extern "C" int
LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    std::string_view body(reinterpret_cast<char const*>(data), size);
    std::size_t delivered = 0;
    tradepush::engineio::for_each_polling_packet(
        body,
        [&](std::string_view packet) {
            delivered += packet.size();
            if(!packet.empty() && (packet.front() < '0' || packet.front() > '6'))
                return; // the session closes on an unknown type
        },
        [&](std::string const& bytes) {
            // base64 never decodes to more than 3/4 of its text.
            if(bytes.size() > size)
                std::abort();
            delivered += bytes.size();
        },
        [&] { return true; });
    if(delivered > size)
        std::abort();
    return 0;
}
