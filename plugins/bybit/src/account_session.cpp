#include "account_session.hpp"

#include "normalize.hpp"
#include "pnl.hpp"
#include "rest_request.hpp"
#include "signing.hpp"

#include <boost/json/parse.hpp>

#include <utility>

namespace tradepush::bybit {

namespace json = boost::json;

namespace {

constexpr std::uint32_t all_streams = sdk::stream_bit(sdk::stream::balance) | sdk::stream_bit(sdk::stream::positions)
    | sdk::stream_bit(sdk::stream::pnl) | sdk::stream_bit(sdk::stream::orders);

// Consecutive auth refusals on the private stream before the key is declared bad (the first one may be
// an `expires` that went stale in flight; it gets a clock re-sync and one more try).
constexpr unsigned max_auth_failures = 2;

std::string_view
string_member(json::object const& o, std::string_view key)
{
    auto const* v = o.if_contains(key);
    return (v && v->is_string()) ? std::string_view(v->as_string()) : std::string_view{};
}

} // namespace

std::uint32_t
streams_of(resource r) noexcept
{
    switch(r) {
    case resource::wallet: return sdk::stream_bit(sdk::stream::balance);
    case resource::positions: return sdk::stream_bit(sdk::stream::positions) | sdk::stream_bit(sdk::stream::pnl);
    case resource::orders: return sdk::stream_bit(sdk::stream::orders);
    }
    return 0;
}

account_session::account_session(account_services& svc, std::uint64_t id, sdk::owner owner,
    sdk::account const& account, network net)
    : svc_(svc)
    , id_(id)
    , owner_(std::move(owner))
    , label_(account.label)
    , api_key_(account.api_key)
    , api_secret_(account.api_secret)
    , net_(net)
    , ws_backoff_(svc.cfg().backoff, svc.next_seed())
{
    for(auto& f : fetches_)
        f.retry = backoff(svc.cfg().backoff, svc.next_seed());
}

account_session::~account_session()
{
    stop();
}

void
account_session::log(sdk::log_level level, std::string_view message) const
{
    // User and label identify the session; the key and secret never appear in a log line.
    std::string line = "account ";
    line += owner_.user;
    line += '/';
    line += label_;
    line += ": ";
    line += message;
    svc_.host().log(level, line);
}

void
account_session::start(std::uint32_t mask)
{
    mask_ |= mask & all_streams;
    refresh(mask_, rest_priority::snapshot);
    connect_ws();
    arm_reconcile();
}

void
account_session::request(std::uint32_t mask)
{
    mask &= all_streams;
    mask_ |= mask;
    if(failed_) {
        // Say again why nothing flows: a new subscriber must not meet silence.
        for(int s = 0; s < 4; ++s) {
            auto const bit = sdk::stream_bit(static_cast<sdk::stream>(s));
            auto& st = status_[static_cast<std::size_t>(s)];
            if(!(mask & bit))
                continue;
            if(st.state < 0) {
                // A stream first asked for after the failure gets the failure's reason.
                st.state = static_cast<int>(sdk::stream_state::error);
                st.code = fatal_.code;
                st.message = fatal_.message;
            }
            svc_.host().emit_status(owner_, label_, static_cast<sdk::stream>(s), {}, {},
                static_cast<sdk::stream_state>(st.state), st.code, st.message);
        }
        return;
    }
    // The cached state at once (the hub wants a snapshot within a second), then a fresh one.
    if((mask & sdk::stream_bit(sdk::stream::balance)) && state_.has_balance)
        emit_balance(true);
    if((mask & sdk::stream_bit(sdk::stream::positions)) && state_.has_positions)
        emit_positions(true);
    if((mask & sdk::stream_bit(sdk::stream::pnl)) && state_.has_positions)
        emit_pnl(true);
    if((mask & sdk::stream_bit(sdk::stream::orders)) && state_.has_orders)
        emit_orders(true);
    refresh(mask, rest_priority::snapshot);
}

void
account_session::stop()
{
    if(stopped_)
        return;
    stopped_ = true;
    svc_.forget_turns(net_, id_);
    end_ws_attempt();
    for(auto& f : fetches_)
        f.queued = false;
    auto const& h = svc_.host();
    for(auto& f : fetches_) {
        // A call cancelled in flight may still have reached Bybit: it holds its place in the host's
        // budget for a window from now, as if answered now.
        if(f.op != 0)
            svc_.rest_answered(net_, rest_answer::none);
        h.cancel(f.op);
        h.cancel(f.retry_timer);
        f.op = f.retry_timer = 0;
    }
    h.cancel(ws_op_);
    h.cancel(ping_timer_);
    h.cancel(reconnect_timer_);
    h.cancel(reconcile_timer_);
    h.cancel(poll_timer_);
    ws_op_ = ping_timer_ = reconnect_timer_ = reconcile_timer_ = poll_timer_ = 0;
    ws_state_ = ws_state::stopped;
    for(auto const& s : mark_symbols_)
        svc_.mark_interest(net_, s, false);
    mark_symbols_.clear();
}

//--- private WebSocket -----------------------------------------------------------------------------

void
account_session::connect_ws()
{
    if(failed_ || stopped_ || ws_op_ != 0)
        return;
    if(!svc_.clock_ready(net_)) {
        // The auth frame's `expires` must be in the server's future: wait for the clock.
        ws_state_ = ws_state::waiting_clock;
        svc_.resync_clock(net_, false);
        return;
    }
    if(ws_state_ == ws_state::waiting_turn)
        return;
    // Bybit allows 500 new connections per 5 min per domain, for every account of this address:
    // wait for a place, and keep the data current by REST meanwhile.
    if(!svc_.ws_turn(net_, id_)) {
        ws_state_ = ws_state::waiting_turn;
        arm_wait_poll();
        return;
    }
    open_ws();
}

bool
account_session::on_ws_turn()
{
    if(stopped_ || failed_ || ws_state_ != ws_state::waiting_turn || ws_op_ != 0)
        return false;
    svc_.host().cancel(poll_timer_);
    poll_timer_ = 0;
    open_ws();
    return true;
}

void
account_session::open_ws()
{
    sdk::ws_request req;
    req.url = svc_.cfg().urls_of(net_).ws_private;
    req.timeout = svc_.cfg().request_timeout;
    ws_attempt_ = true;
    ws_op_ = svc_.host().ws_open(owner_, req, cookie(session_op::ws));
    if(ws_op_ == 0) {
        end_ws_attempt();
        on_ws_lost("host refused to open the private stream");
        return;
    }
    ws_state_ = ws_state::connecting;
}

void
account_session::end_ws_attempt()
{
    if(!ws_attempt_)
        return;
    ws_attempt_ = false;
    svc_.ws_attempt_done(net_);
}

void
account_session::arm_wait_poll()
{
    if(poll_timer_ != 0 || stopped_ || failed_)
        return;
    poll_timer_ = svc_.host().start_timer(owner_, svc_.cfg().ws_wait_poll, cookie(session_op::poll_timer));
}

void
account_session::on_ws_lost(std::string const& reason)
{
    svc_.host().cancel(ping_timer_);
    ping_timer_ = 0;
    awaiting_pong_ = false;
    auth_waits_clock_ = false;
    if(failed_ || stopped_)
        return;
    ws_state_ = ws_state::reconnect_wait;
    log(sdk::log_level::info, "private stream lost (" + reason + "), reconnecting");
    svc_.host().metric("bybit_private_ws_reconnects", sdk::metric_kind::counter, 1);
    // Only streams that looked healthy: a stream already stale or failing keeps its first reason
    // instead of flapping between codes on every failed reconnect attempt.
    std::uint32_t healthy = 0;
    for(int s = 0; s < 4; ++s)
        if(status_[static_cast<std::size_t>(s)].state <= static_cast<int>(sdk::stream_state::live))
            healthy |= sdk::stream_bit(static_cast<sdk::stream>(s));
    set_status(mask_ & healthy, sdk::stream_state::stale, "upstream_reconnecting", "bybit private stream lost: " + reason);
    if(reconnect_timer_ == 0)
        reconnect_timer_ = svc_.host().start_timer(owner_, ws_backoff_.next(), cookie(session_op::reconnect_timer));
}

void
account_session::drop_ws(std::string const& reason)
{
    end_ws_attempt();
    svc_.host().cancel(ws_op_);
    ws_op_ = 0;
    on_ws_lost(reason);
}

void
account_session::on_ws_event(sdk::op op, sdk::ws_event_kind kind, std::string_view data)
{
    if(op != ws_op_ || stopped_)
        return;
    if(kind == sdk::ws_event_kind::open || kind == sdk::ws_event_kind::closed)
        end_ws_attempt();
    switch(kind) {
    case sdk::ws_event_kind::open:
        ws_state_ = ws_state::authenticating;
        // A server that never answers the handshake (or a clock that never comes back) must not
        // leave the session hanging.
        arm_ping(svc_.cfg().request_timeout);
        if(!svc_.clock_ready(net_)) {
            // A forced re-sync is in flight (a 10002 elsewhere dropped the estimate while the socket
            // opened): an `expires` from local time would be refused as "Params Error" by a skewed
            // server and count against the key. Authenticate once the clock is back.
            auth_waits_clock_ = true;
            svc_.resync_clock(net_, false);
            return;
        }
        send_auth();
        return;
    case sdk::ws_event_kind::text:
        on_ws_text(data);
        return;
    case sdk::ws_event_kind::binary:
        return; // Bybit sends text only
    case sdk::ws_event_kind::closed:
        ws_op_ = 0;
        on_ws_lost(data.empty() ? std::string("closed") : std::string(data.substr(0, 200)));
        return;
    }
}

void
account_session::send_auth()
{
    auth_waits_clock_ = false;
    // A fresh `expires` on every (re)connect: a replayed auth frame would be refused.
    auto const expires = svc_.server_now_ms(net_) + static_cast<std::uint64_t>(svc_.cfg().auth_expiry.count());
    digest d{};
    if(svc_.host().hmac_sha256(api_secret_, ws_sign_payload(expires), d) != sdk::status::ok) {
        drop_ws("host HMAC service failed");
        return;
    }
    if(svc_.host().ws_send(ws_op_, ws_auth_message(api_key_, expires, to_hex(d))) != sdk::status::ok) {
        drop_ws("send failed");
        return;
    }
    auth_clock_generation_ = svc_.clock_generation(net_);
}

void
account_session::on_ws_text(std::string_view text)
{
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    if(ec || !v.is_object()) {
        log(sdk::log_level::warn, "private stream: unparsable message ignored");
        return;
    }
    auto const& o = v.as_object();
    auto const op = string_member(o, "op");
    auto const ret_msg = string_member(o, "ret_msg");
    bool const success = [&] {
        if(auto const* s = o.if_contains("success"); s && s->is_bool())
            return s->as_bool();
        // WS-Trade dialect ({"retCode":0}) accepted too, as robust clients do (spec §5.3).
        if(auto const* rc = o.if_contains("retCode"); rc && rc->is_number()) {
            boost::system::error_code ec;
            auto const code = rc->to_number<long long>(ec);
            return !ec && code == 0;
        }
        return false;
    }();

    if(op == "auth") {
        if(success) {
            auth_failures_ = 0;
            std::string sub = R"({"op":"subscribe","req_id":")" + std::to_string(++req_counter_)
                + R"(","args":["wallet","position","order","execution"]})";
            if(svc_.host().ws_send(ws_op_, sub) != sdk::status::ok) {
                drop_ws("send failed");
                return;
            }
            ws_state_ = ws_state::subscribing;
            return;
        }
        if(auth_clock_generation_ != svc_.clock_generation(net_) && svc_.clock_ready(net_)) {
            // The `expires` was computed before the latest sync: the refusal says nothing about the
            // key, and the clock is already fresh. Reconnect without another forced re-sync.
            drop_ws("auth refused under an outdated clock: " + safe_message(ret_msg));
            return;
        }
        if(++auth_failures_ >= max_auth_failures) {
            fail(failure{failure_kind::auth, "exchange_auth_failed",
                "bybit private stream refused the API key: " + safe_message(ret_msg), 0, 0});
            return;
        }
        // "Params Error" is what an already-expired `expires` gets: re-sync the clock and retry.
        svc_.resync_clock(net_, true);
        drop_ws("auth refused: " + safe_message(ret_msg));
        return;
    }
    if(op == "subscribe") {
        if(!success) {
            drop_ws("subscribe refused: " + safe_message(ret_msg));
            return;
        }
        ws_state_ = ws_state::live;
        ws_backoff_.reset();
        svc_.host().cancel(reconnect_timer_);
        reconnect_timer_ = 0;
        arm_ping(svc_.cfg().ping_interval);
        // Changes between the last snapshot and now were missed: snapshot again (after every reconnect,
        // and after the first connect, whose REST snapshot may predate the subscription). A snapshot
        // still waiting for its turn is sent after this point anyway and serves as both.
        refresh(mask_, rest_priority::reconnect);
        return;
    }
    if(op == "pong" || ret_msg == "pong") {
        if(awaiting_pong_) {
            awaiting_pong_ = false;
            arm_ping(svc_.cfg().ping_interval);
        }
        return;
    }
    if(auto const topic = string_member(o, "topic"); !topic.empty()) {
        if(auto const* data = o.if_contains("data"))
            apply_topic(topic, *data);
    }
}

