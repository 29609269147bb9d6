#include "engine.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace tradepush::bybit_sim {

char const*
to_string(category c)
{
    return c == category::linear ? "linear" : "spot";
}

std::optional<category>
parse_category(std::string_view s)
{
    if (s == "linear")
        return category::linear;
    if (s == "spot")
        return category::spot;
    return std::nullopt;
}

std::optional<permission>
parse_permission(std::string_view s)
{
    if (s == "none")
        return permission::none;
    if (s == "read" || s == "read_only" || s == "ReadOnly")
        return permission::read_only;
    if (s == "trade" || s == "read_write" || s == "ReadWrite")
        return permission::read_write;
    return std::nullopt;
}

char const*
to_string(permission p)
{
    switch (p) {
    case permission::none:
        return "none";
    case permission::read_only:
        return "read_only";
    case permission::read_write:
        return "read_write";
    }
    return "none";
}

namespace {

constexpr double epsilon = 1e-12;

int
sign_of(double v)
{
    return v > epsilon ? 1 : (v < -epsilon ? -1 : 0);
}

} // namespace

//------------------------------------------------------------------------------

engine::engine(sim_clock& clock, std::uint64_t seed) : clock_(clock), rng_(seed) {}

double
engine::uniform()
{
    // mt19937_64 output is fully specified by the standard, distributions are not: derive the
    // double by hand so a seed gives the same prices with every standard library.
    return static_cast<double>(rng_() >> 11) * (1.0 / 9007199254740992.0);
}

std::string
engine::make_id()
{
    std::uint64_t a = rng_();
    std::uint64_t b = rng_();
    char buf[40];
    std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-8%03x-%012llx", static_cast<unsigned>(a >> 32),
        static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xfff),
        static_cast<unsigned>((b >> 48) & 0xfff), static_cast<unsigned long long>(b & 0xffffffffffffULL));
    return buf;
}

void
engine::add_instrument(std::string symbol, category cat, std::string base, std::string quote, double price,
    int price_decimals, int qty_decimals)
{
    instrument inst;
    inst.symbol = symbol;
    inst.cat = cat;
    inst.base = std::move(base);
    inst.quote = std::move(quote);
    inst.price_decimals = price_decimals;
    inst.qty_decimals = qty_decimals;
    inst.tick = std::pow(10.0, -price_decimals);
    inst.last = round_to_tick(inst, price);
    inst.index = inst.last;
    inst.mark = inst.last;
    inst.prev_24h = inst.last;
    inst.prev_1h = inst.last;
    inst.high_24h = inst.last;
    inst.low_24h = inst.last;
    inst.open_interest = cat == category::linear ? 50000 : 0;
    refresh_book(inst);
    instruments_[{cat, std::move(symbol)}] = std::move(inst);
}

instrument const*
engine::find_instrument(category cat, std::string_view symbol) const
{
    auto it = instruments_.find({cat, std::string(symbol)});
    return it == instruments_.end() ? nullptr : &it->second;
}

instrument*
engine::find_instrument_mut(category cat, std::string_view symbol)
{
    auto it = instruments_.find({cat, std::string(symbol)});
    return it == instruments_.end() ? nullptr : &it->second;
}

std::vector<instrument const*>
engine::instruments(category cat) const
{
    std::vector<instrument const*> out;
    for (auto const& [k, inst] : instruments_)
        if (k.first == cat)
            out.push_back(&inst);
    return out;
}

double
engine::round_to_tick(instrument const& inst, double price) const
{
    double const t = std::pow(10.0, inst.price_decimals);
    return std::round(price * t) / t;
}

void
engine::refresh_book(instrument& inst)
{
    inst.bid1 = round_to_tick(inst, inst.last - inst.tick);
    inst.ask1 = round_to_tick(inst, inst.last);
    inst.bid1_size = 1 + std::floor(uniform() * 20);
    inst.ask1_size = 1 + std::floor(uniform() * 20);
    inst.high_24h = std::max(inst.high_24h, inst.last);
    inst.low_24h = std::min(inst.low_24h, inst.last);
    ++inst.cs;
}

