#include "adapter.hpp"

#include "envelope.hpp"
#include "rest_request.hpp"

#include <cstdint>
#include <utility>
#include <vector>

namespace tradepush::bybit {

namespace {

constexpr std::uint32_t account_streams = sdk::stream_bit(sdk::stream::balance)
    | sdk::stream_bit(sdk::stream::positions) | sdk::stream_bit(sdk::stream::pnl)
    | sdk::stream_bit(sdk::stream::orders);

bool
is_account_stream(sdk::stream s) noexcept
{
    return s == sdk::stream::balance || s == sdk::stream::positions || s == sdk::stream::pnl
        || s == sdk::stream::orders;
}

} // namespace

adapter::adapter(sdk::host host, std::string_view config_json)
    : host_(host)
    , cfg_(parse_config(config_json))
    // Without a configured seed, the instance address gives each instance its own jitter; the first
    // next_seed() mixes in the host clock as well (the constructor does not call the host).
    , seeds_(cfg_.jitter_seed.value_or(static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(this))))
    , seeded_(cfg_.jitter_seed.has_value())
{
    for(auto& c : clocks_)
        c.retry = backoff(cfg_.backoff, seeds_.next());
    init_budgets();
}

adapter::~adapter()
{
    // Sessions first: they hand their mark interests back to the ticker streams.
    sessions_by_id_.clear();
    sessions_.clear();
    tickers_by_id_.clear();
    tickers_.clear();
    for(auto& c : clocks_) {
        host_.cancel(c.op);
        host_.cancel(c.retry_timer);
    }
    for(auto* lines : {&rest_lines_, &ws_lines_})
        for(auto& l : *lines)
            host_.cancel(l.timer);
}

std::uint64_t
adapter::next_seed()
{
    if(!seeded_) {
        seeded_ = true;
        seeds_ = splitmix64(seeds_.next() ^ static_cast<std::uint64_t>(host_.now().count()) ^ host_.wall_ms());
    }
    return seeds_.next();
}

//--- routing ---------------------------------------------------------------------------------------

void
adapter::on_timer(sdk::op op, std::uint64_t cookie)
{
    auto const id = cookie / cookie_stride;
    auto const purpose = static_cast<unsigned>(cookie % cookie_stride);
    if(id >= first_rest_line_id && id < first_ws_line_id + ws_lines_.size()) {
        if(purpose == static_cast<unsigned>(budget_op::pump))
            on_pump(op, id);
        return;
    }
    if(id >= 1 && id <= clocks_.size()) {
        auto const n = static_cast<network>(id - 1);
        auto& c = clock_of(n);
        if(purpose == static_cast<unsigned>(clock_op::retry_timer) && op == c.retry_timer) {
            c.retry_timer = 0;
            start_sync(n);
        }
        return;
    }
    if(auto it = sessions_by_id_.find(id); it != sessions_by_id_.end()) {
        it->second->on_timer(op, static_cast<session_op>(purpose));
        return;
    }
    if(auto it = tickers_by_id_.find(id); it != tickers_by_id_.end())
        it->second->on_timer(op, static_cast<ticker_op>(purpose));
    // Anything else belongs to a session or stream that is gone: ignore it.
}

void
adapter::on_http_done(sdk::op op, std::uint64_t cookie, sdk::http_response const& response)
{
    auto const id = cookie / cookie_stride;
    auto const purpose = static_cast<unsigned>(cookie % cookie_stride);
    if(id >= 1 && id <= clocks_.size()) {
        rest_answered(static_cast<network>(id - 1), answer_of_status(response.status));
        if(purpose == static_cast<unsigned>(clock_op::http))
            on_clock_http(static_cast<network>(id - 1), op, response);
        return;
    }
    if(auto it = sessions_by_id_.find(id); it != sessions_by_id_.end())
        it->second->on_http_done(op, static_cast<session_op>(purpose), response);
}

void
adapter::on_ws_event(sdk::op op, std::uint64_t cookie, sdk::ws_event_kind kind, std::string_view data)
{
    auto const id = cookie / cookie_stride;
    if(auto it = sessions_by_id_.find(id); it != sessions_by_id_.end()) {
        it->second->on_ws_event(op, kind, data);
        return;
    }
    if(auto it = tickers_by_id_.find(id); it != tickers_by_id_.end())
        it->second->on_ws_event(op, kind, data);
}

//--- account commands ------------------------------------------------------------------------------