void
account_session::apply_topic(std::string_view topic, json::value const& data)
{
    if(!data.is_array())
        return;
    // Categorised topics ("position.linear") carry the same rows.
    auto const base = topic.substr(0, topic.find('.'));
    auto const& rows = data.as_array();
    if(base == "wallet") {
        for(auto const& row : rows) {
            if(!row.is_object())
                continue;
            auto w = parse_wallet(row.as_object());
            if(w.account_type != "UNIFIED" && !w.account_type.empty())
                continue;
            state_.balance = std::move(w);
            state_.has_balance = true;
        }
        emit_balance(false);
    } else if(base == "position") {
        bool changed = false;
        for(auto const& row : rows) {
            if(!row.is_object())
                continue;
            auto p = parse_position(row.as_object());
            // Only what the REST snapshot covers (linear, configured settle coins), or reconciliation
            // would make rows flap.
            if(p.category != "linear" || !settles_in(p.symbol, svc_.cfg().settle_coins))
                continue;
            changed |= apply_position(state_.positions, std::move(p));
        }
        if(changed) {
            state_.has_positions = true;
            update_mark_interest();
            emit_positions(false);
            emit_pnl(false);
        }
    } else if(base == "order") {
        bool changed = false;
        for(auto const& row : rows) {
            if(!row.is_object())
                continue;
            auto o = parse_order(row.as_object());
            if(o.category != "linear" || !settles_in(o.symbol, svc_.cfg().settle_coins))
                continue;
            changed |= apply_order(state_.orders, std::move(o));
        }
        if(changed) {
            state_.has_orders = true;
            emit_orders(false);
        }
    } else if(base == "execution") {
        // Fills move realised pnl; Bybit follows them with position and wallet pushes, which carry the
        // authoritative numbers, so a fill is only counted here.
        svc_.host().metric("bybit_executions", sdk::metric_kind::counter, static_cast<double>(rows.size()));
    }
}