void
engine::tick()
{
    for (auto& [k, inst] : instruments_) {
        double const step = (uniform() * 2 - 1) * volatility_;
        double const next = round_to_tick(inst, inst.last * (1 + step));
        inst.tick_direction = next > inst.last ? "PlusTick" : (next < inst.last ? "MinusTick" : "ZeroPlusTick");
        inst.last = next > 0 ? next : inst.tick;
        inst.index = round_to_tick(inst, inst.last * (1 + (uniform() - 0.5) * 0.0002));
        inst.mark = round_to_tick(inst, (inst.last + inst.index) / 2);
        double const traded = std::floor(uniform() * 100) / 100;
        inst.volume_24h += traded;
        inst.turnover_24h += traded * inst.last;
        refresh_book(inst);
    }
    // Match after every price moved so a fill sees a consistent market.
    for (auto& [k, inst] : instruments_)
        match_resting(inst);
}

sim_result<void>
engine::set_price(category cat, std::string const& symbol, double price)
{
    auto* inst = find_instrument_mut(cat, symbol);
    if (!inst)
        return sim_error{10001, "Not supported symbols"};
    if (!(price > 0))
        return sim_error{10001, "price must be positive"};
    double const next = round_to_tick(*inst, price);
    inst->tick_direction = next > inst->last ? "PlusTick" : (next < inst->last ? "MinusTick" : "ZeroPlusTick");
    inst->last = next;
    inst->index = next;
    inst->mark = next;
    refresh_book(*inst);
    match_resting(*inst);
    return {};
}

//------------------------------------------------------------------------------

account&
engine::add_user(std::string const& user)
{
    auto it = accounts_.find(user);
    if (it == accounts_.end()) {
        it = accounts_.emplace(user, account{}).first;
        it->second.user = user;
    }
    return it->second;
}

void
engine::add_key(api_key key)
{
    add_user(key.user);
    std::string id = key.key;
    keys_[id] = std::move(key);
}

bool
engine::remove_key(std::string const& key)
{
    return keys_.erase(key) > 0;
}

api_key const*
engine::find_key(std::string_view key) const
{
    auto it = keys_.find(key);
    return it == keys_.end() ? nullptr : &it->second;
}

account const*
engine::find_account(std::string_view user) const
{
    auto it = accounts_.find(user);
    return it == accounts_.end() ? nullptr : &it->second;
}

void
engine::set_balance(std::string const& user, std::string const& coin, double amount)
{
    add_user(user).coins[coin].wallet = amount;
    push(private_event::kind::wallet, user, category::linear, {});
}

sim_result<void>
engine::set_position(std::string const& user, std::string const& symbol, double signed_size, double avg_price,
    double leverage)
{
    auto const* inst = find_instrument(category::linear, symbol);
    if (!inst)
        return sim_error{10001, "Not supported symbols"};
    if (!(leverage >= 1 && leverage <= 100))
        return sim_error{10001, "leverage must be within 1..100"};
    auto& pos = add_user(user).positions[symbol];
    auto const now = clock_.now_ms();
    pos.symbol = symbol;
    pos.size = signed_size;
    pos.avg_price = sign_of(signed_size) ? avg_price : 0;
    pos.leverage = leverage;
    if (pos.created_ms == 0)
        pos.created_ms = now;
    pos.updated_ms = now;
    pos.seq = ++seq_;
    push(private_event::kind::position, user, category::linear, {symbol});
    push(private_event::kind::wallet, user, category::linear, {});
    return {};
}

void
engine::push(private_event::kind what, std::string const& user, category cat, std::vector<std::string> ids)
{
    private_event ev;
    ev.what = what;
    ev.user = user;
    ev.cat = cat;
    ev.ids = std::move(ids);
    if (what == private_event::kind::order) {
        for (auto const& id : ev.ids)
            if (auto const* o = find_order(id))
                ev.orders.push_back(*o);
    } else if (what == private_event::kind::position) {
        auto const* acct = find_account(user);
        for (auto const& sym : ev.ids) {
            position p;
            p.symbol = sym;
            if (acct)
                if (auto it = acct->positions.find(sym); it != acct->positions.end())
                    p = it->second;
            ev.positions.push_back(p);
        }
    }
    events_.push_back(std::move(ev));
}

