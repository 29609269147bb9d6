#include "admin/protocol.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <stdexcept>

#include <unistd.h>

namespace tradepush::admin {

namespace json = boost::json;

void
throw_exception_from_error(request_error const& e, boost::source_location const&)
{
    throw std::runtime_error(e.message);
}

std::string
normalize_command(std::string_view cmd)
{
    std::string out;
    out.reserve(cmd.size());
    bool gap = false;
    for(char c : cmd) {
        if(c == ' ' || c == '.' || c == '\t') {
            gap = !out.empty();
            continue;
        }
        if(gap)
            out.push_back(' ');
        gap = false;
        out.push_back(c);
    }
    return out;
}

boost::system::result<request, request_error>
parse_request(std::string_view line)
{
    boost::system::error_code ec;
    json::value v = json::parse(line, ec);
    if(ec)
        return request_error{nullptr, "malformed JSON: " + ec.message()};
    if(!v.is_object())
        return request_error{nullptr, "a request is a JSON object"};
    auto& o = v.get_object();

    request r;
    if(auto const* id = o.if_contains("id"))
        r.id = *id;
    auto const* cmd = o.if_contains("cmd");
    if(!cmd || !cmd->is_string())
        return request_error{r.id, "missing string field 'cmd'"};
    r.cmd = normalize_command(cmd->get_string());
    if(r.cmd.empty())
        return request_error{r.id, "empty 'cmd'"};
    if(auto* args = o.if_contains("args")) {
        if(args->is_object())
            r.args = std::move(args->get_object());
        else if(!args->is_null())
            return request_error{r.id, "'args' must be an object"};
    }
    return r;
}

std::string
ok_line(json::value const& id, json::value const& result)
{
    json::object o;
    o["id"] = id;
    o["ok"] = true;
    o["result"] = result;
    return json::serialize(o) + '\n';
}

std::string
error_line(json::value const& id, std::string_view code, std::string_view message, json::object extra)
{
    json::object err = std::move(extra);
    err["code"] = code;
    err["message"] = message;
    json::object o;
    o["id"] = id;
    o["ok"] = false;
    o["error"] = std::move(err);
    return json::serialize(o) + '\n';
}

std::string
hello_line(std::string_view version, level caller_level, peer_credentials const& peer)
{
    json::object o;
    o["hello"] = "tradepushd";
    o["version"] = version;
    o["proto"] = protocol_version;
    o["level"] = to_string(caller_level);
    o["uid"] = peer.uid;
    o["pid"] = ::getpid();
    return json::serialize(o) + '\n';
}

} // namespace tradepush::admin
