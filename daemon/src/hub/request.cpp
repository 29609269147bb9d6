#include "hub/request.hpp"

#include <boost/json/array.hpp>

#include <algorithm>
#include <array>

namespace tradepush::hub {

namespace json = boost::json;

namespace {

request_error
error(std::string_view code, std::string message)
{
    return request_error{std::string(code), std::move(message)};
}

// Reads an optional string member; false when present but not a string.
bool
optional_string(json::object const& obj, std::string_view key, std::optional<std::string>& out)
{
    auto const* v = obj.if_contains(key);
    if(!v || v->is_null())
        return true;
    if(!v->is_string())
        return false;
    out.emplace(v->get_string());
    return true;
}

} // namespace

parsed<trading_request>
parse_trading_request(json::value const& args, bool types_required)
{
    parsed<trading_request> r;
    if(args.is_null() && !types_required) {
        for(std::size_t i = 0; i < feed::stream_type_count; ++i)
            r.value.list.push_back(static_cast<feed::stream_type>(i));
        r.value.types = (1u << feed::stream_type_count) - 1;
        return r;
    }
    if(!args.is_object()) {
        r.error = error("invalid_args", "arguments must be an object");
        return r;
    }
    auto const& obj = args.get_object();
    if(!optional_string(obj, "account", r.value.account)) {
        r.error = error("invalid_args", "\"account\" must be a string");
        return r;
    }
    auto const* types = obj.if_contains("types");
    if(!types || types->is_null()) {
        if(types_required) {
            r.error = error("invalid_args", "\"types\" is required");
            return r;
        }
        return parse_trading_request(json::value(), false);
    }
    if(!types->is_array() || types->get_array().empty()) {
        r.error = error("invalid_args", "\"types\" must be a non-empty array");
        return r;
    }
    if(types->get_array().size() > max_types_per_request) {
        r.error = error("invalid_args", "\"types\" lists more than 4 entries");
        return r;
    }
    for(auto const& t : types->get_array()) {
        if(!t.is_string()) {
            r.error = error("invalid_type", "every type must be a string");
            return r;
        }
        auto const name = std::string_view(t.get_string());
        auto const parsed_type = feed::parse_stream_type(name);
        if(!parsed_type) {
            r.error = error("invalid_type",
                "unknown type \"" + std::string(name.substr(0, 64)) + "\" (balance, positions, pnl, orders)");
            return r;
        }
        auto const bit = 1u << static_cast<unsigned>(*parsed_type);
        // Repeating a type is harmless; keep the first occurrence.
        if(r.value.types & bit)
            continue;
        r.value.types |= bit;
        r.value.list.push_back(*parsed_type);
    }
    return r;
}

parsed<ticker_request>
parse_ticker_request(json::value const& args, std::size_t max_symbols)
{
    parsed<ticker_request> r;
    if(!args.is_object()) {
        r.error = error("invalid_args", "arguments must be an object");
        return r;
    }
    auto const& obj = args.get_object();
    if(!optional_string(obj, "exchange", r.value.exchange)) {
        r.error = error("invalid_args", "\"exchange\" must be a string");
        return r;
    }
    if(!optional_string(obj, "category", r.value.category)) {
        r.error = error("invalid_args", "\"category\" must be a string");
        return r;
    }
    if(r.value.category && !valid_category(*r.value.category)) {
        r.error = error("invalid_args", "\"category\" must be linear, inverse, spot or option");
        return r;
    }
    auto const* symbols = obj.if_contains("symbols");
    if(!symbols || !symbols->is_array() || symbols->get_array().empty()) {
        r.error = error("invalid_args", "\"symbols\" must be a non-empty array");
        return r;
    }
    if(symbols->get_array().size() > max_symbols) {
        r.error = error("invalid_args", "\"symbols\" lists more than " + std::to_string(max_symbols) + " entries");
        return r;
    }
    for(auto const& s : symbols->get_array()) {
        if(!s.is_string() || !valid_symbol(s.get_string())) {
            r.error = error("invalid_symbol", "symbols must match ^[A-Z0-9]{1,32}$");
            return r;
        }
        std::string sym(s.get_string());
        if(std::find(r.value.symbols.begin(), r.value.symbols.end(), sym) == r.value.symbols.end())
            r.value.symbols.push_back(std::move(sym));
    }
    return r;
}

bool
valid_symbol(std::string_view s) noexcept
{
    if(s.empty() || s.size() > 32)
        return false;
    return std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); });
}

bool
valid_category(std::string_view s) noexcept
{
    static constexpr std::array<std::string_view, 4> names{"linear", "inverse", "spot", "option"};
    return std::find(names.begin(), names.end(), s) != names.end();
}

json::object
ack_error(std::string_view code, std::string_view message)
{
    return json::object{{"ok", false}, {"error", json::object{{"code", code}, {"message", message}}}};
}

json::object
ack_error(request_error const& e)
{
    return ack_error(e.code, e.message);
}

json::object
ack_trading(std::vector<feed::stream_type> const& types, std::string_view account)
{
    json::array list;
    for(auto t : types)
        list.emplace_back(feed::to_string(t));
    json::object ack{{"ok", true}, {"types", std::move(list)}};
    if(!account.empty())
        ack["account"] = account;
    return ack;
}

json::object
ack_ticker(std::vector<std::string> const& symbols, std::string_view exchange, std::string_view category)
{
    json::array list;
    for(auto const& s : symbols)
        list.emplace_back(s);
    json::object ack{{"ok", true}, {"symbols", std::move(list)}};
    if(!exchange.empty())
        ack["exchange"] = exchange;
    if(!category.empty())
        ack["category"] = category;
    return ack;
}

} // namespace tradepush::hub
