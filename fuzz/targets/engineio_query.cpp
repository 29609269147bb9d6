// The request target of every HTTP request: the Engine.IO query (transport, sid, EIO), percent
// decoding included.
#include "engineio/query.hpp"

#include <cstdlib>

extern "C" int
LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    std::string_view target(reinterpret_cast<char const*>(data), size);
    auto q = tradepush::engineio::parse_engineio_query(target);
    // Percent-decoding only shrinks: no value is longer than the target.
    if(q && (q->transport.size() > size || q->sid.size() > size || q->eio.size() > size))
        std::abort();
    return 0;
}
