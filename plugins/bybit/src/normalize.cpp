#include "normalize.hpp"

#include "decimal.hpp"
#include "json_writer.hpp"
#include "pnl.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <algorithm>
#include <charconv>

namespace tradepush::bybit {

namespace json = boost::json;

namespace {

// A field as text: strings as they are, numbers printed (Bybit mixes them, e.g. seq), else "".
std::string
text(json::object const& o, std::string_view key)
{
    auto const* v = o.if_contains(key);
    if(!v)
        return {};
    if(v->is_string())
        return std::string(v->as_string());
    if(v->is_int64())
        return std::to_string(v->as_int64());
    if(v->is_uint64())
        return std::to_string(v->as_uint64());
    return {};
}

long long
integer(json::object const& o, std::string_view key, long long fallback)
{
    auto const* v = o.if_contains(key);
    if(!v)
        return fallback;
    if(v->is_int64())
        return v->as_int64();
    if(v->is_uint64())
        return static_cast<long long>(v->as_uint64());
    if(v->is_string()) {
        auto const& s = v->as_string();
        long long n = 0;
        auto const [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
        if(ec == std::errc{} && ptr == s.data() + s.size())
            return n;
    }
    return fallback;
}

bool
boolean(json::object const& o, std::string_view key)
{
    auto const* v = o.if_contains(key);
    return v && v->is_bool() && v->as_bool();
}

// "" and non-numbers as 0 (Bybit leaves unset margin fields empty in portfolio-margin mode).
double
num_or_zero(std::string_view s)
{
    return parse_decimal(s).value_or(0.0);
}

// Integer millisecond strings ("1684738540559") as JSON integers; null when unset.
void
time_member(json_writer& w, std::string_view key, std::string_view value)
{
    long long n = 0;
    auto const [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if(value.empty() || ec != std::errc{} || ptr != value.data() + value.size())
        w.null(key);
    else
        w.integer(key, n);
}

} // namespace

std::string
snake_case(std::string_view e)
{
    std::string out;
    for(std::size_t i = 0; i < e.size(); ++i) {
        char c = e[i];
        if(c >= 'A' && c <= 'Z') {
            if(i > 0 && e[i - 1] != '_')
                out += '_';
            out += static_cast<char>(c - 'A' + 'a');
        } else {
            out += c;
        }
    }
    return out;
}

wallet
parse_wallet(json::object const& item)
{
    wallet w;
    w.account_type = text(item, "accountType");
    w.total_equity = text(item, "totalEquity");
    w.total_wallet_balance = text(item, "totalWalletBalance");
    w.total_margin_balance = text(item, "totalMarginBalance");
    w.total_available_balance = text(item, "totalAvailableBalance");
    w.total_perp_upl = text(item, "totalPerpUPL");
    w.total_initial_margin = text(item, "totalInitialMargin");
    w.total_maintenance_margin = text(item, "totalMaintenanceMargin");
    if(auto const* coins = item.if_contains("coin"); coins && coins->is_array()) {
        for(auto const& c : coins->as_array()) {
            if(!c.is_object())
                continue;
            auto const& co = c.as_object();
            coin_balance b;
            b.coin = text(co, "coin");
            b.equity = text(co, "equity");
            b.wallet_balance = text(co, "walletBalance");
            b.locked = text(co, "locked");
            b.total_order_im = text(co, "totalOrderIM");
            b.total_position_im = text(co, "totalPositionIM");
            b.usd_value = text(co, "usdValue");
            b.unrealised_pnl = text(co, "unrealisedPnl");
            b.cum_realised_pnl = text(co, "cumRealisedPnl");
            b.borrow_amount = text(co, "borrowAmount");
            w.coins.push_back(std::move(b));
        }
    }
    return w;
}

std::optional<wallet>
parse_wallet_result(json::value const& result)
{
    if(!result.is_object())
        return std::nullopt;
    auto const* list = result.as_object().if_contains("list");
    if(!list || !list->is_array())
        return std::nullopt;
    json::object const* pick = nullptr;
    for(auto const& item : list->as_array()) {
        if(!item.is_object())
            continue;
        if(!pick)
            pick = &item.as_object();
        if(text(item.as_object(), "accountType") == "UNIFIED") {
            pick = &item.as_object();
            break;
        }
    }
    if(!pick)
        return std::nullopt;
    return parse_wallet(*pick);
}

position
parse_position(json::object const& item)
{
    position p;
    p.symbol = text(item, "symbol");
    if(auto c = text(item, "category"); !c.empty())
        p.category = std::move(c);
    p.side = text(item, "side");
    p.size = text(item, "size");
    // REST calls it avgPrice, the WS topic entryPrice (spec §5.4).
    p.entry_price = text(item, "entryPrice");
    if(p.entry_price.empty())
        p.entry_price = text(item, "avgPrice");
    p.mark_price = text(item, "markPrice");
    p.leverage = text(item, "leverage");
    p.liq_price = text(item, "liqPrice");
    p.position_value = text(item, "positionValue");
    p.unrealised_pnl = text(item, "unrealisedPnl");
    p.cur_realised_pnl = text(item, "curRealisedPnl");
    p.cum_realised_pnl = text(item, "cumRealisedPnl");
    p.take_profit = text(item, "takeProfit");
    p.stop_loss = text(item, "stopLoss");
    p.updated_time = text(item, "updatedTime");
    p.position_idx = static_cast<int>(integer(item, "positionIdx", 0));
    p.seq = integer(item, "seq", -1);
    return p;
}

order
parse_order(json::object const& item)
{
    order o;
    o.order_id = text(item, "orderId");
    o.order_link_id = text(item, "orderLinkId");
    o.symbol = text(item, "symbol");
    if(auto c = text(item, "category"); !c.empty())
        o.category = std::move(c);
    o.side = text(item, "side");
    o.order_type = text(item, "orderType");
    o.price = text(item, "price");
    o.qty = text(item, "qty");
    o.cum_exec_qty = text(item, "cumExecQty");
    o.leaves_qty = text(item, "leavesQty");
    o.avg_price = text(item, "avgPrice");
    o.order_status = text(item, "orderStatus");
    o.time_in_force = text(item, "timeInForce");
    o.trigger_price = text(item, "triggerPrice");
    o.take_profit = text(item, "takeProfit");
    o.stop_loss = text(item, "stopLoss");
    o.created_time = text(item, "createdTime");
    o.updated_time = text(item, "updatedTime");
    o.reduce_only = boolean(item, "reduceOnly");
    return o;
}

execution
parse_execution(json::object const& item)
{
    execution e;
    e.exec_id = text(item, "execId");
    e.order_id = text(item, "orderId");
    e.symbol = text(item, "symbol");
    e.category = text(item, "category");
    e.side = text(item, "side");
    e.exec_price = text(item, "execPrice");
    e.exec_qty = text(item, "execQty");
    e.exec_fee = text(item, "execFee");
    e.fee_currency = text(item, "feeCurrency");
    e.exec_type = text(item, "execType");
    e.exec_pnl = text(item, "execPnl");
    e.exec_time = text(item, "execTime");
    e.is_maker = boolean(item, "isMaker");
    return e;
}

page
parse_page(json::value const& result)
{
    page p;
    if(!result.is_object())
        return p;
    auto const& r = result.as_object();
    if(auto const* list = r.if_contains("list"); list && list->is_array())
        for(auto const& row : list->as_array())
            if(row.is_object())
                p.rows.push_back(row.as_object());
    p.next_cursor = text(r, "nextPageCursor");
    return p;
}

bool
settles_in(std::string_view symbol, std::vector<std::string> const& coins) noexcept
{
    for(auto const& c : coins) {
        if(symbol.size() > c.size() && symbol.substr(symbol.size() - c.size()) == c)
            return true;
        if(c == "USDC"
            && ((symbol.size() > 4 && symbol.substr(symbol.size() - 4) == "PERP")
                || symbol.find('-') != std::string_view::npos))
            return true;
    }
    return false;
}

bool
is_open_status(std::string_view s) noexcept
{
    return s == "New" || s == "PartiallyFilled" || s == "Untriggered";
}

bool
is_open_position(position const& p) noexcept
{
    auto const size = parse_decimal(p.size);
    return size && *size != 0 && !p.side.empty();
}

bool
apply_position(std::map<position_key, position>& positions, position p)
{
    position_key key{p.symbol, p.position_idx};
    auto it = positions.find(key);
    // Bybit's per-position seq only grows; an older row arriving late must not win.
    if(it != positions.end() && p.seq >= 0 && it->second.seq > p.seq)
        return false;
    if(!is_open_position(p)) {
        if(it == positions.end())
            return false;
        positions.erase(it);
        return true;
    }
    positions.insert_or_assign(std::move(key), std::move(p));
    return true;
}

bool
apply_order(std::map<std::string, order>& orders, order o)
{
    if(o.order_id.empty())
        return false;
    if(!is_open_status(o.order_status))
        return orders.erase(o.order_id) != 0;
    auto it = orders.find(o.order_id);
    // updatedTime is the only ordering Bybit gives for orders; keep the newer row.
    if(it != orders.end() && !o.updated_time.empty() && !it->second.updated_time.empty()) {
        auto const held = parse_decimal(it->second.updated_time).value_or(0);
        auto const got = parse_decimal(o.updated_time).value_or(0);
        if(got < held)
            return false;
    }
    auto const key = o.order_id;
    orders.insert_or_assign(key, std::move(o));
    return true;
}

std::string
balance_json(wallet const& w)
{
    json_writer j;
    j.begin_object()
        .string("account_type", w.account_type)
        .decimal("total_equity", w.total_equity)
        .decimal("total_wallet_balance", w.total_wallet_balance)
        .decimal("total_margin_balance", w.total_margin_balance)
        .decimal("available_balance", w.total_available_balance)
        .decimal("total_perp_upl", w.total_perp_upl)
        .decimal("total_initial_margin", w.total_initial_margin)
        .decimal("total_maintenance_margin", w.total_maintenance_margin)
        .begin_array("coins");
    for(auto const& c : w.coins) {
        j.begin_object().string("coin", c.coin).decimal("equity", c.equity).decimal("wallet_balance",
            c.wallet_balance);
        // Per-coin free funds: what the wallet holds minus what orders and positions tie up (Bybit
        // deprecated availableToWithdraw for unified accounts; unset margins count as 0).
        if(auto const wb = parse_decimal(c.wallet_balance)) {
            auto const avail = *wb - num_or_zero(c.locked) - num_or_zero(c.total_order_im)
                - num_or_zero(c.total_position_im);
            j.number("available_balance", round_money(avail < 0 ? 0 : avail));
        } else {
            j.null("available_balance");
        }
        j.decimal("locked", c.locked)
            .decimal("usd_value", c.usd_value)
            .decimal("unrealised_pnl", c.unrealised_pnl)
            .decimal("cum_realised_pnl", c.cum_realised_pnl)
            .decimal("borrow_amount", c.borrow_amount)
            .end_object();
    }
    j.end_array().end_object();
    return j.release();
}

std::string
positions_json(std::map<position_key, position> const& positions, mark_map const& marks)
{
    json_writer j;
    j.begin_object().begin_array("positions");
    for(auto const& [key, p] : positions) {
        auto const pp = compute_position_pnl(p, marks);
        j.begin_object()
            .string("symbol", p.symbol)
            .string("category", p.category)
            .string("side", pp.side)
            .decimal("size", p.size)
            .decimal("entry_price", p.entry_price)
            .number("mark_price", pp.mark_price)
            .number("unrealised_pnl", pp.unrealised_pnl)
            .decimal("realised_pnl", p.cur_realised_pnl)
            .decimal("cum_realised_pnl", p.cum_realised_pnl)
            .decimal("leverage", p.leverage)
            .decimal("liq_price", p.liq_price)
            .decimal("position_value", p.position_value)
            .decimal("take_profit", p.take_profit)
            .decimal("stop_loss", p.stop_loss)
            .integer("position_idx", p.position_idx);
        time_member(j, "updated_time", p.updated_time);
        j.end_object();
    }
    j.end_array().end_object();
    return j.release();
}

std::string
orders_json(std::map<std::string, order> const& orders)
{
    // Newest first, as Bybit lists them; ties by id so the output is stable.
    std::vector<order const*> sorted;
    sorted.reserve(orders.size());
    for(auto const& [id, o] : orders)
        sorted.push_back(&o);
    std::sort(sorted.begin(), sorted.end(), [](order const* a, order const* b) {
        auto const ta = parse_decimal(a->created_time).value_or(0);
        auto const tb = parse_decimal(b->created_time).value_or(0);
        if(ta != tb)
            return ta > tb;
        return a->order_id < b->order_id;
    });

    json_writer j;
    j.begin_object().begin_array("orders");
    for(auto const* o : sorted) {
        j.begin_object()
            .string("order_id", o->order_id)
            .string("order_link_id", o->order_link_id)
            .string("symbol", o->symbol)
            .string("category", o->category)
            .string("side", snake_case(o->side))
            .string("type", snake_case(o->order_type))
            .decimal("price", o->price)
            .decimal("qty", o->qty)
            .decimal("filled_qty", o->cum_exec_qty)
            .decimal("leaves_qty", o->leaves_qty)
            .decimal("avg_price", o->avg_price)
            .string("status", snake_case(o->order_status))
            .string("time_in_force", o->time_in_force)
            .decimal("trigger_price", o->trigger_price)
            .decimal("take_profit", o->take_profit)
            .decimal("stop_loss", o->stop_loss)
            .boolean("reduce_only", o->reduce_only);
        time_member(j, "created_time", o->created_time);
        time_member(j, "updated_time", o->updated_time);
        j.end_object();
    }
    j.end_array().end_object();
    return j.release();
}

std::string
execution_json(execution const& e)
{
    json_writer j;
    j.begin_object()
        .string("exec_id", e.exec_id)
        .string("order_id", e.order_id)
        .string("symbol", e.symbol)
        .string("category", e.category)
        .string("side", snake_case(e.side))
        .decimal("price", e.exec_price)
        .decimal("qty", e.exec_qty)
        .decimal("fee", e.exec_fee)
        .string("fee_currency", e.fee_currency)
        .string("exec_type", snake_case(e.exec_type))
        .decimal("exec_pnl", e.exec_pnl)
        .boolean("is_maker", e.is_maker);
    time_member(j, "time", e.exec_time);
    j.end_object();
    return j.release();
}

} // namespace tradepush::bybit