std::vector<private_event>
engine::take_events()
{
    std::vector<private_event> out;
    out.swap(events_);
    return out;
}

//------------------------------------------------------------------------------

sim_result<order>
engine::place_order(std::string const& user, order_request const& req)
{
    auto it = accounts_.find(user);
    if (it == accounts_.end())
        return sim_error{10003, "API key is invalid."};
    auto* inst = find_instrument_mut(req.cat, req.symbol);
    if (!inst)
        return sim_error{10001, "Not supported symbols"};
    if (req.side != "Buy" && req.side != "Sell")
        return sim_error{10001, "Side invalid"};
    if (req.order_type != "Limit" && req.order_type != "Market")
        return sim_error{10001, "OrderType invalid"};
    double const min_qty = std::pow(10.0, -inst->qty_decimals);
    if (!(req.qty >= min_qty - epsilon) || req.qty > 1e9)
        return sim_error{10001, "Qty invalid"};
    if (req.order_type == "Limit" && (!req.price || !(*req.price > 0)))
        return sim_error{10001, "Price invalid"};
    if (!req.order_link_id.empty())
        for (auto const& [id, o] : orders_)
            if (o.user == user && o.order_link_id == req.order_link_id)
                return sim_error{110072, "OrderLinkedID is duplicate"};

    double const px = req.order_type == "Limit" ? round_to_tick(*inst, *req.price) : inst->last;
    // Cost checks in the spirit of the real ones: enough margin (linear) or coin (spot).
    if (req.cat == category::linear && !req.reduce_only) {
        auto w = view_wallet(user);
        double const need = req.qty * px / 10;
        if (need > w.total_available + epsilon)
            return sim_error{110007, "ab not enough for new order"};
    }
    if (req.cat == category::spot) {
        auto w = view_wallet(user);
        std::string const coin = req.side == "Buy" ? inst->quote : inst->base;
        double const need = req.side == "Buy" ? req.qty * px * (1 + spot_fee) : req.qty;
        double free = 0;
        for (auto const& c : w.coins)
            if (c.coin == coin)
                free = c.wallet - c.locked;
        if (need > free + epsilon)
            return sim_error{170131, "Insufficient balance."};
    }

    order o;
    o.order_id = make_id();
    o.order_link_id = req.order_link_id;
    o.user = user;
    o.cat = req.cat;
    o.symbol = req.symbol;
    o.side = req.side;
    o.order_type = req.order_type;
    o.time_in_force = req.order_type == "Market" ? "IOC" : req.time_in_force;
    o.price = px;
    o.qty = req.qty;
    o.reduce_only = req.reduce_only;
    o.last_price_on_created = inst->last;
    o.created_ms = o.updated_ms = clock_.now_ms();
    o.seq = ++seq_;
    std::string const id = o.order_id;
    auto& stored = orders_.emplace(id, std::move(o)).first->second;
    order_sequence_.push_back(id);

    push(private_event::kind::order, user, req.cat, {id});
    if (req.cat == category::linear)
        push(private_event::kind::position, user, req.cat, {req.symbol});
    push(private_event::kind::wallet, user, req.cat, {});

    // Marketable: fill now as taker at the last price (a Market order, or a Limit through the book).
    bool const marketable = stored.order_type == "Market" ||
        (stored.side == "Buy" ? stored.price >= inst->last : stored.price <= inst->last);
    if (marketable)
        apply_fill(stored, stored.leaves(), inst->last, false);
    return stored;
}

