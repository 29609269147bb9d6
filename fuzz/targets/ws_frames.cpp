// The WebSocket frame parser as a connection sees it: one byte stream (client frames: masks,
// fragmentation, control frames interleaved) cut into reads at fuzzer-chosen points, with release()
// between reads as the transport calls it. Checks what it may buffer and that it stops at the first
// error or close.
#include "engineio/ws_frame_parser.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdlib>

namespace {

constexpr std::size_t max_message = 4096;

void
check(bool ok)
{
    if(!ok)
        std::abort();
}

} // namespace

extern "C" int
LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    FuzzedDataProvider in(data, size);
    tradepush::engineio::ws_frame_parser parser(max_message);
    while(in.remaining_bytes() > 0) {
        auto const read = in.ConsumeIntegralInRange<std::size_t>(1, 512);
        auto const bytes = in.ConsumeBytesAsString(read);
        std::string_view chunk(bytes);
        while(!chunk.empty()) {
            using tradepush::engineio::ws_event;
            auto const ev = parser.next(chunk);
            if(ev == ws_event::need_more)
                break;
            if(ev == ws_event::text || ev == ws_event::binary)
                check(parser.message().size() <= max_message);
            if(ev == ws_event::ping)
                check(parser.control_payload().size() <= 125);
            if(ev == ws_event::error || ev == ws_event::close) {
                auto const code = parser.close_code();
                check(code >= 1000 && code < 5000);
                return 0; // the connection ends here
            }
        }
        // What the parser keeps between reads: one message and one control frame at most.
        check(parser.message().capacity() <= 2 * max_message + 64);
        parser.release();
    }
    return 0;
}