void
account_session::arm_ping(std::chrono::milliseconds delay)
{
    svc_.host().cancel(ping_timer_);
    ping_timer_ = svc_.host().start_timer(owner_, delay, cookie(session_op::ping_timer));
}

void
account_session::send_ping()
{
    if(awaiting_pong_) {
        drop_ws("no pong within the timeout");
        return;
    }
    std::string ping = R"({"op":"ping","req_id":")" + std::to_string(++req_counter_) + R"("})";
    if(svc_.host().ws_send(ws_op_, ping) != sdk::status::ok) {
        drop_ws("send failed");
        return;
    }
    awaiting_pong_ = true;
    arm_ping(svc_.cfg().pong_timeout);
}

void
account_session::arm_reconcile()
{
    auto const interval = svc_.cfg().reconcile_interval;
    if(interval.count() == 0 || stopped_ || failed_)
        return;
    svc_.host().cancel(reconcile_timer_);
    reconcile_timer_ = svc_.host().start_timer(owner_, interval, cookie(session_op::reconcile_timer));
}

//--- completions -----------------------------------------------------------------------------------

void
account_session::on_timer(sdk::op op, session_op purpose)
{
    if(stopped_)
        return;
    switch(purpose) {
    case session_op::ping_timer:
        if(op != ping_timer_)
            return;
        ping_timer_ = 0;
        if(ws_state_ == ws_state::live)
            send_ping();
        else if(ws_state_ == ws_state::authenticating || ws_state_ == ws_state::subscribing)
            drop_ws("no answer to auth/subscribe");
        return;
    case session_op::reconnect_timer:
        if(op != reconnect_timer_)
            return;
        reconnect_timer_ = 0;
        connect_ws();
        return;
    case session_op::poll_timer:
        if(op != poll_timer_)
            return;
        poll_timer_ = 0;
        // Still waiting for a place for the private stream: REST keeps the data current, at the
        // lowest priority (the line never lets it exceed the budget).
        if(ws_state_ == ws_state::waiting_turn) {
            refresh(mask_, rest_priority::periodic);
            arm_wait_poll();
        }
        return;
    case session_op::reconcile_timer:
        if(op != reconcile_timer_)
            return;
        reconcile_timer_ = 0;
        refresh(mask_, rest_priority::periodic);
        arm_reconcile();
        return;
    case session_op::retry_wallet:
    case session_op::retry_positions:
    case session_op::retry_orders: {
        auto const r =
            static_cast<resource>(static_cast<unsigned>(purpose) - static_cast<unsigned>(session_op::retry_wallet));
        auto& f = fetch_of(r);
        if(op != f.retry_timer)
            return;
        f.retry_timer = 0;
        if(f.resume) {
            // A paused pagination continues where it stopped.
            f.resume = false;
            send_page(r);
            return;
        }
        start_fetch(r, f.prio);
        return;
    }
    default:
        return;
    }
}