sdk::status
adapter::open_account(sdk::owner const& owner, sdk::account const& account, std::uint32_t stream_mask)
{
    if(owner.is_public() || account.label.empty())
        return sdk::status::invalid;
    if(!account.exchange.empty() && account.exchange != "bybit")
        return sdk::status::invalid;
    if((stream_mask & ~account_streams) != 0)
        return sdk::status::invalid;
    if(stream_mask == 0)
        stream_mask = account_streams;
    auto const net = parse_network(account.network.empty() ? std::string_view("mainnet") : account.network);
    if(!net) {
        host_.emit_status(owner, account.label, sdk::stream::all_account, {}, {}, sdk::stream_state::error,
            "invalid_account", "unknown bybit network '" + std::string(account.network.substr(0, 32))
                + "' (mainnet, testnet, demo)");
        return sdk::status::invalid;
    }
    if(account.api_key.empty() || account.api_secret.empty()) {
        host_.emit_status(owner, account.label, sdk::stream::all_account, {}, {}, sdk::stream_state::error,
            "exchange_auth_failed", "no bybit API key/secret configured for this account");
        return sdk::status::auth;
    }

    session_key key{owner.user, std::string(account.label)};
    if(auto it = sessions_.find(key); it != sessions_.end()) {
        auto& s = *it->second;
        auto const held = s.credentials();
        // Same epoch and credentials: the running session serves the new streams too.
        if(s.owner().epoch == owner.epoch && held.api_key == account.api_key && held.api_secret == account.api_secret
            && s.net() == *net && !s.failed()) {
            s.request(stream_mask);
            rebind_user(owner);
            return sdk::status::ok;
        }
        // Otherwise start over: operations of another epoch are fenced by the host, and new credentials
        // need a new private stream. The new session is asked for the old streams too.
        stream_mask |= s.mask();
        erase_session(it);
    }
    auto const id = next_id_++;
    auto s = std::make_unique<account_session>(*this, id, owner, account, *net);
    auto* raw = s.get();
    sessions_.emplace(std::move(key), std::move(s));
    sessions_by_id_.emplace(id, raw);
    raw->start(stream_mask);
    rebind_user(owner);
    publish_gauges();
    return sdk::status::ok;
}

sdk::status
adapter::rebuild(std::map<session_key, std::unique_ptr<account_session>>::iterator it, sdk::owner const& owner,
    std::uint32_t extra_mask)
{
    // Copies: the views die with the old session.
    auto const held = it->second->credentials();
    std::string label(held.label), key(held.api_key), secret(held.api_secret), net_name(held.network);
    auto const mask = it->second->mask() | extra_mask;
    erase_session(it);
    return open_account(owner, sdk::account{label, "bybit", net_name, key, secret}, mask);
}

void
adapter::rebind_user(sdk::owner const& owner)
{
    // Epochs are per user: once the host moved the user to `owner.epoch`, operations of the user's other
    // sessions (other accounts) still carry the old epoch and would be fenced silently. Rebuild them.
    std::vector<std::string> labels;
    for(auto const& [key, s] : sessions_)
        if(key.first == owner.user && s->owner().epoch != owner.epoch)
            labels.push_back(key.second);
    for(auto const& label : labels) {
        // Re-check: rebuilding one session re-enters here through open_account.
        auto it = sessions_.find(session_key{owner.user, label});
        if(it != sessions_.end() && it->second->owner().epoch != owner.epoch)
            rebuild(it, owner, 0);
    }
}

sdk::status
adapter::request_snapshot(sdk::owner const& owner, std::string_view account, sdk::stream stream)
{
    if(!is_account_stream(stream))
        return sdk::status::invalid;
    auto it = sessions_.find(session_key{owner.user, std::string(account)});
    if(it == sessions_.end())
        return sdk::status::not_found;
    auto const bit = sdk::stream_bit(stream);
    if(it->second->owner().epoch != owner.epoch) {
        // The host moved the user to a new epoch: rebuild the session under it with the kept credentials.
        auto const st = rebuild(it, owner, bit);
        rebind_user(owner);
        return st;
    }
    it->second->request(bit);
    return sdk::status::ok;
}

sdk::status
adapter::close_account(sdk::owner const& owner, std::string_view account)
{
    auto it = sessions_.find(session_key{owner.user, std::string(account)});
    if(it == sessions_.end())
        return sdk::status::not_found;
    erase_session(it);
    publish_gauges();
    return sdk::status::ok;
}

sdk::status
adapter::reset_user(sdk::owner const& old_owner)
{
    // Every session of the user goes, whatever its epoch: the host has fenced them all. They are one
    // range of the map (a reset comes with every new user session: no scan of all users).
    for(auto it = sessions_.lower_bound(session_key{std::string(old_owner.user), std::string()});
        it != sessions_.end() && it->first.first == old_owner.user;) {
        auto const next = std::next(it);
        erase_session(it);
        it = next;
    }
    publish_gauges();
    return sdk::status::ok;
}

