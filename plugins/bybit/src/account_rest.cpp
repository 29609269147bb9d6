// The REST half of an account session: snapshots and reconciliation of wallet, positions and open
// orders, paginated, signed, each page waiting for its turn in the host's shared budget (the adapter's
// rest_budget), and what a failure means for the streams they feed. The WebSocket half and the emits
// are in account_session.cpp.
#include "account_session.hpp"

#include "normalize.hpp"
#include "rest_request.hpp"
#include "signing.hpp"

#include <string>

namespace tradepush::bybit {

namespace {

// Bounds a runaway pagination (a server repeating cursors): 50 pages of 200 rows is far beyond any account.
constexpr std::size_t max_pages = 50;

// 10002 answers in a row before giving up on re-syncing and backing off instead.
constexpr unsigned max_clock_failures = 2;

} // namespace

//--- REST ------------------------------------------------------------------------------------------

void
account_session::refresh(std::uint32_t mask, rest_priority p)
{
    if(mask & streams_of(resource::wallet))
        start_fetch(resource::wallet, p);
    if(mask & streams_of(resource::positions))
        start_fetch(resource::positions, p);
    if(mask & streams_of(resource::orders))
        start_fetch(resource::orders, p);
}

void
account_session::start_fetch(resource r, rest_priority p)
{
    if(failed_ || stopped_)
        return;
    auto& f = fetch_of(r);
    bool const more_urgent = static_cast<unsigned>(p) < static_cast<unsigned>(f.prio);
    // The fetch again goes at the priority it was asked with: a reconciliation asked while a client's
    // snapshot was in flight must not compete with other clients' first snapshots.
    auto again_at = [&] {
        if(!f.again || static_cast<unsigned>(p) < static_cast<unsigned>(f.again_prio))
            f.again_prio = p;
        f.again = true;
    };
    if(f.op != 0) {
        // A fetch is in flight and may predate the change that asked for this one: fetch again after it.
        // Its remaining pages go at the more urgent priority (their result serves the asker too).
        again_at();
        if(more_urgent)
            f.prio = p;
        return;
    }
    if(f.queued) {
        // Waiting for the host's budget. Not begun yet: that call will answer this request too (it
        // leaves later than this request was made). Part of a list is already in: fetch again after.
        if(f.pages != 0 || f.coin != 0)
            again_at();
        if(more_urgent) {
            f.prio = p;
            svc_.rest_turn(net_, p, id_, static_cast<unsigned>(r)); // moves it up the line
        }
        return;
    }
    if(f.retry_timer != 0)
        return; // a retry is already scheduled (rate limit or backoff): do not hammer
    if(!svc_.clock_ready(net_)) {
        f.waiting_clock = true;
        svc_.resync_clock(net_, false);
        return;
    }
    f.waiting_clock = false;
    f.again = false;
    f.prio = p;
    f.resume = false;
    f.coin = 0;
    f.pages = 0;
    f.cursor.clear();
    f.positions.clear();
    f.orders.clear();
    send_page(r);
}

// Every page waits for the host's REST budget, shared with every other account of the plugin.
void
account_session::send_page(resource r)
{
    auto& f = fetch_of(r);
    if(svc_.rest_turn(net_, f.prio, id_, static_cast<unsigned>(r)))
        return transmit(r);
    f.queued = true;
    // Say why a client that has nothing yet still waits: never silence, and never "rate_limited"
    // for a limit we keep ourselves.
    bool const has_data = r == resource::wallet ? state_.has_balance
        : r == resource::positions              ? state_.has_positions
                                                : state_.has_orders;
    if(!has_data && !f.ip_paused)
        set_status(streams_of(r), sdk::stream_state::stale, "upstream_queued",
            "waiting for the exchange's request budget (shared by every user of this server)");
}

bool
account_session::on_rest_turn(resource r)
{
    auto& f = fetch_of(r);
    if(!f.queued || stopped_ || failed_)
        return false;
    f.queued = false;
    transmit(r);
    return true;
}

// The call has its place in the budget: send it, or give the place back (as a call that got no
// answer) on every path that sends nothing, so the budget never leaks a place.
void
account_session::transmit(resource r)
{
    auto& f = fetch_of(r);
    if(!svc_.clock_ready(net_)) {
        // A forced re-sync dropped the estimate between two pages (or before a paused list resumed):
        // a timestamp from local time would only collect another 10002. The list starts over once
        // the clock is back.
        svc_.rest_answered(net_, rest_answer::none);
        f.resume = false;
        f.waiting_clock = true;
        svc_.resync_clock(net_, false);
        return;
    }
    auto const& cfg = svc_.cfg();
    rest_call call;
    session_op purpose = session_op::http_wallet;
    switch(r) {
    case resource::wallet:
        call = wallet_balance_call();
        break;
    case resource::positions:
        call = position_list_call(cfg.settle_coins[f.coin], f.cursor);
        purpose = session_op::http_positions;
        break;
    case resource::orders:
        call = open_orders_call(cfg.settle_coins[f.coin], f.cursor);
        purpose = session_op::http_orders;
        break;
    }

    // Sign the query exactly as it goes on the wire, with a fresh timestamp (never replay a signature).
    auto const ts = svc_.server_now_ms(net_);
    f.clock_generation = svc_.clock_generation(net_);
    auto const recv = static_cast<std::uint64_t>(cfg.recv_window.count());
    digest d{};
    if(svc_.host().hmac_sha256(api_secret_, rest_sign_payload(ts, api_key_, recv, call.query), d) != sdk::status::ok) {
        svc_.rest_answered(net_, rest_answer::none);
        on_rest_failure(r, failure{failure_kind::transient, "plugin_error", "host HMAC service failed", 0, 0}, {});
        return;
    }
    sdk::http_request req;
    req.method = "GET";
    req.url = call.url(cfg.urls_of(net_).rest);
    req.headers = rest_auth_headers(api_key_, ts, recv, to_hex(d));
    req.timeout = cfg.request_timeout;
    f.op = svc_.host().http(owner_, req, cookie(purpose));
    if(f.op == 0) {
        svc_.rest_answered(net_, rest_answer::none);
        on_rest_failure(r,
            failure{failure_kind::transient, "exchange_unavailable", "host refused the HTTP request", 0, 0}, {});
    }
}

void
account_session::on_rest(resource r, sdk::http_response const& response)
{
    auto& f = fetch_of(r);
    f.op = 0;
    auto const rl = parse_rate_limit(response.headers);
    if(rl.remaining)
        svc_.host().metric("bybit_rate_limit_remaining", sdk::metric_kind::gauge, static_cast<double>(*rl.remaining));
    auto outcome = classify_response(response.status, response.error, response.body);
    if(outcome.error) {
        on_rest_failure(r, *outcome.error, rl);
        return;
    }
    auto const& result = outcome.ok->result;
    auto const& coins = svc_.cfg().settle_coins;

    switch(r) {
    case resource::wallet: {
        auto w = parse_wallet_result(result);
        if(!w) {
            on_rest_failure(r, failure{failure_kind::bad_response, "exchange_bad_response",
                                   "wallet-balance answer without a wallet", 0, response.status}, rl);
            return;
        }
        state_.balance = std::move(*w);
        state_.has_balance = true;
        emit_balance(false);
        break;
    }
    case resource::positions:
    case resource::orders: {
        auto pg = parse_page(result);
        for(auto const& row : pg.rows) {
            if(r == resource::positions) {
                auto p = parse_position(row);
                if(is_open_position(p))
                    f.positions.insert_or_assign(position_key{p.symbol, p.position_idx}, std::move(p));
            } else {
                auto o = parse_order(row);
                if(is_open_status(o.order_status) && !o.order_id.empty())
                    f.orders.insert_or_assign(o.order_id, std::move(o));
            }
        }
        // Next page, then next settle coin; the cursor goes back exactly as Bybit sent it.
        bool more = false;
        if(!pg.next_cursor.empty() && pg.next_cursor != f.cursor && ++f.pages < max_pages) {
            f.cursor = std::move(pg.next_cursor);
            more = true;
        } else if(++f.coin < coins.size()) {
            f.cursor.clear();
            f.pages = 0;
            more = true;
        }
        if(more) {
            // Rate-limit aware: with the endpoint's budget spent, wait for its window to reset rather
            // than collect a 10006.
            if(rl.remaining && *rl.remaining <= 0) {
                f.resume = true;
                schedule_retry(r, rate_limit_wait(rl, static_cast<std::int64_t>(svc_.server_now_ms(net_)),
                                      std::chrono::milliseconds{0}, svc_.cfg().backoff.max));
                return;
            }
            send_page(r);
            return;
        }
        if(r == resource::positions) {
            state_.positions = std::move(f.positions);
            state_.has_positions = true;
            update_mark_interest();
            emit_positions(false);
            emit_pnl(false);
        } else {
            state_.orders = std::move(f.orders);
            state_.has_orders = true;
            emit_orders(false);
        }
        f.positions.clear();
        f.orders.clear();
        break;
    }
    }

    f.retry.reset();
    f.clock_failures = 0;
    f.ip_paused = false;
    // Fresh data is live, even while the private stream reconnects (the hub treats data as "live"
    // anyway; saying "stale" after it would only make the status flap).
    set_status(streams_of(r), sdk::stream_state::live, "ok", "");
    if(f.again)
        start_fetch(r, f.again_prio);
}

void
account_session::on_rest_failure(resource r, failure const& fl, rate_limit_info const& rl)
{
    auto& f = fetch_of(r);
    f.op = 0;
    f.resume = false; // a failed list is fetched again from its first page
    if(fl.kind == failure_kind::ip_ban) {
        // The whole host pauses (the adapter logs and counts that once): this account waits in the
        // line like every other and goes again when the pause lifts.
        set_status(streams_of(r), sdk::stream_state::stale, fl.code,
            "bybit refused this server's address (IP limit); every account waits until it lifts");
        f.ip_paused = true;
        start_fetch(r, f.prio);
        return;
    }
    constexpr char const* names[] = {"wallet-balance", "position/list", "order/realtime"};
    log(sdk::log_level::warn,
        std::string(names[static_cast<unsigned>(r)]) + " failed: " + fl.code + ": " + fl.message);
    svc_.host().metric("bybit_rest_errors", sdk::metric_kind::counter, 1);
    switch(fl.kind) {
    case failure_kind::auth:
    case failure_kind::permission:
    case failure_kind::restricted:
        fail(fl);
        return;
    case failure_kind::invalid:
        // Our request is wrong (e.g. a settle coin Bybit does not know): retrying cannot help.
        set_status(streams_of(r), sdk::stream_state::error, fl.code, fl.message);
        return;
    case failure_kind::clock:
        if(f.clock_generation != svc_.clock_generation(net_) && svc_.clock_ready(net_)) {
            // Signed before the latest sync: this answer refutes an estimate that is already gone.
            // Forcing another re-sync would throw the fresh one away (and leave every signer of the
            // environment without a clock meanwhile); signing again is enough.
            start_fetch(r, f.prio);
            return;
        }
        if(++f.clock_failures <= max_clock_failures) {
            f.waiting_clock = true;
            svc_.resync_clock(net_, true);
            return;
        }
        set_status(streams_of(r), sdk::stream_state::stale, fl.code, fl.message);
        schedule_retry(r, f.retry.next());
        return;
    case failure_kind::rate_limit:
        set_status(streams_of(r), sdk::stream_state::stale, fl.code, fl.message);
        schedule_retry(r, rate_limit_wait(rl, static_cast<std::int64_t>(svc_.server_now_ms(net_)),
                              svc_.cfg().rate_limit_backoff, svc_.cfg().backoff.max));
        return;
    case failure_kind::ip_ban:
        return; // handled above
    case failure_kind::transient:
    case failure_kind::bad_response:
        set_status(streams_of(r), sdk::stream_state::stale, fl.code, fl.message);
        schedule_retry(r, f.retry.next());
        return;
    }
}

void
account_session::schedule_retry(resource r, std::chrono::milliseconds delay)
{
    auto& f = fetch_of(r);
    if(f.retry_timer != 0 || stopped_)
        return;
    auto const purpose =
        static_cast<session_op>(static_cast<unsigned>(session_op::retry_wallet) + static_cast<unsigned>(r));
    f.retry_timer = svc_.host().start_timer(owner_, delay, cookie(purpose));
}

} // namespace tradepush::bybit
