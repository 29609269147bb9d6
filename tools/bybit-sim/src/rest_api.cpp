// REST routes of the simulated Bybit V5 (spec §3, §4): envelope, parameter validation, cursor
// pagination, auth and rate limits, and the REST-level faults.

#include "app.hpp"
#include "auth.hpp"
#include "format.hpp"
#include "shapes.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include "percent.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace tradepush::bybit_sim {

namespace json = boost::json;

namespace {

constexpr std::int64_t seven_days_ms = 7LL * 24 * 3600 * 1000;

/// Decoded query parameters (first occurrence wins) plus the raw string for signing.
struct query {
    std::string raw;
    std::map<std::string, std::string> params;

    std::string const*
    get(std::string const& k) const
    {
        auto it = params.find(k);
        return it == params.end() || it->second.empty() ? nullptr : &it->second;
    }
};

/// A business error: HTTP 200 + retCode (most Bybit errors, spec §4).
struct rest_error {
    int code;
    std::string msg;
};

http_reply
json_reply(app& a, int code, std::string const& msg, json::object result, unsigned status = 200)
{
    http_reply r;
    r.status = status;
    r.body = json::serialize(envelope(code, msg, std::move(result), a.clock().now_ms()));
    if (code != 0)
        ++a.stats().rest_errors[std::to_string(code)];
    return r;
}

// Cursors are handed out already percent-encoded, like Bybit's ("page_args%3D...%26symbol%3D6%26"),
// so a client that decodes or re-encodes them before signing gets 10004 (spec §2 signature bugs).
std::string
encode_cursor(std::string const& plain)
{
    return percent_encode(plain);
}

/// Offset from a cursor of ours; accepts it once- or twice-encoded. -1 if not ours.
std::int64_t
decode_cursor(std::string cursor)
{
    if (cursor.find('%') != std::string::npos) {
        auto once = percent_decode(cursor);
        if (!once)
            return -1;
        cursor = *once;
    }
    for (auto const* marker : {"&symbol=", ":"}) {
        auto pos = cursor.rfind(marker);
        if (pos == std::string::npos)
            continue;
        auto start = pos + std::char_traits<char>::length(marker);
        auto end = cursor.find_first_of("&,", start);
        std::int64_t n = 0;
        if (parse_int(cursor.substr(start, end == std::string::npos ? std::string::npos : end - start), n))
            return n;
    }
    return -1;
}

std::string
make_cursor(std::string const& last_id, std::int64_t next_offset, bool pnl_style)
{
    if (pnl_style)
        return encode_cursor(last_id + ":" + std::to_string(next_offset) + "," + last_id + ":" +
            std::to_string(next_offset));
    return encode_cursor("page_args=" + last_id + "&symbol=" + std::to_string(next_offset) + "&");
}

/// `limit` and `cursor` → [offset, offset+limit); fills `err` on bad input.
bool
page_window(app& a, query const& q, int def, int max, std::int64_t& offset, std::int64_t& limit, rest_error& err)
{
    limit = def;
    if (auto const* l = q.get("limit")) {
        if (!parse_int(*l, limit) || limit < 1 || limit > max) {
            err = {10001, "The limit range is 1-" + std::to_string(max)};
            return false;
        }
    }
    if (a.faults().max_page_size > 0)
        limit = std::min<std::int64_t>(limit, a.faults().max_page_size);
    offset = 0;
    if (auto const* c = q.get("cursor")) {
        offset = decode_cursor(*c);
        if (offset < 0) {
            err = {10001, "cursor invalid"};
            return false;
        }
    }
    return true;
}

//------------------------------------------------------------------------------

http_reply
market_time(app& a)
{
    auto const ns = a.clock().now_ns();
    json::object result;
    result["timeSecond"] = std::to_string(ns / 1'000'000'000);
    result["timeNano"] = std::to_string(ns);
    http_reply r;
    // One clock read for all three fields: clients use either (spec §2, /v5/market/time).
    r.body = json::serialize(envelope(0, "OK", std::move(result), ns / 1'000'000));
    return r;
}

http_reply
market_tickers(app& a, query const& q)
{
    auto const* cat_s = q.get("category");
    if (!cat_s)
        return json_reply(a, 10001, "Illegal category", {});
    json::object result;
    result["category"] = *cat_s;
    json::array list;
    if (*cat_s == "inverse" || *cat_s == "option") {
        // No such instruments in the simulator: an empty market, which is still a valid answer.
        if (*cat_s == "option" && !q.get("symbol") && !q.get("baseCoin"))
            return json_reply(a, 10001, "symbol or baseCoin must be passed", {});
        if (q.get("symbol"))
            return json_reply(a, 10001, "Not supported symbols", {});
        result["list"] = std::move(list);
        return json_reply(a, 0, "OK", std::move(result));
    }
    auto const cat = parse_category(*cat_s);
    if (!cat)
        return json_reply(a, 10001, "Illegal category", {});
    auto const now = a.clock().now_ms();
    if (auto const* sym = q.get("symbol")) {
        auto const* inst = a.eng().find_instrument(*cat, *sym);
        if (!inst)
            return json_reply(a, 10001, "Not supported symbols", {});
        list.push_back(rest_ticker(*inst, now));
    } else {
        for (auto const* inst : a.eng().instruments(*cat))
            list.push_back(rest_ticker(*inst, now));
    }
    result["list"] = std::move(list);
    return json_reply(a, 0, "OK", std::move(result));
}

http_reply
wallet_balance(app& a, query const& q, api_key const& key)
{
    auto const* type = q.get("accountType");
    if (!type)
        return json_reply(a, 10001, "accountType can't be empty", {});
    if (*type != "UNIFIED")
        return json_reply(a, 10001, "accountType only support UNIFIED", {});
    auto w = a.eng().view_wallet(key.user);
    if (auto const* coins = q.get("coin")) {
        std::vector<std::string> wanted;
        std::size_t start = 0;
        while (start <= coins->size()) {
            auto end = coins->find(',', start);
            wanted.push_back(coins->substr(start, end == std::string::npos ? std::string::npos : end - start));
            if (end == std::string::npos)
                break;
            start = end + 1;
        }
        std::vector<coin_view> kept;
        for (auto const& name : wanted) {
            auto it = std::find_if(w.coins.begin(), w.coins.end(), [&](coin_view const& c) { return c.coin == name; });
            if (it != w.coins.end())
                kept.push_back(*it);
        }
        w.coins = std::move(kept);
    } else {
        // Without `coin` only non-zero assets are listed (spec §3.1).
        std::erase_if(w.coins, [](coin_view const& c) { return c.wallet == 0 && c.equity == 0; });
    }
    json::object result;
    result["list"] = json::array{wallet_item(w)};
    return json_reply(a, 0, "OK", std::move(result));
}

http_reply
position_list(app& a, query const& q, api_key const& key)
{
    auto const* cat_s = q.get("category");
    if (!cat_s || (*cat_s != "linear" && *cat_s != "inverse" && *cat_s != "option"))
        return json_reply(a, 10001, "Illegal category", {});
    rest_error err{};
    std::int64_t offset = 0, limit = 0;
    if (!page_window(a, q, 20, 200, offset, limit, err))
        return json_reply(a, err.code, err.msg, {});
    json::object result;
    json::array rows;
    auto const* sym = q.get("symbol");
    auto const* settle = q.get("settleCoin");
    if (*cat_s == "linear") {
        if (!sym && !settle)
            return json_reply(a, 10001, "Missing some parameters that must be filled in, symbol or settleCoin", {});
        std::vector<position_view> views;
        if (sym) {
            // With a symbol the row comes back even when flat (size "0", side "").
            auto const* inst = a.eng().find_instrument(category::linear, *sym);
            if (!inst)
                return json_reply(a, 10001, "Not supported symbols", {});
            views.push_back(a.eng().view_position(key.user, *inst));
        } else {
            for (auto const* inst : a.eng().instruments(category::linear)) {
                if (inst->quote != *settle)
                    continue;
                auto v = a.eng().view_position(key.user, *inst);
                if (v.pos->size != 0)
                    views.push_back(v);
            }
        }
        std::int64_t const n = static_cast<std::int64_t>(views.size());
        for (std::int64_t i = offset; i < std::min(n, offset + limit); ++i)
            rows.push_back(position_row(views[static_cast<std::size_t>(i)], false));
        result["list"] = std::move(rows);
        result["nextPageCursor"] =
            offset + limit < n ? make_cursor(views[static_cast<std::size_t>(offset + limit - 1)].inst->symbol,
                                     offset + limit, false)
                               : std::string();
    } else {
        result["list"] = std::move(rows);
        result["nextPageCursor"] = "";
    }
    result["category"] = *cat_s;
    return json_reply(a, 0, "OK", std::move(result));
}

http_reply
order_realtime(app& a, query const& q, api_key const& key)
{
    auto const* cat_s = q.get("category");
    if (!cat_s || (*cat_s != "linear" && *cat_s != "inverse" && *cat_s != "spot" && *cat_s != "option"))
        return json_reply(a, 10001, "Illegal category", {});
    rest_error err{};
    std::int64_t offset = 0, limit = 0;
    if (!page_window(a, q, 20, 50, offset, limit, err))
        return json_reply(a, err.code, err.msg, {});
    auto const* sym = q.get("symbol");
    auto const* base = q.get("baseCoin");
    auto const* settle = q.get("settleCoin");
    auto const* order_id = q.get("orderId");
    auto const* link_id = q.get("orderLinkId");
    std::int64_t open_only = 0;
    if (auto const* oo = q.get("openOnly"))
        if (!parse_int(*oo, open_only) || open_only > 2)
            return json_reply(a, 10001, "openOnly invalid", {});
    if (*cat_s == "linear" && !sym && !base && !settle && !order_id && !link_id)
        return json_reply(a, 10001, "Missing some parameters that must be filled in, symbol or settleCoin or baseCoin",
            {});
    if (*cat_s == "spot" && settle)
        return json_reply(a, 10001, "settleCoin is not supported for spot", {});
    json::object result;
    json::array rows;
    auto const cat = parse_category(*cat_s);
    std::vector<order const*> picked;
    if (cat) {
        if (sym && !a.eng().find_instrument(*cat, *sym))
            return json_reply(a, 10001, "Not supported symbols", {});
        // An id lookup also finds a recently closed order (spec §3.3: priority orderId > orderLinkId).
        bool const by_id = order_id || link_id;
        for (auto const* o : a.eng().orders(key.user, *cat, by_id || open_only != 0)) {
            auto const* inst = a.eng().find_instrument(o->cat, o->symbol);
            if (order_id && o->order_id != *order_id)
                continue;
            if (!order_id && link_id && o->order_link_id != *link_id)
                continue;
            if (!by_id && sym && o->symbol != *sym)
                continue;
            if (!by_id && !sym && base && inst->base != *base)
                continue;
            if (!by_id && !sym && !base && settle && inst->quote != *settle)
                continue;
            picked.push_back(o);
        }
    }
    std::int64_t const n = static_cast<std::int64_t>(picked.size());
    for (std::int64_t i = offset; i < std::min(n, offset + limit); ++i) {
        auto const* o = picked[static_cast<std::size_t>(i)];
        rows.push_back(order_row(*o, *a.eng().find_instrument(o->cat, o->symbol), false));
    }
    result["list"] = std::move(rows);
    result["nextPageCursor"] = offset + limit < n
        ? make_cursor(picked[static_cast<std::size_t>(offset + limit - 1)]->order_id, offset + limit, false)
        : std::string();
    result["category"] = *cat_s;
    return json_reply(a, 0, "OK", std::move(result));
}

http_reply
closed_pnl_list(app& a, query const& q, api_key const& key)
{
    auto const* cat_s = q.get("category");
    if (!cat_s || (*cat_s != "linear" && *cat_s != "inverse"))
        return json_reply(a, 10001, "Illegal category", {});
    rest_error err{};
    std::int64_t offset = 0, limit = 0;
    if (!page_window(a, q, 50, 100, offset, limit, err))
        return json_reply(a, err.code, err.msg, {});
    auto const now = a.clock().now_ms();
    std::int64_t start = 0, end = 0;
    auto const* st = q.get("startTime");
    auto const* et = q.get("endTime");
    if ((st && !parse_int(*st, start)) || (et && !parse_int(*et, end)))
        return json_reply(a, 10001, "params error: startTime or endTime invalid", {});
    // Window rules of the docs: none → last 7 days; one side → 7 days from it; both → ≤ 7 days.
    if (!st && !et) {
        end = now;
        start = now - seven_days_ms;
    } else if (st && !et) {
        end = start + seven_days_ms;
    } else if (!st && et) {
        start = end - seven_days_ms;
    } else if (end < start) {
        return json_reply(a, 10001, "startTime should be less than endTime", {});
    } else if (end - start > seven_days_ms) {
        return json_reply(a, 10001, "The time range between startTime and endTime cannot exceed 7 days", {});
    }
    auto const* sym = q.get("symbol");
    if (sym && *cat_s == "linear" && !a.eng().find_instrument(category::linear, *sym))
        return json_reply(a, 10001, "Not supported symbols", {});
    std::vector<closed_pnl const*> picked;
    if (*cat_s == "linear")
        if (auto const* acct = a.eng().find_account(key.user))
            for (auto it = acct->closed.rbegin(); it != acct->closed.rend(); ++it) {
                if (sym && it->symbol != *sym)
                    continue;
                if (it->updated_ms < start || it->updated_ms > end)
                    continue;
                picked.push_back(&*it);
            }
    json::object result;
    json::array rows;
    std::int64_t const n = static_cast<std::int64_t>(picked.size());
    for (std::int64_t i = offset; i < std::min(n, offset + limit); ++i) {
        auto const* c = picked[static_cast<std::size_t>(i)];
        rows.push_back(closed_pnl_row(*c, *a.eng().find_instrument(category::linear, c->symbol)));
    }
    result["nextPageCursor"] = offset + limit < n
        ? make_cursor(picked[static_cast<std::size_t>(offset + limit - 1)]->order_id, offset + limit, true)
        : std::string();
    result["category"] = *cat_s;
    result["list"] = std::move(rows);
    return json_reply(a, 0, "OK", std::move(result));
}

// POST order entry: signed over the raw body (the second signing vector of the spec).
http_reply
order_create(app& a, json::object const& body, api_key const& key)
{
    auto str = [&](char const* k) -> std::string {
        auto const* v = body.if_contains(k);
        return v && v->is_string() ? std::string(v->as_string()) : std::string();
    };
    order_request req;
    auto cat = parse_category(str("category"));
    if (!cat)
        return json_reply(a, 10001, "Illegal category", {});
    req.cat = *cat;
    req.symbol = str("symbol");
    req.side = str("side");
    req.order_type = str("orderType");
    req.order_link_id = str("orderLinkId");
    if (!str("timeInForce").empty())
        req.time_in_force = str("timeInForce");
    if (!parse_decimal(str("qty"), req.qty))
        return json_reply(a, 10001, "Qty invalid", {});
    if (!str("price").empty()) {
        double p = 0;
        if (!parse_decimal(str("price"), p))
            return json_reply(a, 10001, "Price invalid", {});
        req.price = p;
    }
    if (auto const* ro = body.if_contains("reduceOnly"); ro && ro->is_bool())
        req.reduce_only = ro->as_bool();
    auto placed = a.eng().place_order(key.user, req);
    if (!placed)
        return json_reply(a, placed.error().code, placed.error().message, {});
    json::object result;
    result["orderId"] = placed->order_id;
    result["orderLinkId"] = placed->order_link_id;
    return json_reply(a, 0, "OK", std::move(result));
}

http_reply
order_cancel(app& a, json::object const& body, api_key const& key)
{
    auto const* id = body.if_contains("orderId");
    auto const* link = body.if_contains("orderLinkId");
    std::string order_id = id && id->is_string() ? std::string(id->as_string()) : std::string();
    if (order_id.empty() && link && link->is_string())
        for (auto c : {category::linear, category::spot})
            for (auto const* o : a.eng().orders(key.user, c, false))
                if (o->order_link_id == link->as_string())
                    order_id = o->order_id;
    auto cancelled = a.eng().cancel_order(key.user, order_id);
    if (!cancelled)
        return json_reply(a, cancelled.error().code, cancelled.error().message, {});
    json::object result;
    result["orderId"] = cancelled->order_id;
    result["orderLinkId"] = cancelled->order_link_id;
    return json_reply(a, 0, "OK", std::move(result));
}

std::optional<std::string>
header(http::request<http::string_body> const& req, char const* name)
{
    auto it = req.find(name);
    if (it == req.end())
        return std::nullopt;
    return std::string(it->value());
}

http_reply
plain(unsigned status, std::string body)
{
    http_reply r;
    r.status = status;
    r.content_type = "text/html";
    r.body = std::move(body);
    return r;
}

bool
consume(int& count)
{
    if (count == 0)
        return false;
    if (count > 0)
        --count;
    return true;
}

} // namespace

//------------------------------------------------------------------------------

http_reply
handle_rest(app& a, http::request<http::string_body> const& req, std::string const& remote)
{
    auto const target = std::string(req.target());
    auto const qpos = target.find('?');
    std::string const path = target.substr(0, qpos);
    query q;
    if (qpos != std::string::npos)
        q.raw = target.substr(qpos + 1);

    auto& st = a.stats();
    ++st.rest_calls[path];
    if (auto k = header(req, "X-BAPI-API-KEY"))
        ++st.rest_calls_by_key[*k];
    auto& f = a.faults();
    auto const now = a.clock().now_ms();

    // Network-level faults come first: they are what a CDN or the IP limiter would do.
    if (consume(f.ip_limit_count) || !a.ip_limiter().admit(remote, now, f.ip_limit_per_5s, 5000).allowed) {
        ++st.rest_errors["http403"];
        return plain(403, "403 Forbidden: access too frequent");
    }
    if (consume(f.http_error_count)) {
        ++st.rest_errors["http" + std::to_string(f.http_error_status)];
        return plain(static_cast<unsigned>(f.http_error_status),
            "<html><body><h1>" + std::to_string(f.http_error_status) + " Service Unavailable</h1></body></html>");
    }
    std::chrono::milliseconds delay{0};
    if (consume(f.slow_count))
        delay = std::chrono::milliseconds(f.slow_ms);

    auto finish = [&](http_reply r) {
        r.delay = delay;
        return r;
    };

    if (qpos != std::string::npos) {
        if (!parse_query(q.raw, q.params))
            return finish(json_reply(a, 10001, "params error: malformed query string", {}));
    }

    bool const is_get = req.method() == http::verb::get;
    bool const is_post = req.method() == http::verb::post;
    // A GET with a body is refused by Bybit's front end (spec §2).
    if (is_get && !req.body().empty())
        return finish(plain(403, "403 Forbidden"));

    if (path == "/v5/market/time" && is_get)
        return finish(market_time(a));
    if (path == "/v5/market/tickers" && is_get)
        return finish(market_tickers(a, q));

    using handler = http_reply (*)(app&, query const&, api_key const&);
    static std::map<std::string, handler> const reads = {
        {"/v5/account/wallet-balance", &wallet_balance},
        {"/v5/position/list", &position_list},
        {"/v5/order/realtime", &order_realtime},
        {"/v5/position/closed-pnl", &closed_pnl_list},
    };
    static std::set<std::string> const writes = {"/v5/order/create", "/v5/order/cancel"};
    auto const read = reads.find(path);
    bool const is_write = writes.count(path) > 0;
    if ((read == reads.end() || !is_get) && (!is_write || !is_post)) {
        ++st.rest_errors["http404"];
        return finish(plain(404, "404 page not found"));
    }

    auth_request ar;
    ar.api_key = header(req, "X-BAPI-API-KEY");
    ar.timestamp = header(req, "X-BAPI-TIMESTAMP");
    ar.sign = header(req, "X-BAPI-SIGN");
    ar.recv_window = header(req, "X-BAPI-RECV-WINDOW");
    ar.payload = is_get ? q.raw : req.body();
    auto const verdict = authenticate(a.eng(), ar, now, is_write ? permission::read_write : permission::read_only,
        f.sign_absent_recv_window);
    if (!verdict.ok)
        return finish(json_reply(a, verdict.ret_code, verdict.ret_msg, {}, verdict.http_status));

    // Rolling 1 s per UID per endpoint; the headers ride on every private response (spec §4).
    auto lim = a.api_limiter().admit(verdict.key->user + " " + path, now, f.rest_limit_per_s, 1000);
    bool const storm = consume(f.rate_limit_count);
    http_reply r;
    if (!lim.allowed || storm) {
        r = json_reply(a, 10006, "Too many visits. Exceeded the API Rate Limit.", {});
        lim.remaining = 0;
        if (storm && lim.allowed)
            lim.reset_ms = now + 1000;
    } else if (is_write) {
        boost::system::error_code ec;
        auto body = json::parse(req.body(), ec);
        if (ec || !body.is_object())
            r = json_reply(a, 10001, "params error: body must be a JSON object", {});
        else
            r = path == "/v5/order/create" ? order_create(a, body.as_object(), *verdict.key)
                                           : order_cancel(a, body.as_object(), *verdict.key);
    } else {
        r = read->second(a, q, *verdict.key);
    }
    r.headers.emplace_back("X-Bapi-Limit", std::to_string(lim.limit));
    r.headers.emplace_back("X-Bapi-Limit-Status", std::to_string(lim.remaining));
    if (lim.allowed && !storm)
        r.headers.emplace_back("X-Bapi-Limit-Reset-Timestamp", std::to_string(now));
    else if (f.rate_limit_reset_header)
        r.headers.emplace_back("X-Bapi-Limit-Reset-Timestamp", std::to_string(lim.reset_ms));
    return finish(std::move(r));
}

} // namespace tradepush::bybit_sim
