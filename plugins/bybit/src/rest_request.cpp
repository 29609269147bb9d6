#include "rest_request.hpp"

namespace tradepush::bybit {

namespace {

constexpr char hex_upper[] = "0123456789ABCDEF";

bool
unreserved(unsigned char c) noexcept
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'
        || c == '_' || c == '~';
}

} // namespace

std::string
percent_encode(std::string_view s)
{
    std::string out;
    out.reserve(s.size());
    for(unsigned char c : s) {
        if(unreserved(c)) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex_upper[c >> 4];
            out += hex_upper[c & 0xf];
        }
    }
    return out;
}

query&
query::add(std::string_view name, std::string_view value)
{
    return add_raw(name, percent_encode(value));
}

query&
query::add_raw(std::string_view name, std::string_view value)
{
    if(!text_.empty())
        text_ += '&';
    text_ += name;
    text_ += '=';
    text_ += value;
    return *this;
}

std::string
rest_call::url(std::string_view base) const
{
    std::string u(base);
    u += path;
    if(!query.empty()) {
        u += '?';
        u += query;
    }
    return u;
}

rest_call
market_time_call()
{
    return rest_call{"/v5/market/time", "", false};
}

rest_call
wallet_balance_call()
{
    return rest_call{"/v5/account/wallet-balance", query{}.add("accountType", "UNIFIED").str(), true};
}

rest_call
position_list_call(std::string_view settle_coin, std::string_view cursor)
{
    query q;
    q.add("category", "linear").add("settleCoin", settle_coin).add("limit", "200");
    if(!cursor.empty())
        q.add_raw("cursor", cursor);
    return rest_call{"/v5/position/list", q.str(), true};
}

rest_call
open_orders_call(std::string_view settle_coin, std::string_view cursor)
{
    query q;
    q.add("category", "linear").add("settleCoin", settle_coin).add("limit", "50");
    if(!cursor.empty())
        q.add_raw("cursor", cursor);
    return rest_call{"/v5/order/realtime", q.str(), true};
}

} // namespace tradepush::bybit
