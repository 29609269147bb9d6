#include "loadgen/wire.hpp"

namespace tradepush::bench {

namespace {

bool
is_digit(char c) noexcept
{
    return c >= '0' && c <= '9';
}

// Parses digits at s[i...]; advances i. -1 when there are none.
std::int64_t
parse_digits(std::string_view s, std::size_t& i) noexcept
{
    if(i >= s.size() || !is_digit(s[i]))
        return -1;
    std::int64_t v = 0;
    while(i < s.size() && is_digit(s[i]))
        v = v * 10 + (s[i++] - '0');
    return v;
}

event_kind
classify(std::string_view name) noexcept
{
    for(std::size_t k = 0; k + 1 < event_kind_count; ++k)
        if(name == event_names[k])
            return static_cast<event_kind>(k);
    return event_kind::other;
}

} // namespace

std::string
symbol_name(int index)
{
    if(index == 0)
        return "BTCUSDT";
    return "SYM" + std::to_string(index) + "USDT";
}

int
symbol_index(std::string_view name) noexcept
{
    if(name == "BTCUSDT")
        return 0;
    if(name.size() < 8 || name.substr(0, 3) != "SYM" || name.substr(name.size() - 4) != "USDT")
        return -1;
    std::size_t i = 3;
    auto const v = parse_digits(name, i);
    if(i != name.size() - 4 || v <= 0 || v >= max_symbols || name[3] == '0')
        return -1;
    return static_cast<int>(v);
}

std::int64_t
find_int(std::string_view s, std::string_view key, std::size_t from) noexcept
{
    auto const at = s.find(key, from);
    if(at == std::string_view::npos)
        return -1;
    std::size_t i = at + key.size();
    while(i < s.size() && s[i] == ' ')
        ++i;
    return parse_digits(s, i);
}

packet
parse_packet(std::string_view msg) noexcept
{
    packet p;
    if(msg.empty())
        return p;
    switch(msg[0])
    {
    case '0': p.kind = packet_kind::eio_open; return p;
    case '1': p.kind = packet_kind::eio_close; return p;
    case '2': p.kind = packet_kind::eio_ping; return p;
    case '4': break;
    default: return p;
    }
    if(msg.size() < 2)
        return p;

    // Socket.IO packet; the default namespace has no "/nsp," prefix, others are skipped over.
    std::size_t i = 2;
    if(i < msg.size() && msg[i] == '/')
    {
        auto const comma = msg.find(',', i);
        i = comma == std::string_view::npos ? msg.size() : comma + 1;
    }
    switch(msg[1])
    {
    case '0': p.kind = packet_kind::sio_connect; return p;
    case '1': p.kind = packet_kind::sio_disconnect; return p;
    case '4': p.kind = packet_kind::sio_connect_error; return p;
    case '3':
        p.kind = packet_kind::sio_ack;
        p.ack_id = parse_digits(msg, i);
        // Our acks are small objects; a scan for the flag is enough.
        p.ack_ok = msg.find(R"("ok":true)", i) != std::string_view::npos;
        return p;
    case '2': break;
    default: return p;
    }

    p.kind = packet_kind::sio_event;
    parse_digits(msg, i); // an ack id the server wants back: none of our events carry one
    if(msg.substr(i, 2) != R"([")")
        return p;
    i += 2;
    auto const end = msg.find('"', i);
    if(end == std::string_view::npos)
        return p;
    p.event = classify(msg.substr(i, end - i));
    if(static_cast<std::size_t>(p.event) < data_stream_count)
    {
        // The envelope's seq and symbol come before `data`; emit_us is the last key of `data`
        // on every server, so a backward search from the end finds it after a few bytes.
        p.seq = find_int(msg, R"("seq":)", end);
        constexpr std::string_view emit_key = R"("emit_us":)";
        auto const at = msg.rfind(emit_key);
        p.emit_us = at == std::string_view::npos || at < end ? -1 : find_int(msg, emit_key, at);
        if(p.event == event_kind::ticker)
        {
            constexpr std::string_view symbol_key = R"("symbol":")";
            auto const s = msg.find(symbol_key, end);
            if(s != std::string_view::npos)
            {
                auto const from = s + symbol_key.size();
                auto const to = msg.find('"', from);
                if(to != std::string_view::npos)
                    p.symbol = symbol_index(msg.substr(from, to - from));
            }
        }
    }
    return p;
}

} // namespace tradepush::bench
