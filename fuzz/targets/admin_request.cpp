// The admin socket's request lines (JSON with cmd/id/args), and the reply lines built from what
// they carried (the id is echoed back).
#include "admin/protocol.hpp"

#include <boost/json/parse.hpp>

#include <cstdlib>

extern "C" int
LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    std::string_view line(reinterpret_cast<char const*>(data), size);
    using namespace tradepush::admin;
    auto r = parse_request(line);
    if(r) {
        auto const ok = ok_line(r->id, boost::json::object{{"cmd", r->cmd}});
        auto const err = error_line(r->id, errc::bad_request, "x");
        // A reply is one JSON line: newline-terminated and parseable.
        for(auto const* reply : {&ok, &err}) {
            if(reply->empty() || reply->back() != '\n' || reply->find('\n') != reply->size() - 1)
                std::abort();
            boost::system::error_code ec;
            (void)boost::json::parse(std::string_view(*reply).substr(0, reply->size() - 1), ec);
            if(ec)
                std::abort();
        }
    } else {
        (void)error_line(r.error().id, errc::bad_request, r.error().message);
    }
    return 0;
}
