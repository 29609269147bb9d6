#include "hub/wire.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>

#include <charconv>
#include <chrono>
#include <cmath>

namespace tradepush::hub {

namespace json = boost::json;

namespace {

template<class Number>
void
append_number(std::string& out, Number n)
{
    char buf[32];
    auto const r = std::to_chars(buf, buf + sizeof buf, n);
    out.append(buf, r.ptr);
}

} // namespace

void
append_json_string(std::string& out, std::string_view s)
{
    static constexpr char hex[] = "0123456789abcdef";
    out.push_back('"');
    for(char ch : s) {
        auto const c = static_cast<unsigned char>(ch);
        switch(c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if(c < 0x20) {
                // RFC 8259 §7: control characters must be escaped; UTF-8 above passes through.
                out += "\\u00";
                out.push_back(hex[c >> 4]);
                out.push_back(hex[c & 0xf]);
            } else {
                out.push_back(ch);
            }
        }
    }
    out.push_back('"');
}

void
append_json(std::string& out, json::value const& v)
{
    switch(v.kind()) {
    case json::kind::null:
        out += "null";
        break;
    case json::kind::bool_:
        out += v.get_bool() ? "true" : "false";
        break;
    case json::kind::int64:
        append_number(out, v.get_int64());
        break;
    case json::kind::uint64:
        append_number(out, v.get_uint64());
        break;
    case json::kind::double_:
        if(std::isfinite(v.get_double()))
            append_number(out, v.get_double());
        else
            out += "null";
        break;
    case json::kind::string:
        append_json_string(out, v.get_string());
        break;
    case json::kind::array: {
        out.push_back('[');
        bool first = true;
        for(auto const& e : v.get_array()) {
            if(!first)
                out.push_back(',');
            first = false;
            append_json(out, e);
        }
        out.push_back(']');
        break;
    }
    case json::kind::object: {
        out.push_back('{');
        bool first = true;
        for(auto const& kv : v.get_object()) {
            if(!first)
                out.push_back(',');
            first = false;
            append_json_string(out, kv.key());
            out.push_back(':');
            append_json(out, kv.value());
        }
        out.push_back('}');
        break;
    }
    }
}

std::string
to_json(json::value const& v)
{
    std::string out;
    append_json(out, v);
    return out;
}

outbound_ptr
make_event(std::string_view event, std::string_view body_json)
{
    std::string packet;
    packet.reserve(body_json.size() + event.size() + 8);
    // Engine.IO "4" (message) + Socket.IO "2" (EVENT) on the default namespace, no ack id.
    packet += "42[";
    append_json_string(packet, event);
    packet.push_back(',');
    packet += body_json;
    packet.push_back(']');
    return outbound_message::text(packet);
}

std::int64_t
now_ms() noexcept
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

} // namespace tradepush::hub