void
adapter::erase_session(std::map<session_key, std::unique_ptr<account_session>>::iterator it)
{
    sessions_by_id_.erase(it->second->id());
    // Destruction stops the session: cancels its operations and releases its mark interests.
    sessions_.erase(it);
}

//--- tickers ---------------------------------------------------------------------------------------

std::string const&
adapter::client_url(std::string_view category) const
{
    auto const& urls = cfg_.urls_of(cfg_.ticker_network);
    return category == "spot" ? urls.ws_public_spot : urls.ws_public_linear;
}

ticker_stream&
adapter::ticker_for(std::string const& url, std::string const& category, std::string const& symbol, bool& created)
{
    ticker_key key{url, symbol};
    auto it = tickers_.find(key);
    created = it == tickers_.end();
    if(created) {
        auto const id = next_id_++;
        auto t = std::make_unique<ticker_stream>(*this, id, url, category, symbol);
        tickers_by_id_.emplace(id, t.get());
        it = tickers_.emplace(std::move(key), std::move(t)).first;
    }
    return *it->second;
}

void
adapter::erase_ticker_if_unused(std::string const& url, std::string const& symbol)
{
    auto it = tickers_.find(ticker_key{url, symbol});
    if(it == tickers_.end() || !it->second->unused())
        return;
    for(auto id = tickers_by_id_.begin(); id != tickers_by_id_.end(); ++id) {
        if(id->second == it->second.get()) {
            tickers_by_id_.erase(id);
            break;
        }
    }
    tickers_.erase(it);
    if(auto m = marks_.find(url); m != marks_.end()) {
        m->second.erase(symbol);
        if(m->second.empty())
            marks_.erase(m);
    }
}

sdk::status
adapter::subscribe_ticker(std::string_view category, std::string_view symbol)
{
    bool allowed = false;
    for(auto const& c : cfg_.ticker_categories)
        allowed |= c == category;
    if(!allowed || !is_valid_symbol(symbol))
        return sdk::status::invalid;
    bool created = false;
    auto& t = ticker_for(client_url(category), std::string(category), std::string(symbol), created);
    t.add_client();
    if(created)
        t.start();
    else
        t.replay();
    publish_gauges();
    return sdk::status::ok;
}

sdk::status
adapter::unsubscribe_ticker(std::string_view category, std::string_view symbol)
{
    auto const& url = client_url(category);
    auto it = tickers_.find(ticker_key{url, std::string(symbol)});
    if(it == tickers_.end() || it->second->clients() == 0)
        return sdk::status::not_found;
    it->second->remove_client();
    erase_ticker_if_unused(url, std::string(symbol));
    publish_gauges();
    return sdk::status::ok;
}

void
adapter::mark_interest(network n, std::string const& symbol, bool add)
{
    auto const& url = cfg_.urls_of(n).ws_public_linear;
    if(add) {
        bool created = false;
        auto& t = ticker_for(url, "linear", symbol, created);
        t.add_mark_user();
        if(created)
            t.start();
        return;
    }
    auto it = tickers_.find(ticker_key{url, symbol});
    if(it == tickers_.end())
        return;
    it->second->remove_mark_user();
    erase_ticker_if_unused(url, symbol);
}

mark_map const&
adapter::marks(network n) const
{
    auto it = marks_.find(cfg_.urls_of(n).ws_public_linear);
    return it == marks_.end() ? no_marks_ : it->second;
}

void
adapter::on_mark(std::string_view url, std::string_view symbol, std::optional<double> mark)
{
    if(mark) {
        auto it = marks_.find(url);
        if(it == marks_.end())
            it = marks_.emplace(std::string(url), mark_map{}).first;
        it->second.insert_or_assign(std::string(symbol), *mark);
    } else if(auto it = marks_.find(url); it != marks_.end()) {
        it->second.erase(std::string(symbol));
    }
    for(auto const& [key, s] : sessions_)
        if(cfg_.urls_of(s->net()).ws_public_linear == url)
            s->on_mark(symbol);
}

//--- server clock ----------------------------------------------------------------------------------

bool
adapter::clock_ready(network n) const
{
    return clocks_[static_cast<std::size_t>(n)].estimate.has_estimate();
}

