// The control interface (/sim/...): HTTP JSON on the same listener, for tests and the demo.
// Every answer is {"ok":true,...} or {"ok":false,"error":"..."} with HTTP 400/404. Documented in
// tools/bybit-sim/README.md.

#include "app.hpp"
#include "format.hpp"
#include "shapes.hpp"
#include "state_file.hpp"
#include "ws_conn.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>

namespace tradepush::bybit_sim {

namespace json = boost::json;

namespace {

http_reply
ok(json::object o = {})
{
    o.emplace("ok", true);
    http_reply r;
    r.body = json::serialize(o);
    return r;
}

http_reply
fail(std::string const& why, unsigned status = 400)
{
    json::object o;
    o["ok"] = false;
    o["error"] = why;
    http_reply r;
    r.status = status;
    r.body = json::serialize(o);
    return r;
}

std::string
str_of(json::object const& o, char const* key, std::string def = {})
{
    auto const* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : def;
}

std::optional<double>
num_of(json::object const& o, char const* key)
{
    double d = 0;
    auto const* v = o.if_contains(key);
    if (!v || !number_of(*v, d))
        return std::nullopt;
    return d;
}

json::object
order_json(app& a, order const& o)
{
    auto const* inst = a.eng().find_instrument(o.cat, o.symbol);
    auto row = order_row(o, *inst, true);
    return row;
}

http_reply
place(app& a, json::object const& b)
{
    order_request req;
    auto cat = parse_category(str_of(b, "category", "linear"));
    if (!cat)
        return fail("category must be linear|spot");
    std::string user = str_of(b, "user");
    if (user.empty())
        if (auto const* k = a.eng().find_key(str_of(b, "key")))
            user = k->user;
    if (user.empty() || !a.eng().find_account(user))
        return fail("unknown user (pass user or key)");
    req.cat = *cat;
    req.symbol = str_of(b, "symbol");
    req.side = str_of(b, "side");
    req.order_type = str_of(b, "orderType", "Limit");
    req.order_link_id = str_of(b, "orderLinkId");
    req.reduce_only = b.contains("reduceOnly") && b.at("reduceOnly").is_bool() && b.at("reduceOnly").as_bool();
    auto qty = num_of(b, "qty");
    if (!qty)
        return fail("qty must be a number");
    req.qty = *qty;
    req.price = num_of(b, "price");
    auto r = a.eng().place_order(user, req);
    if (!r)
        return fail(std::to_string(r.error().code) + " " + r.error().message);
    json::object o;
    o["order"] = order_json(a, *r);
    return ok(std::move(o));
}

http_reply
fill(app& a, json::object const& b)
{
    auto const id = str_of(b, "orderId");
    // "parts": n splits the fill into n executions (one multi-item `execution` push).
    std::int64_t parts = 1;
    if (auto const* v = b.if_contains("parts")) {
        if (!v->is_int64() || v->as_int64() < 1 || v->as_int64() > 100)
            return fail("parts must be 1..100");
        parts = v->as_int64();
    }
    auto const* ord = a.eng().find_order(id);
    if (!ord)
        return fail("unknown orderId", 404);
    auto const total = num_of(b, "qty").value_or(ord->leaves());
    for (std::int64_t i = 1; i < parts; ++i) {
        auto r = a.eng().fill_order(id, total / static_cast<double>(parts), num_of(b, "price"));
        if (!r)
            return fail(std::to_string(r.error().code) + " " + r.error().message);
    }
    // The last part takes the remainder so rounding never leaves a dust quantity.
    auto const* now = a.eng().find_order(id);
    auto const last = parts == 1 ? total : std::min(now->leaves(), total - total * static_cast<double>(parts - 1) / static_cast<double>(parts));
    auto r = a.eng().fill_order(id, last, num_of(b, "price"));
    if (!r)
        return fail(std::to_string(r.error().code) + " " + r.error().message);
    json::object o;
    o["order"] = order_json(a, *r);
    return ok(std::move(o));
}

http_reply
cancel(app& a, json::object const& b)
{
    auto const* ord = a.eng().find_order(str_of(b, "orderId"));
    if (!ord)
        return fail("unknown orderId", 404);
    auto r = a.eng().cancel_order(ord->user, ord->order_id);
    if (!r)
        return fail(std::to_string(r.error().code) + " " + r.error().message);
    json::object o;
    o["order"] = order_json(a, *r);
    return ok(std::move(o));
}

http_reply
price(app& a, json::object const& b)
{
    auto cat = parse_category(str_of(b, "category", "linear"));
    auto p = num_of(b, "price");
    if (!cat || !p)
        return fail("need category linear|spot, symbol and price");
    auto r = a.eng().set_price(*cat, str_of(b, "symbol"), *p);
    if (!r)
        return fail(r.error().message);
    // Public streams see the new price at once, as if a tick happened.
    for (auto* ep : std::vector<ws_endpoint*>(a.endpoints().begin(), a.endpoints().end()))
        if (a.endpoints().count(ep))
            for (auto& f : ep->conn().on_tick())
                ep->send(std::move(f));
    return ok();
}

http_reply
clock_set(app& a, json::object const& b)
{
    auto& c = a.clock();
    if (auto const* v = b.if_contains("skewMs")) {
        if (!v->is_int64() || v->as_int64() < -86400000 || v->as_int64() > 86400000)
            return fail("skewMs must be an integer within ±1 day");
        c.set_skew_ms(v->as_int64());
    }
    if (auto const* v = b.if_contains("freezeMs")) {
        if (v->is_null())
            c.freeze(std::nullopt);
        else if (v->is_int64() && v->as_int64() > 0)
            c.freeze(v->as_int64());
        else
            return fail("freezeMs must be a positive integer or null");
    }
    if (auto const* v = b.if_contains("advanceMs")) {
        if (!v->is_int64())
            return fail("advanceMs must be an integer");
        c.advance_ms(v->as_int64());
    }
    json::object o;
    o["skewMs"] = c.skew_ms();
    o["nowMs"] = c.now_ms();
    o["frozen"] = c.frozen_ms().has_value();
    return ok(std::move(o));
}

http_reply
drop(app& a, json::object const& b)
{
    auto const channel = str_of(b, "channel", "all");
    if (channel != "all" && channel != "private" && channel != "linear" && channel != "spot")
        return fail("channel must be all|private|linear|spot");
    auto const mode = str_of(b, "mode", "close");
    if (mode != "close" && mode != "abrupt")
        return fail("mode must be close|abrupt");
    json::object o;
    o["dropped"] = a.drop_ws(channel, str_of(b, "user"), mode == "abrupt");
    return ok(std::move(o));
}

http_reply
state_get(app& a, std::string const& user)
{
    json::object o;
    auto const* acct = a.eng().find_account(user);
    if (!acct)
        return fail("unknown user", 404);
    o["wallet"] = wallet_item(a.eng().view_wallet(user));
    json::array positions;
    for (auto const* inst : a.eng().instruments(category::linear))
        positions.push_back(position_row(a.eng().view_position(user, *inst), false));
    o["positions"] = std::move(positions);
    json::array orders;
    for (auto c : {category::linear, category::spot})
        for (auto const* ord : a.eng().orders(user, c, false))
            orders.push_back(order_json(a, *ord));
    o["openOrders"] = std::move(orders);
    return ok(std::move(o));
}

} // namespace

http_reply
handle_control(app& a, http::request<http::string_body> const& req)
{
    auto const target = std::string(req.target());
    auto const qpos = target.find('?');
    auto const path = target.substr(0, qpos);
    auto const query = qpos == std::string::npos ? std::string() : target.substr(qpos + 1);
    bool const get = req.method() == http::verb::get;
    bool const post = req.method() == http::verb::post;

    if (get && path == "/sim/health")
        return ok();
    if (get && path == "/sim/counters") {
        json::object o;
        o["counters"] = a.stats().to_json();
        return ok(std::move(o));
    }
    if (get && path == "/sim/faults") {
        json::object o;
        o["faults"] = to_json(a.faults());
        return ok(std::move(o));
    }
    if (get && path == "/sim/clock")
        return clock_set(a, {});
    if (get && path == "/sim/account") {
        // ?user=NAME (no decoding needed for the ids this tool hands out)
        auto const pos = query.find("user=");
        if (pos == std::string::npos)
            return fail("need ?user=");
        auto const end = query.find('&', pos);
        return state_get(a, query.substr(pos + 5, end == std::string::npos ? std::string::npos : end - pos - 5));
    }
    if (!post)
        return fail("unknown control route " + path, 404);

    json::object body;
    if (!req.body().empty()) {
        boost::system::error_code ec;
        auto v = json::parse(req.body(), ec);
        if (ec || !v.is_object())
            return fail("body must be a JSON object");
        body = std::move(v.as_object());
    }

    if (path == "/sim/state") {
        std::string err;
        if (!apply_state(a, body, err))
            return fail(err);
        return ok();
    }
    if (path == "/sim/users") {
        std::string err;
        json::object state;
        state["users"] = json::array{body};
        if (!apply_state(a, state, err))
            return fail(err);
        return ok();
    }
    if (path == "/sim/keys/delete") {
        if (!a.eng().remove_key(str_of(body, "key")))
            return fail("unknown key", 404);
        return ok();
    }
    if (path == "/sim/balances") {
        auto amount = num_of(body, "amount");
        if (str_of(body, "user").empty() || str_of(body, "coin").empty() || !amount)
            return fail("need user, coin and amount");
        a.eng().set_balance(str_of(body, "user"), str_of(body, "coin"), *amount);
        return ok();
    }
    if (path == "/sim/positions") {
        auto size = num_of(body, "size");
        auto avg = num_of(body, "avgPrice");
        if (!size || !avg)
            return fail("need user, symbol, size and avgPrice");
        auto r = a.eng().set_position(str_of(body, "user"), str_of(body, "symbol"), *size, *avg,
            num_of(body, "leverage").value_or(10));
        if (!r)
            return fail(r.error().message);
        return ok();
    }
    if (path == "/sim/orders")
        return place(a, body);
    if (path == "/sim/orders/fill")
        return fill(a, body);
    if (path == "/sim/orders/cancel")
        return cancel(a, body);
    if (path == "/sim/prices")
        return price(a, body);
    if (path == "/sim/tick") {
        std::int64_t n = 1;
        if (auto const* v = body.if_contains("count")) {
            if (!v->is_int64() || v->as_int64() < 1 || v->as_int64() > 100000)
                return fail("count must be 1..100000");
            n = v->as_int64();
        }
        for (std::int64_t i = 0; i < n; ++i)
            a.tick();
        return ok();
    }
    if (path == "/sim/clock")
        return clock_set(a, body);
    if (path == "/sim/faults") {
        std::string err;
        if (!apply_json(a.faults(), body, err))
            return fail(err);
        json::object o;
        o["faults"] = to_json(a.faults());
        return ok(std::move(o));
    }
    if (path == "/sim/faults/clear") {
        a.faults() = fault_state{};
        a.api_limiter().clear();
        a.ip_limiter().clear();
        a.ws_connect_limiter().clear();
        return ok();
    }
    if (path == "/sim/ws/drop")
        return drop(a, body);
    if (path == "/sim/counters/reset") {
        a.stats().reset();
        return ok();
    }
    return fail("unknown control route " + path, 404);
}

} // namespace tradepush::bybit_sim