sim_result<order>
engine::cancel_order(std::string const& user, std::string const& order_id)
{
    auto it = orders_.find(order_id);
    if (it == orders_.end() || it->second.user != user || !it->second.is_open())
        return sim_error{110001, "Order does not exist."};
    auto& o = it->second;
    o.status = "Cancelled";
    o.cancel_type = "CancelByUser";
    o.updated_ms = clock_.now_ms();
    o.seq = ++seq_;
    push(private_event::kind::order, user, o.cat, {o.order_id});
    if (o.cat == category::linear)
        push(private_event::kind::position, user, o.cat, {o.symbol});
    push(private_event::kind::wallet, user, o.cat, {});
    return o;
}

sim_result<order>
engine::fill_order(std::string const& order_id, std::optional<double> qty, std::optional<double> price)
{
    auto it = orders_.find(order_id);
    if (it == orders_.end() || !it->second.is_open())
        return sim_error{110001, "Order does not exist."};
    auto& o = it->second;
    auto const* inst = find_instrument(o.cat, o.symbol);
    double const q = qty ? *qty : o.leaves();
    if (!(q > 0) || q > o.leaves() + epsilon)
        return sim_error{10001, "Qty invalid"};
    double const p = price ? *price : (o.order_type == "Limit" ? o.price : inst->last);
    if (!(p > 0))
        return sim_error{10001, "Price invalid"};
    apply_fill(o, q, p, o.order_type == "Limit");
    return o;
}

order const*
engine::find_order(std::string_view order_id) const
{
    auto it = orders_.find(order_id);
    return it == orders_.end() ? nullptr : &it->second;
}

std::vector<order const*>
engine::orders(std::string const& user, category cat, bool include_closed) const
{
    std::vector<order const*> out;
    for (auto it = order_sequence_.rbegin(); it != order_sequence_.rend(); ++it) {
        auto const& o = orders_.find(*it)->second;
        if (o.user != user || o.cat != cat)
            continue;
        if (o.is_open() || include_closed)
            out.push_back(&o);
        // openOnly=1 returns at most 500 recent closed orders (spec §3.3).
        if (out.size() >= 500)
            break;
    }
    return out;
}

void
engine::match_resting(instrument const& inst)
{
    // Collect first: apply_fill queues events and may not invalidate the iteration.
    std::vector<order*> crossing;
    for (auto const& id : order_sequence_) {
        auto& o = orders_.find(id)->second;
        if (!o.is_open() || o.cat != inst.cat || o.symbol != inst.symbol || o.order_type != "Limit")
            continue;
        if ((o.side == "Buy" && inst.last <= o.price) || (o.side == "Sell" && inst.last >= o.price))
            crossing.push_back(&o);
    }
    for (auto* o : crossing)
        apply_fill(*o, o->leaves(), o->price, true);
}

void
engine::apply_fill(order& o, double qty, double price, bool maker)
{
    auto* inst = find_instrument_mut(o.cat, o.symbol);
    auto& acct = add_user(o.user);
    double const rate = o.cat == category::spot ? spot_fee : (maker ? maker_fee : taker_fee);
    double const value = qty * price;
    double const fee = value * rate;

    execution ex;
    ex.exec_id = make_id();
    ex.order_id = o.order_id;
    ex.order_link_id = o.order_link_id;
    ex.cat = o.cat;
    ex.symbol = o.symbol;
    ex.side = o.side;
    ex.order_type = o.order_type;
    ex.order_price = o.price;
    ex.order_qty = o.qty;
    ex.exec_price = price;
    ex.exec_qty = qty;
    ex.exec_fee = fee;
    ex.fee_rate = rate;
    ex.is_maker = maker;
    ex.mark_price = inst->mark;
    ex.fee_currency = o.cat == category::spot ? (o.side == "Buy" ? inst->base : inst->quote) : "";
    ex.exec_time = clock_.now_ms();

    double const pnl_before = acct.positions.count(o.symbol) ? acct.positions[o.symbol].cum_realised : 0;
    double const size_before = acct.positions.count(o.symbol) ? acct.positions[o.symbol].size : 0;
    if (o.cat == category::linear)
        apply_linear_fill(acct, o, *inst, qty, price, fee);
    else
        apply_spot_fill(acct, o, *inst, qty, price, fee);

    o.cum_qty += qty;
    o.cum_value += value;
    o.cum_fee += fee;
    o.status = o.leaves() <= epsilon ? "Filled" : "PartiallyFilled";
    o.updated_ms = ex.exec_time;
    o.seq = ++seq_;
    if (o.cat == category::linear) {
        auto const& pos = acct.positions[o.symbol];
        // execPnl excludes the fee; closedPnl on the order is the realised change net of fees.
        ex.exec_pnl = pos.cum_realised - pnl_before + fee;
        bool const reducing = sign_of(size_before) * (o.side == "Buy" ? 1 : -1) < 0;
        ex.closed_size = reducing ? std::min(std::fabs(size_before), qty) : 0.0;
        o.closed_pnl += pos.cum_realised - pnl_before;
    }
    ex.leaves_qty = o.leaves();
    ex.seq = o.seq;
    acct.executions.push_back(ex);
    if (acct.executions.size() > 1000)
        acct.executions.erase(acct.executions.begin());

    inst->volume_24h += qty;
    inst->turnover_24h += value;

    // Push order of the real stream for one fill: execution, order, position, wallet.
    push(private_event::kind::execution, o.user, o.cat, {ex.exec_id});
    push(private_event::kind::order, o.user, o.cat, {o.order_id});
    if (o.cat == category::linear)
        push(private_event::kind::position, o.user, o.cat, {o.symbol});
    push(private_event::kind::wallet, o.user, o.cat, {});
}