void
account_session::on_http_done(sdk::op op, session_op purpose, sdk::http_response const& response)
{
    if(stopped_)
        return;
    resource r{};
    switch(purpose) {
    case session_op::http_wallet: r = resource::wallet; break;
    case session_op::http_positions: r = resource::positions; break;
    case session_op::http_orders: r = resource::orders; break;
    default: return;
    }
    if(op != fetch_of(r).op)
        return;
    svc_.rest_answered(net_, answer_of_status(response.status));
    on_rest(r, response);
}

void
account_session::on_clock_ready()
{
    if(stopped_ || failed_)
        return;
    for(unsigned i = 0; i < fetches_.size(); ++i) {
        if(fetches_[i].waiting_clock) {
            fetches_[i].waiting_clock = false;
            start_fetch(static_cast<resource>(i), fetches_[i].prio);
        }
    }
    if(ws_state_ == ws_state::waiting_clock) {
        ws_state_ = ws_state::idle;
        connect_ws();
    } else if(auth_waits_clock_ && ws_op_ != 0) {
        send_auth();
    }
}

void
account_session::on_clock_failed(failure const& fl)
{
    if(stopped_ || failed_)
        return;
    std::uint32_t waiting = 0;
    for(unsigned i = 0; i < fetches_.size(); ++i)
        if(fetches_[i].waiting_clock)
            waiting |= streams_of(static_cast<resource>(i));
    if(ws_state_ == ws_state::waiting_clock)
        waiting |= mask_;
    // The adapter keeps retrying the sync; until then the client knows why nothing comes.
    set_status(waiting, sdk::stream_state::stale, fl.code, fl.message);
}

