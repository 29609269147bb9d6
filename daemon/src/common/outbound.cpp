#include "common/outbound.hpp"

namespace tradepush {

outbound_message::outbound_message(bool binary, std::string_view payload)
    : binary_(binary)
{
    // RFC 6455 §5.2: FIN + opcode, then a 7/16/64-bit length; servers never mask.
    char header[10];
    std::size_t n = 0;
    header[n++] = static_cast<char>(0x80 | (binary ? 0x2 : 0x1));
    auto const len = payload.size();
    if(len < 126) {
        header[n++] = static_cast<char>(len);
    } else if(len <= 0xFFFF) {
        header[n++] = 126;
        header[n++] = static_cast<char>((len >> 8) & 0xFF);
        header[n++] = static_cast<char>(len & 0xFF);
    } else {
        header[n++] = 127;
        for(int shift = 56; shift >= 0; shift -= 8)
            header[n++] = static_cast<char>((static_cast<std::uint64_t>(len) >> shift) & 0xFF);
    }
    header_size_ = n;
    frame_.reserve(n + len);
    frame_.append(header, n);
    frame_.append(payload);
}

std::shared_ptr<const outbound_message>
outbound_message::text(std::string_view eio_packet)
{
    return std::make_shared<const outbound_message>(false, eio_packet);
}

std::shared_ptr<const outbound_message>
outbound_message::binary(std::string_view bytes)
{
    return std::make_shared<const outbound_message>(true, bytes);
}

} // namespace tradepush
