#include "state_file.hpp"

#include "app.hpp"
#include "format.hpp"

#include <boost/json/parse.hpp>

#include <toml++/toml.h>

#include <fstream>
#include <sstream>

namespace tradepush::bybit_sim {

namespace json = boost::json;

bool
number_of(json::value const& v, double& out)
{
    if (v.is_double()) {
        out = v.as_double();
        return true;
    }
    if (v.is_int64()) {
        out = static_cast<double>(v.as_int64());
        return true;
    }
    if (v.is_uint64()) {
        out = static_cast<double>(v.as_uint64());
        return true;
    }
    if (v.is_string())
        return parse_decimal(std::string(v.as_string()), out);
    return false;
}

namespace {

std::string
str_of(json::object const& o, char const* key, std::string def = {})
{
    auto const* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : def;
}

bool
apply_instrument(app& a, json::object const& o, std::string& error)
{
    auto const cat = parse_category(str_of(o, "category", "linear"));
    auto const symbol = str_of(o, "symbol");
    auto const base = str_of(o, "base");
    auto const quote = str_of(o, "quote", "USDT");
    double price = 0, pd = 2, qd = 3;
    auto const* pv = o.if_contains("price");
    if (!cat || symbol.empty() || base.empty() || !pv || !number_of(*pv, price) || !(price > 0)) {
        error = "instrument needs symbol, base, category linear|spot and a positive price";
        return false;
    }
    if (auto const* v = o.if_contains("priceDecimals"); v && (!number_of(*v, pd) || pd < 0 || pd > 8)) {
        error = "priceDecimals must be 0..8";
        return false;
    }
    if (auto const* v = o.if_contains("qtyDecimals"); v && (!number_of(*v, qd) || qd < 0 || qd > 8)) {
        error = "qtyDecimals must be 0..8";
        return false;
    }
    a.eng().add_instrument(symbol, *cat, base, quote, price, static_cast<int>(pd), static_cast<int>(qd));
    return true;
}

bool
apply_user(app& a, json::object const& u, std::string& error)
{
    auto const user = str_of(u, "user");
    if (user.empty() || user.size() > 128) {
        error = "user must be a non-empty string (<= 128 chars)";
        return false;
    }
    auto& eng = a.eng();
    eng.add_user(user);
    if (auto const* keys = u.if_contains("keys")) {
        if (!keys->is_array()) {
            error = "keys must be an array";
            return false;
        }
        for (auto const& kv : keys->as_array()) {
            if (!kv.is_object()) {
                error = "key entries must be objects";
                return false;
            }
            auto const& k = kv.as_object();
            api_key key;
            key.user = user;
            key.key = str_of(k, "key");
            key.secret = str_of(k, "secret");
            auto perm = parse_permission(str_of(k, "permissions", "read_write"));
            if (key.key.empty() || key.secret.empty() || key.key.size() > 256 || key.secret.size() > 256 || !perm) {
                error = "a key needs key, secret (<= 256 chars) and permissions none|read_only|read_write";
                return false;
            }
            key.perm = *perm;
            if (auto const* e = k.if_contains("expired"); e && e->is_bool())
                key.expired = e->as_bool();
            eng.add_key(std::move(key));
        }
    }
    if (auto const* bal = u.if_contains("balances")) {
        if (!bal->is_object()) {
            error = "balances must be an object {coin: amount}";
            return false;
        }
        for (auto const& [coin, amount] : bal->as_object()) {
            double v = 0;
            if (!number_of(amount, v)) {
                error = "balance of " + std::string(coin) + " must be a number";
                return false;
            }
            eng.set_balance(user, std::string(coin), v);
        }
    }
    if (auto const* positions = u.if_contains("positions")) {
        if (!positions->is_array()) {
            error = "positions must be an array";
            return false;
        }
        for (auto const& pv : positions->as_array()) {
            if (!pv.is_object()) {
                error = "position entries must be objects";
                return false;
            }
            auto const& p = pv.as_object();
            double size = 0, avg = 0, lev = 10;
            auto const* s = p.if_contains("size");
            auto const* ap = p.if_contains("avgPrice");
            if (!s || !number_of(*s, size) || !ap || !number_of(*ap, avg)) {
                error = "a position needs symbol, size (signed) and avgPrice";
                return false;
            }
            if (auto const* l = p.if_contains("leverage"); l && !number_of(*l, lev)) {
                error = "leverage must be a number";
                return false;
            }
            auto r = eng.set_position(user, str_of(p, "symbol"), size, avg, lev);
            if (!r) {
                error = r.error().message;
                return false;
            }
        }
    }
    if (auto const* orders = u.if_contains("orders")) {
        if (!orders->is_array()) {
            error = "orders must be an array";
            return false;
        }
        for (auto const& ov : orders->as_array()) {
            if (!ov.is_object()) {
                error = "order entries must be objects";
                return false;
            }
            auto const& o = ov.as_object();
            order_request req;
            auto cat = parse_category(str_of(o, "category", "linear"));
            if (!cat) {
                error = "order category must be linear|spot";
                return false;
            }
            req.cat = *cat;
            req.symbol = str_of(o, "symbol");
            req.side = str_of(o, "side");
            req.order_type = str_of(o, "orderType", "Limit");
            req.order_link_id = str_of(o, "orderLinkId");
            auto const* q = o.if_contains("qty");
            if (!q || !number_of(*q, req.qty)) {
                error = "order qty must be a number";
                return false;
            }
            if (auto const* p = o.if_contains("price")) {
                double price = 0;
                if (!number_of(*p, price)) {
                    error = "order price must be a number";
                    return false;
                }
                req.price = price;
            }
            auto r = eng.place_order(user, req);
            if (!r) {
                error = r.error().message;
                return false;
            }
        }
    }
    return true;
}

json::value
from_toml(toml::node const& n)
{
    if (auto const* t = n.as_table()) {
        json::object o;
        for (auto const& [k, v] : *t)
            o[std::string(k.str())] = from_toml(v);
        return o;
    }
    if (auto const* arr = n.as_array()) {
        json::array a;
        for (auto const& v : *arr)
            a.push_back(from_toml(v));
        return a;
    }
    if (auto const* s = n.as_string())
        return json::value(s->get());
    if (auto const* i = n.as_integer())
        return json::value(i->get());
    if (auto const* d = n.as_floating_point())
        return json::value(d->get());
    if (auto const* b = n.as_boolean())
        return json::value(b->get());
    return nullptr;
}

} // namespace

bool
apply_state(app& a, json::object const& state, std::string& error)
{
    if (auto const* v = state.if_contains("instruments")) {
        if (!v->is_array()) {
            error = "instruments must be an array";
            return false;
        }
        for (auto const& i : v->as_array())
            if (!i.is_object() || !apply_instrument(a, i.as_object(), error))
                return error.empty() ? (error = "instrument entries must be objects", false) : false;
    }
    if (auto const* v = state.if_contains("users")) {
        if (!v->is_array()) {
            error = "users must be an array";
            return false;
        }
        for (auto const& u : v->as_array())
            if (!u.is_object() || !apply_user(a, u.as_object(), error))
                return error.empty() ? (error = "user entries must be objects", false) : false;
    }
    return true;
}

bool
load_state_file(app& a, std::string const& path, std::string& error)
{
    std::ifstream in(path);
    if (!in) {
        error = "cannot open " + path;
        return false;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    std::string const text = ss.str();
    json::value doc;
    if (path.size() > 5 && path.substr(path.size() - 5) == ".toml") {
        try {
            doc = from_toml(toml::parse(text, path));
        } catch (toml::parse_error const& e) {
            error = path + ": " + std::string(e.description());
            return false;
        }
    } else {
        boost::system::error_code ec;
        doc = json::parse(text, ec);
        if (ec) {
            error = path + ": " + ec.message();
            return false;
        }
    }
    if (!doc.is_object()) {
        error = path + ": top level must be an object";
        return false;
    }
    if (!apply_state(a, doc.as_object(), error)) {
        error = path + ": " + error;
        return false;
    }
    return true;
}

//------------------------------------------------------------------------------

void
install_demo_preset(app& a)
{
    auto& eng = a.eng();
    eng.add_instrument("BTCUSDT", category::linear, "BTC", "USDT", 65000.0, 1, 3);
    eng.add_instrument("ETHUSDT", category::linear, "ETH", "USDT", 3200.0, 2, 2);
    eng.add_instrument("BTCUSDT", category::spot, "BTC", "USDT", 64990.0, 2, 6);
    eng.add_instrument("ETHUSDT", category::spot, "ETH", "USDT", 3199.5, 2, 5);
    // The demo user: a key everybody knows (README), some money, a position and two resting orders.
    eng.add_key(api_key{"demo-key", "demo-secret", "demo", permission::read_write, false});
    eng.add_key(api_key{"demo-readonly-key", "demo-readonly-secret", "demo", permission::read_only, false});
    eng.set_balance("demo", "USDT", 10000);
    eng.set_balance("demo", "BTC", 0.05);
    (void)eng.set_position("demo", "BTCUSDT", 0.01, 64000.0, 10);
    order_request buy;
    buy.cat = category::linear;
    buy.symbol = "ETHUSDT";
    buy.side = "Buy";
    buy.qty = 0.5;
    buy.price = 3000.0;
    buy.order_link_id = "demo-eth-bid";
    (void)eng.place_order("demo", buy);
    order_request sell;
    sell.cat = category::linear;
    sell.symbol = "BTCUSDT";
    sell.side = "Sell";
    sell.qty = 0.005;
    sell.price = 70000.0;
    sell.order_link_id = "demo-btc-tp";
    (void)eng.place_order("demo", sell);
    // Start-up pushes have no listeners yet.
    (void)eng.take_events();
}

} // namespace tradepush::bybit_sim
