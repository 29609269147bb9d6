#include "ticker_stream.hpp"

#include <boost/json/parse.hpp>

#include <utility>

namespace tradepush::bybit {

namespace json = boost::json;

ticker_stream::ticker_stream(ticker_services& svc, std::uint64_t id, std::string url, std::string category,
    std::string symbol)
    : svc_(svc)
    , id_(id)
    , url_(std::move(url))
    , category_(std::move(category))
    , symbol_(std::move(symbol))
    , backoff_(svc.cfg().backoff, svc.next_seed())
{
}

ticker_stream::~ticker_stream()
{
    stop();
}

void
ticker_stream::start()
{
    connect();
}

void
ticker_stream::stop()
{
    if(stopped_)
        return;
    stopped_ = true;
    auto const& h = svc_.host();
    h.cancel(ws_op_);
    h.cancel(ping_timer_);
    h.cancel(reconnect_timer_);
    ws_op_ = ping_timer_ = reconnect_timer_ = 0;
    state_ = ticker_state::stopped;
}

void
ticker_stream::connect()
{
    if(stopped_ || ws_op_ != 0)
        return;
    sdk::ws_request req;
    req.url = url_;
    req.timeout = svc_.cfg().request_timeout;
    // Public: owned by nobody, so no user's reset ever cancels it.
    ws_op_ = svc_.host().ws_open(sdk::owner{}, req, cookie(ticker_op::ws));
    if(ws_op_ == 0) {
        lost("host refused to open the public stream");
        return;
    }
    state_ = ticker_state::connecting;
}

void
ticker_stream::lost(std::string const& reason)
{
    svc_.host().cancel(ping_timer_);
    ping_timer_ = 0;
    awaiting_pong_ = false;
    if(stopped_ || state_ == ticker_state::failed)
        return;
    state_ = ticker_state::reconnect_wait;
    // The next subscription starts with a new snapshot; deltas must never apply to the old one.
    book_.clear();
    if(category_ == "linear")
        svc_.on_mark(url_, symbol_, std::nullopt);
    svc_.host().metric("bybit_public_ws_reconnects", sdk::metric_kind::counter, 1);
    set_status(sdk::stream_state::stale, "upstream_reconnecting", "bybit ticker stream lost: " + reason);
    if(reconnect_timer_ == 0)
        reconnect_timer_ = svc_.host().start_timer(sdk::owner{}, backoff_.next(), cookie(ticker_op::reconnect_timer));
}

void
ticker_stream::drop(std::string const& reason)
{
    svc_.host().cancel(ws_op_);
    ws_op_ = 0;
    lost(reason);
}

void
ticker_stream::arm_ping(std::chrono::milliseconds delay)
{
    svc_.host().cancel(ping_timer_);
    ping_timer_ = svc_.host().start_timer(sdk::owner{}, delay, cookie(ticker_op::ping_timer));
}

void
ticker_stream::set_status(sdk::stream_state state, std::string_view code, std::string_view message)
{
    auto const want = static_cast<int>(state);
    if(status_state_ == want && status_code_ == code)
        return;
    bool const announce = state != sdk::stream_state::live || (status_state_ >= 0 && status_state_ != want);
    status_state_ = want;
    status_code_ = std::string(code);
    status_message_ = std::string(message);
    if(announce && clients_ > 0)
        svc_.host().emit_status(sdk::owner{}, {}, sdk::stream::ticker, category_, symbol_, state, code, message);
}

void
ticker_stream::replay()
{
    if(book_.ready())
        svc_.host().emit_ticker(category_, symbol_, book_.to_json(category_));
    if(status_state_ >= 0 && status_state_ != static_cast<int>(sdk::stream_state::live))
        svc_.host().emit_status(sdk::owner{}, {}, sdk::stream::ticker, category_, symbol_,
            static_cast<sdk::stream_state>(status_state_), status_code_, status_message_);
}

void
ticker_stream::on_timer(sdk::op op, ticker_op purpose)
{
    if(stopped_)
        return;
    if(purpose == ticker_op::reconnect_timer && op == reconnect_timer_) {
        reconnect_timer_ = 0;
        connect();
    } else if(purpose == ticker_op::ping_timer && op == ping_timer_) {
        ping_timer_ = 0;
        if(awaiting_pong_) {
            drop("no pong within the timeout");
            return;
        }
        std::string ping = R"({"op":"ping","req_id":")" + std::to_string(++req_counter_) + R"("})";
        if(svc_.host().ws_send(ws_op_, ping) != sdk::status::ok) {
            drop("send failed");
            return;
        }
        awaiting_pong_ = true;
        arm_ping(svc_.cfg().pong_timeout);
    }
}

void
ticker_stream::on_ws_event(sdk::op op, sdk::ws_event_kind kind, std::string_view data)
{
    if(op != ws_op_ || stopped_)
        return;
    switch(kind) {
    case sdk::ws_event_kind::open: {
        std::string sub = R"({"op":"subscribe","req_id":")" + std::to_string(++req_counter_) + R"(","args":[)";
        sub += '"' + ticker_topic(symbol_) + '"';
        sub += "]}";
        if(svc_.host().ws_send(ws_op_, sub) != sdk::status::ok) {
            drop("send failed");
            return;
        }
        state_ = ticker_state::subscribing;
        arm_ping(svc_.cfg().ping_interval);
        return;
    }
    case sdk::ws_event_kind::text:
        on_text(data);
        return;
    case sdk::ws_event_kind::binary:
        return;
    case sdk::ws_event_kind::closed:
        ws_op_ = 0;
        lost(data.empty() ? std::string("closed") : std::string(data.substr(0, 200)));
        return;
    }
}

void
ticker_stream::on_text(std::string_view text)
{
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    if(ec || !v.is_object())
        return;
    auto const& o = v.as_object();
    auto const str = [&](std::string_view k) -> std::string_view {
        auto const* x = o.if_contains(k);
        return (x && x->is_string()) ? std::string_view(x->as_string()) : std::string_view{};
    };
    auto const op = str("op");
    auto const ret_msg = str("ret_msg");

    // Pongs: spot/linear answer {"op":"ping","ret_msg":"pong"}, option {"op":"pong"}.
    if(op == "pong" || ret_msg == "pong") {
        if(awaiting_pong_) {
            awaiting_pong_ = false;
            arm_ping(svc_.cfg().ping_interval);
        }
        return;
    }
    if(op == "subscribe") {
        auto const* s = o.if_contains("success");
        if(s && s->is_bool() && s->as_bool()) {
            if(state_ == ticker_state::subscribing)
                state_ = ticker_state::live;
            backoff_.reset();
            return;
        }
        // A symbol Bybit does not serve will never work: say so and stop instead of reconnecting.
        state_ = ticker_state::failed;
        set_status(sdk::stream_state::error, "invalid_symbol",
            "bybit refused tickers." + symbol_ + ": " + std::string(ret_msg.substr(0, 200)));
        svc_.host().cancel(ws_op_);
        svc_.host().cancel(ping_timer_);
        ws_op_ = ping_timer_ = 0;
        return;
    }
    if(str("topic") != ticker_topic(symbol_))
        return;
    // Bybit may send the first snapshot before the subscribe ack (spec §5.1).
    auto const before = book_.mark_price();
    if(!book_.apply(o))
        return;
    if(state_ == ticker_state::subscribing)
        state_ = ticker_state::live;
    backoff_.reset();
    set_status(sdk::stream_state::live, "ok", "");
    if(clients_ > 0)
        svc_.host().emit_ticker(category_, symbol_, book_.to_json(category_));
    auto const after = book_.mark_price();
    if(after != before && category_ == "linear")
        svc_.on_mark(url_, symbol_, after);
}

} // namespace tradepush::bybit