void
engine::apply_linear_fill(account& acct, order& o, instrument const& inst, double qty, double price, double fee)
{
    auto& pos = acct.positions[o.symbol];
    auto const now = clock_.now_ms();
    pos.symbol = o.symbol;
    if (pos.created_ms == 0)
        pos.created_ms = now;
    double const signed_qty = o.side == "Buy" ? qty : -qty;
    double realised = -fee;
    int const s = sign_of(pos.size);
    if (s == 0 || s == sign_of(signed_qty)) {
        // Opening or adding: volume-weighted entry price.
        double const total = std::fabs(pos.size) + qty;
        pos.avg_price = (std::fabs(pos.size) * pos.avg_price + qty * price) / total;
        if (s == 0)
            pos.cur_realised = 0;
        pos.size += signed_qty;
    } else {
        // Reducing (maybe flipping): realise PnL on the closed part.
        double const closed = std::min(std::fabs(pos.size), qty);
        double const pnl = closed * (price - pos.avg_price) * s;
        realised += pnl;
        closed_pnl rec;
        rec.symbol = o.symbol;
        rec.order_id = o.order_id;
        rec.side = o.side;
        rec.order_type = o.order_type;
        rec.qty = o.qty;
        rec.order_price = o.price;
        rec.closed_size = closed;
        rec.entry_value = closed * pos.avg_price;
        rec.exit_value = closed * price;
        rec.close_fee = fee * closed / qty;
        rec.open_fee = closed * pos.avg_price * taker_fee;
        rec.closed_pnl_value = pnl - rec.close_fee - rec.open_fee;
        rec.leverage = pos.leverage;
        rec.created_ms = o.created_ms;
        rec.updated_ms = now;
        acct.closed.push_back(rec);
        if (acct.closed.size() > 5000)
            acct.closed.erase(acct.closed.begin());
        double const rest = qty - closed;
        pos.size += signed_qty;
        if (rest > epsilon) {
            pos.avg_price = price;
            pos.cur_realised = 0;
        } else if (sign_of(pos.size) == 0) {
            pos.size = 0;
            pos.avg_price = 0;
        }
    }
    pos.cur_realised += realised;
    pos.cum_realised += realised;
    pos.updated_ms = now;
    pos.seq = ++seq_;
    auto& usdt = acct.coins[inst.quote];
    usdt.wallet += realised;
    usdt.cum_realised += realised;
}

