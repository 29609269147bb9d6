#include "socketio/packet.hpp"

#include "socketio/error.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serializer.hpp>

#include <array>
#include <charconv>

namespace tradepush::socketio {

namespace {

bool
is_digit(char c) noexcept
{
    return c >= '0' && c <= '9';
}

// Parses a run of digits; false when it overflows 64 bits.
bool
parse_u64(std::string_view digits, std::uint64_t& out) noexcept
{
    auto const [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out);
    return ec == std::errc{} && ptr == digits.data() + digits.size();
}

// socket.io-parser reconstructs `{"_placeholder":true,"num":i}` and throws on an index that is not
// an attachment; we keep placeholders in place (the layer above echoes them) but refuse the same inputs.
bool
placeholders_valid(json::value const& v, std::size_t count) noexcept
{
    // Recursion depth is bounded by the JSON parser's max_depth (32).
    if(auto const* arr = v.if_array()) {
        for(auto const& e : *arr)
            if(!placeholders_valid(e, count))
                return false;
        return true;
    }
    auto const* obj = v.if_object();
    if(!obj)
        return true;
    if(auto const* ph = obj->if_contains("_placeholder"); ph && ph->is_bool() && ph->get_bool()) {
        auto const* num = obj->if_contains("num");
        if(!num)
            return false;
        if(num->is_int64())
            return num->get_int64() >= 0 && static_cast<std::uint64_t>(num->get_int64()) < count;
        if(num->is_uint64())
            return num->get_uint64() < count;
        return false;
    }
    for(auto const& kv : *obj)
        if(!placeholders_valid(kv.value(), count))
            return false;
    return true;
}

// isPayloadValid() of the reference, plus "EVENT/ACK need a payload" (our clients always send one).
boost::system::error_code
check_payload(packet_type type, json::value const& data, bool present)
{
    switch(type) {
    case packet_type::connect:
        return !present || data.is_object() ? boost::system::error_code{} : decode_error::invalid_payload;
    case packet_type::disconnect:
        return present ? decode_error::invalid_payload : boost::system::error_code{};
    case packet_type::connect_error:
        return !present || data.is_object() || data.is_string() ? boost::system::error_code{}
                                                                : decode_error::invalid_payload;
    case packet_type::event:
    case packet_type::binary_event: {
        auto const* arr = data.if_array();
        if(!present || !arr || arr->empty())
            return decode_error::invalid_payload;
        auto const& name = arr->front();
        if(name.is_number())
            return {};
        if(!name.is_string())
            return decode_error::invalid_payload;
        if(is_reserved_event(name.get_string()))
            return decode_error::reserved_event;
        return {};
    }
    case packet_type::ack:
    case packet_type::binary_ack:
        return present && data.is_array() ? boost::system::error_code{} : decode_error::invalid_payload;
    }
    return decode_error::unknown_type;
}

} // namespace

bool
is_reserved_event(std::string_view name) noexcept
{
    // socket.io-parser RESERVED_EVENTS.
    static constexpr std::array<std::string_view, 6> reserved{
        "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"};
    for(auto r : reserved)
        if(r == name)
            return true;
    return false;
}

boost::system::result<packet>
decode_packet(std::string_view text, std::size_t max_attachments)
{
    packet p;
    if(text.empty() || text[0] < '0' || text[0] > '6')
        return decode_error::unknown_type;
    p.type = static_cast<packet_type>(text[0] - '0');
    std::size_t i = 1;

    if(is_binary(p.type)) {
        // `<digits>-`; zero attachments would make a binary packet pointless, so it is refused too.
        auto const start = i;
        while(i < text.size() && is_digit(text[i]))
            ++i;
        if(i == start || i >= text.size() || text[i] != '-')
            return decode_error::illegal_attachments;
        std::uint64_t n = 0;
        if(!parse_u64(text.substr(start, i - start), n))
            return decode_error::too_many_attachments;
        if(n == 0)
            return decode_error::illegal_attachments;
        if(n > max_attachments)
            return decode_error::too_many_attachments;
        p.attachments.resize(static_cast<std::size_t>(n));
        ++i;
    }

    // The namespace is present only when the next char is '/'; it runs to ',' (consumed) or the end,
    // so `40/custom` without a comma is valid.
    if(i < text.size() && text[i] == '/') {
        auto const comma = text.find(',', i);
        if(comma == std::string_view::npos) {
            p.nsp.assign(text.substr(i));
            i = text.size();
        } else {
            p.nsp.assign(text.substr(i, comma - i));
            i = comma + 1;
        }
    }

    if(i < text.size() && is_digit(text[i])) {
        auto const start = i;
        while(i < text.size() && is_digit(text[i]))
            ++i;
        std::uint64_t id = 0;
        if(!parse_u64(text.substr(start, i - start), id))
            return decode_error::bad_ack_id;
        p.id = id;
    }

    bool const present = i < text.size();
    if(present) {
        boost::system::error_code ec;
        p.data = json::parse(text.substr(i), ec);
        if(ec)
            return decode_error::bad_json;
        // JSON `null` is never a valid payload (the reference's isObject(null) is false, and arrays
        // are required elsewhere), so null keeps meaning "absent" in packet::data.
        if(p.data.is_null())
            return decode_error::invalid_payload;
    }
    if(auto ec = check_payload(p.type, p.data, present))
        return ec;
    if(is_binary(p.type) && !placeholders_valid(p.data, p.attachments.size()))
        return decode_error::bad_placeholder;
    return p;
}

void
append_json(std::string& out, json::value const& v)
{
    json::serializer sr;
    sr.reset(&v);
    char buf[4096];
    while(!sr.done())
        out.append(sr.read(buf));
}

void
encode_packet(packet const& p, std::string& out)
{
    out.push_back(static_cast<char>('0' + static_cast<int>(p.type)));
    if(is_binary(p.type)) {
        out.append(std::to_string(p.attachments.size()));
        out.push_back('-');
    }
    if(!p.nsp.empty() && p.nsp != "/") {
        out.append(p.nsp);
        out.push_back(',');
    }
    if(p.id)
        out.append(std::to_string(*p.id));
    if(!p.data.is_null())
        append_json(out, p.data);
}

std::string
encode_packet(packet const& p)
{
    std::string out;
    encode_packet(p, out);
    return out;
}

} // namespace tradepush::socketio
