#pragma once
// The long-polling payload format of Engine.IO v4: packets joined by the record separator (0x1E), a
// binary one written as 'b' followed by its base64.

#include "common/base64.hpp"

#include <string>
#include <string_view>

namespace tradepush::engineio {

/// The record separator between the packets of a polling payload.
inline constexpr char record_separator = '\x1e';

/// Calls `on_text(packet)` for each text packet and `on_binary(bytes)` for each binary one of a
/// polling POST body, in order, while `keep_going()` holds. Returns false when a binary packet is
/// not valid base64 (the packets before it were delivered). Allocates only for binary packets,
/// at most their decoded size; the body itself is bounded by the caller (maxPayload).
template<class OnText, class OnBinary, class KeepGoing>
bool
for_each_polling_packet(std::string_view body, OnText&& on_text, OnBinary&& on_binary, KeepGoing&& keep_going)
{
    while(keep_going()) {
        auto const end = body.find(record_separator);
        auto const part = body.substr(0, end);
        if(!part.empty() && part.front() == 'b') {
            auto bytes = base64_decode(part.substr(1));
            if(!bytes)
                return false;
            on_binary(*bytes);
        } else {
            on_text(part);
        }
        if(end == std::string_view::npos)
            break;
        body.remove_prefix(end + 1);
    }
    return true;
}

} // namespace tradepush::engineio