void
account_session::on_mark(std::string_view symbol)
{
    if(stopped_ || !mark_symbols_.count(std::string(symbol)))
        return;
    emit_pnl(false);
}

void
account_session::update_mark_interest()
{
    std::set<std::string> want;
    for(auto const& [key, p] : state_.positions)
        if(p.category == "linear")
            want.insert(p.symbol);
    for(auto const& s : want)
        if(!mark_symbols_.count(s))
            svc_.mark_interest(net_, s, true);
    for(auto const& s : mark_symbols_)
        if(!want.count(s))
            svc_.mark_interest(net_, s, false);
    mark_symbols_ = std::move(want);
}

//--- emits -----------------------------------------------------------------------------------------

void
account_session::emit(sdk::stream s, std::string json, bool force)
{
    if(!sdk::has_stream(mask_, s))
        return;
    auto& last = last_json_[static_cast<std::size_t>(s)];
    // Unchanged state is not re-sent (Bybit pushes positions on every order action even when nothing
    // changed); the hub still gives every new subscriber the latest state.
    if(!force && last == json)
        return;
    last = json;
    svc_.host().emit_data(owner_, label_, s, last);
}

void
account_session::emit_balance(bool force)
{
    if(state_.has_balance)
        emit(sdk::stream::balance, balance_json(state_.balance), force);
}

