// HTTP/1.1 requests as a connection reads them: bytes arriving in fuzzer-sized pieces into Beast's
// request parser with the server's limits (8 KiB of header, the body limit set once the header is
// in), several requests per connection (keep-alive), and each complete request's target through the
// Engine.IO query parser.
#include "engineio/query.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdlib>
#include <cstring>
#include <optional>

namespace http = boost::beast::http;

namespace {

constexpr std::size_t header_limit = 8 * 1024;
constexpr std::size_t body_limit = 64 * 1024;

} // namespace

extern "C" int
LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    FuzzedDataProvider in(data, size);
    // The connection's buffer and its bound (engineio/http_connection.hpp).
    boost::beast::flat_buffer buffer(96 * 1024);
    std::optional<http::request_parser<http::string_body>> parser;
    auto fresh = [&] {
        parser.emplace();
        parser->header_limit(header_limit);
        parser->body_limit(body_limit);
    };
    fresh();
    while(in.remaining_bytes() > 0) {
        auto const piece = in.ConsumeBytesAsString(in.ConsumeIntegralInRange<std::size_t>(1, 1024));
        if(piece.empty())
            break;
        if(piece.size() > buffer.max_size() - buffer.size())
            return 0; // the connection would fail the read (buffer_overflow) and close
        auto dst = buffer.prepare(piece.size());
        std::memcpy(dst.data(), piece.data(), piece.size());
        buffer.commit(piece.size());
        for(;;) {
            boost::beast::error_code ec;
            auto const used = parser->put(buffer.data(), ec);
            buffer.consume(used);
            if(ec == http::error::need_more)
                break;
            if(ec)
                return 0; // the connection is answered with an error and closed
            if(!parser->is_done()) {
                if(used == 0)
                    break;
                continue;
            }
            auto req = parser->release();
            (void)tradepush::engineio::parse_engineio_query(req.target());
            if(req.body().size() > body_limit)
                std::abort();
            fresh();
        }
    }
    return 0;
}