std::uint64_t
adapter::server_now_ms(network n)
{
    auto& c = clock_of(n);
    // A periodic re-sync in the background keeps the offset honest as clocks drift.
    if(cfg_.time_sync_interval.count() > 0 && c.op == 0 && c.retry_timer == 0 && c.estimate.has_estimate()
        && host_.now() - c.last_sync >= cfg_.time_sync_interval)
        start_sync(n);
    return c.estimate.server_now(host_.wall_ms());
}

std::uint64_t
adapter::clock_generation(network n) const
{
    return clocks_[static_cast<std::size_t>(n)].generation;
}

void
adapter::resync_clock(network n, bool force)
{
    auto& c = clock_of(n);
    if(force)
        c.estimate.clear();
    if(c.op != 0)
        return; // in flight: its answer wakes everybody up
    if(c.retry_timer != 0) {
        if(!force)
            return;
        host_.cancel(c.retry_timer);
        c.retry_timer = 0;
    }
    start_sync(n);
}

void
adapter::start_sync(network n)
{
    auto& c = clock_of(n);
    if(c.op != 0)
        return;
    sdk::http_request req;
    req.method = "GET";
    req.url = market_time_call().url(cfg_.urls_of(n).rest);
    req.timeout = cfg_.request_timeout;
    // The clock does not wait in the line (every signed call waits for it), but it spends the budget.
    budget_of(n).count(host_.now());
    // Public owner: the clock is shared by every user of the environment, and no reset may cancel it.
    c.op = host_.http(sdk::owner{}, req, make_cookie(static_cast<std::uint64_t>(n) + 1,
                                               static_cast<unsigned>(clock_op::http)));
    if(c.op == 0)
        c.retry_timer = host_.start_timer(sdk::owner{}, c.retry.next(),
            make_cookie(static_cast<std::uint64_t>(n) + 1, static_cast<unsigned>(clock_op::retry_timer)));
}

void
adapter::on_clock_http(network n, sdk::op op, sdk::http_response const& response)
{
    auto& c = clock_of(n);
    if(op != c.op)
        return;
    c.op = 0;
    auto outcome = classify_response(response.status, response.error, response.body);
    std::optional<double> server;
    if(outcome.ok)
        server = parse_server_time(*outcome.ok);
    if(!server) {
        failure f = outcome.error ? *outcome.error
                                  : failure{failure_kind::bad_response, "exchange_bad_response",
                                        "bybit /v5/market/time answer without a time", 0, response.status};
        host_.log(sdk::log_level::warn, "bybit " + std::string(to_string(n)) + " time sync failed: " + f.message);
        c.retry_timer = host_.start_timer(sdk::owner{}, c.retry.next(),
            make_cookie(static_cast<std::uint64_t>(n) + 1, static_cast<unsigned>(clock_op::retry_timer)));
        // Sessions that wait for the clock say why (the list is copied: a callback may not erase, but
        // be safe against future changes).
        std::vector<account_session*> waiting;
        for(auto const& [key, s] : sessions_)
            if(s->net() == n)
                waiting.push_back(s.get());
        for(auto* s : waiting)
            s->on_clock_failed(f);
        return;
    }
    // RTT midpoint: the request left `elapsed` before now.
    auto const received = static_cast<double>(host_.wall_ms());
    auto const elapsed_ms = static_cast<double>(response.elapsed.count()) / 1e6;
    c.estimate.add_sample(received - elapsed_ms, received, *server);
    c.last_sync = host_.now();
    ++c.generation;
    c.retry.reset();
    host_.metric("bybit_clock_offset_ms", sdk::metric_kind::gauge, static_cast<double>(c.estimate.offset_ms()));
    std::vector<account_session*> waiting;
    for(auto const& [key, s] : sessions_)
        if(s->net() == n)
            waiting.push_back(s.get());
    for(auto* s : waiting)
        s->on_clock_ready();
}

void
adapter::publish_gauges()
{
    host_.metric("bybit_sessions", sdk::metric_kind::gauge, static_cast<double>(sessions_.size()));
    host_.metric("bybit_ticker_streams", sdk::metric_kind::gauge, static_cast<double>(tickers_.size()));
}

//--- test access -----------------------------------------------------------------------------------

account_session*
adapter::find_session(std::string_view user, std::string_view label) const
{
    auto it = sessions_.find(session_key{std::string(user), std::string(label)});
    return it == sessions_.end() ? nullptr : it->second.get();
}

ticker_stream*
adapter::find_ticker(std::string_view category, std::string_view symbol) const
{
    auto it = tickers_.find(ticker_key{client_url(category), std::string(symbol)});
    return it == tickers_.end() ? nullptr : it->second.get();
}

} // namespace tradepush::bybit
