#include "engineio/query.hpp"

#include <boost/url/parse.hpp>

namespace tradepush::engineio {

std::optional<engineio_query>
parse_engineio_query(std::string_view target)
{
    auto parsed = boost::urls::parse_origin_form(target);
    if(!parsed)
        return std::nullopt;
    engineio_query q;
    for(auto const& param : parsed->params()) {
        if(param.key == "transport")
            q.transport = param.value;
        else if(param.key == "sid")
            q.sid = param.value;
        else if(param.key == "EIO")
            q.eio = param.value;
    }
    return q;
}

} // namespace tradepush::engineio
