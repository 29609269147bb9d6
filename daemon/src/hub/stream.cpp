#include "hub/stream.hpp"

#include "hub/wire.hpp"

#include <charconv>

namespace tradepush::hub {

namespace {

void
append_field(std::string& out, std::string_view name, std::string_view value)
{
    append_json_string(out, name);
    out.push_back(':');
    append_json_string(out, value);
    out.push_back(',');
}

void
append_field(std::string& out, std::string_view name, std::uint64_t value)
{
    char buf[24];
    append_json_string(out, name);
    out.push_back(':');
    out.append(buf, std::to_chars(buf, buf + sizeof buf, value).ptr);
    out.push_back(',');
}

// Identity fields shared by data and status events, each followed by a comma.
void
append_identity(std::string& out, stream const& s)
{
    append_field(out, "exchange", s.exchange);
    if(s.is_ticker()) {
        append_field(out, "category", s.category);
        append_field(out, "symbol", s.symbol);
    } else {
        append_field(out, "account", s.account);
    }
}

} // namespace

stream::stream(std::uint64_t key, feed::stream_type type, std::string exchange_, std::string account_)
    : event(feed::to_string(type))
    , exchange(std::move(exchange_))
    , account(std::move(account_))
    , data_key(key)
{
}

stream::stream(std::uint64_t key, std::string exchange_, std::string category_, std::string symbol_)
    : event("ticker")
    , exchange(std::move(exchange_))
    , category(std::move(category_))
    , symbol(std::move(symbol_))
    , data_key(key)
{
}

outbound_ptr
stream::make_data(std::string_view data_json, std::int64_t ts_ms) const
{
    // Spliced by hand so the data, already serialized for the hash, is not serialized again.
    std::string body;
    body.reserve(data_json.size() + 128);
    body.push_back('{');
    append_identity(body, *this);
    append_field(body, "seq", seq);
    append_field(body, "ts", static_cast<std::uint64_t>(ts_ms));
    body += "\"data\":";
    body += data_json;
    body.push_back('}');
    return make_event(event, body);
}

outbound_ptr
stream::make_status(feed::stream_state state, std::string_view code, std::string_view message) const
{
    std::string body;
    body.push_back('{');
    append_field(body, "stream", event);
    append_identity(body, *this);
    append_field(body, "state", feed::to_string(state));
    append_field(body, "code", code);
    append_json_string(body, "message");
    body.push_back(':');
    append_json_string(body, message);
    body.push_back('}');
    return make_event("stream_status", body);
}

} // namespace tradepush::hub
