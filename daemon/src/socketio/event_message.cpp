// encode_event_message(): the serialize-once EVENT for fan-out (declared in socket.hpp).
#include "socketio/packet.hpp"
#include "socketio/socket.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

namespace tradepush::socketio {

outbound_ptr
encode_event_message(std::string_view nsp, std::string_view name, json::value const& payload)
{
    // `42<nsp,>["name",payload]`, written directly so the payload is serialized exactly once.
    std::string text = "42";
    if(!nsp.empty() && nsp != "/") {
        text.append(nsp);
        text.push_back(',');
    }
    text.push_back('[');
    text.append(json::serialize(json::string_view(name)));
    text.push_back(',');
    append_json(text, payload);
    text.push_back(']');
    return outbound_message::text(text);
}

} // namespace tradepush::socketio