void
engine::apply_spot_fill(account& acct, order const& o, instrument const& inst, double qty, double price, double fee)
{
    auto& base = acct.coins[inst.base];
    auto& quote = acct.coins[inst.quote];
    if (o.side == "Buy") {
        // Spot buy fees are charged in the received coin.
        base.wallet += qty - qty * spot_fee;
        quote.wallet -= qty * price;
    } else {
        base.wallet -= qty;
        quote.wallet += qty * price - fee;
    }
}

//------------------------------------------------------------------------------

double
engine::usd_price(std::string const& coin) const
{
    if (coin == "USDT" || coin == "USDC" || coin == "USD")
        return 1.0;
    if (auto const* i = find_instrument(category::spot, coin + "USDT"))
        return i->last;
    if (auto const* i = find_instrument(category::linear, coin + "USDT"))
        return i->last;
    return 0.0;
}

position_view
engine::view_position(std::string const& user, instrument const& inst) const
{
    static position const empty{};
    if (auto const* acct = find_account(user)) {
        auto it = acct->positions.find(inst.symbol);
        if (it != acct->positions.end())
            return view_of(it->second, inst);
    }
    return view_of(empty, inst);
}

position_view
engine::view_of(position const& pos, instrument const& inst)
{
    position_view v;
    v.inst = &inst;
    v.pos = &pos;
    v.mark = inst.mark;
    double const size = std::fabs(v.pos->size);
    v.value = size * v.pos->avg_price;
    v.upl = v.pos->size * (inst.mark - v.pos->avg_price);
    v.im = size * inst.mark / v.pos->leverage;
    v.mm = size * inst.mark * 0.005;
    if (sign_of(v.pos->size) > 0)
        v.liq = std::max(0.0, v.pos->avg_price * (1 - 1 / v.pos->leverage + 0.005));
    else if (sign_of(v.pos->size) < 0)
        v.liq = v.pos->avg_price * (1 + 1 / v.pos->leverage - 0.005);
    if (sign_of(v.pos->size) != 0)
        v.break_even = v.pos->avg_price * (1 + sign_of(v.pos->size) * 2 * taker_fee);
    return v;
}

wallet_view
engine::view_wallet(std::string const& user) const
{
    wallet_view w;
    auto const* acct = find_account(user);
    if (!acct)
        return w;
    for (auto const& [name, bal] : acct->coins) {
        coin_view c;
        c.coin = name;
        c.wallet = bal.wallet;
        c.cum_realised = bal.cum_realised;
        w.coins.push_back(c);
    }
    auto coin_of = [&](std::string const& name) -> coin_view& {
        for (auto& c : w.coins)
            if (c.coin == name)
                return c;
        w.coins.push_back(coin_view{name});
        return w.coins.back();
    };
    for (auto const& [symbol, pos] : acct->positions) {
        auto const* inst = find_instrument(category::linear, symbol);
        if (!inst || sign_of(pos.size) == 0)
            continue;
        auto v = view_position(user, *inst);
        auto& c = coin_of(inst->quote);
        c.upl += v.upl;
        c.position_im += v.im;
        c.position_mm += v.mm;
    }
    for (auto const& [id, o] : orders_) {
        if (o.user != user || !o.is_open())
            continue;
        auto const* inst = find_instrument(o.cat, o.symbol);
        if (o.cat == category::linear) {
            coin_of(inst->quote).order_im += o.leaves() * o.price / 10;
        } else if (o.side == "Buy") {
            coin_of(inst->quote).locked += o.leaves() * o.price * (1 + spot_fee);
        } else {
            coin_of(inst->base).locked += o.leaves();
        }
    }
    for (auto& c : w.coins) {
        double const px = usd_price(c.coin);
        c.equity = c.wallet + c.upl;
        c.usd_value = c.equity * px;
        w.total_wallet += c.wallet * px;
        w.total_perp_upl += c.upl * px;
        w.total_equity += c.usd_value;
        w.total_im += (c.position_im + c.order_im) * px;
        w.total_mm += c.position_mm * px;
    }
    w.total_margin = w.total_wallet + w.total_perp_upl;
    w.total_available = std::max(0.0, w.total_margin - w.total_im);
    return w;
}

} // namespace tradepush::bybit_sim