void
account_session::emit_positions(bool force)
{
    if(state_.has_positions)
        emit(sdk::stream::positions, positions_json(state_.positions, svc_.marks(net_)), force);
}

void
account_session::emit_pnl(bool force)
{
    if(state_.has_positions)
        emit(sdk::stream::pnl, pnl_json(compute_pnl(state_.positions, svc_.marks(net_))), force);
}

void
account_session::emit_orders(bool force)
{
    if(state_.has_orders)
        emit(sdk::stream::orders, orders_json(state_.orders), force);
}

void
account_session::set_status(std::uint32_t streams, sdk::stream_state state, std::string_view code,
    std::string_view message)
{
    for(int s = 0; s < 4; ++s) {
        auto const stream = static_cast<sdk::stream>(s);
        if(!(streams & mask_ & sdk::stream_bit(stream)))
            continue;
        auto& st = status_[static_cast<std::size_t>(s)];
        auto const want = static_cast<int>(state);
        if(st.state == want && st.code == code)
            continue;
        // "live" is news only after trouble; a healthy start is announced by the data itself.
        bool const announce = state != sdk::stream_state::live || (st.state >= 0 && st.state != want);
        st.state = want;
        st.code = std::string(code);
        st.message = std::string(message);
        if(announce)
            svc_.host().emit_status(owner_, label_, stream, {}, {}, state, code, message);
    }
}

void
account_session::fail(failure const& f)
{
    log(sdk::log_level::error, "session stopped: " + f.code + ": " + f.message);
    fatal_ = f;
    set_status(mask_ | sdk::stream_bit(sdk::stream::balance) | sdk::stream_bit(sdk::stream::positions)
            | sdk::stream_bit(sdk::stream::pnl) | sdk::stream_bit(sdk::stream::orders),
        sdk::stream_state::error, f.code, f.message);
    failed_ = true;
    // Stop every operation but keep the session object: its status answers later requests until the
    // hub reopens the account (new credentials) or resets the user.
    auto const& h = svc_.host();
    for(auto& fe : fetches_) {
        h.cancel(fe.op);
        h.cancel(fe.retry_timer);
        fe.op = fe.retry_timer = 0;
        fe.waiting_clock = false;
    }
    h.cancel(ws_op_);
    h.cancel(ping_timer_);
    h.cancel(reconnect_timer_);
    h.cancel(reconcile_timer_);
    ws_op_ = ping_timer_ = reconnect_timer_ = reconcile_timer_ = 0;
    ws_state_ = ws_state::stopped;
    // Nothing will be emitted any more, so the live marks are not needed either.
    for(auto const& s : mark_symbols_)
        svc_.mark_interest(net_, s, false);
    mark_symbols_.clear();
}

} // namespace tradepush::bybit
