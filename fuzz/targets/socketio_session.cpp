// One Socket.IO session's incoming messages through the decoder: a sequence of text and binary
// Engine.IO messages (BINARY_EVENT headers and their attachments, in and out of order), each packet
// also re-encoded to check that what the decoder accepts, the encoder can write.
#include "socketio/decoder.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdlib>

extern "C" int
LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    FuzzedDataProvider in(data, size);
    tradepush::socketio::decoder dec(10);
    while(in.remaining_bytes() > 0) {
        bool const binary = in.ConsumeBool();
        auto const message = in.ConsumeRandomLengthString(4096);
        auto r = dec.feed(message, binary);
        if(!r) {
            if(dec.reconstructing())
                std::abort(); // an error resets the decoder
            continue;         // the session would close here; keep going to reach deeper states
        }
        if(*r) {
            auto const& p = **r;
            if(p.attachments.size() > 10)
                std::abort();
            (void)tradepush::socketio::encode_packet(p);
        }
    }
    return 0;
}
