#pragma once
// One public ticker stream: a WebSocket to Bybit's public endpoint of the category, subscribed to
// `tickers.<symbol>`, shared by every client that watches the symbol and every account session that
// needs its mark price for pnl. Reconnects with backoff; after each (re)subscribe Bybit sends a fresh
// snapshot, so the merged state restarts from it.
//
//   connecting -> (open) subscribe -> (ack or first data) live; data: merge, emit full ticker
//   close / pong timeout -> stale status, reconnect after backoff
//   subscribe refused ("handler not found", bad symbol) -> error status, no retry

#include "backoff.hpp"
#include "services.hpp"
#include "ticker.hpp"

#include <tradepush/plugin.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace tradepush::bybit {

/// Purposes of a ticker stream's host operations (low bits of the cookie).
enum class ticker_op : unsigned { ws = 1, ping_timer = 2, reconnect_timer = 3 };

/// State of a ticker stream.
enum class ticker_state { connecting, subscribing, live, reconnect_wait, failed, stopped };

/// The shared stream of one (category, symbol).
class ticker_stream {
public:
    /// A stream of `symbol` on the public endpoint `url` (of `category`) routed by `id`; call start().
    ticker_stream(ticker_services& svc, std::uint64_t id, std::string url, std::string category, std::string symbol);
    /// Cancels every operation.
    ~ticker_stream();

    ticker_stream(ticker_stream const&) = delete;
    ticker_stream& operator=(ticker_stream const&) = delete;

    /// Opens the WebSocket.
    void start();
    /// Cancels every operation; the stream is then inert.
    void stop();

    /// Client subscriptions (subscribe_ticker) hold the stream and receive its emits.
    void add_client() noexcept { ++clients_; }
    /// Drops a client subscription; returns the remaining count.
    unsigned remove_client() noexcept { return clients_ > 0 ? --clients_ : 0; }
    /// Account sessions that need the mark price hold the stream without emits.
    void add_mark_user() noexcept { ++mark_users_; }
    /// Drops a mark user; returns the remaining count.
    unsigned remove_mark_user() noexcept { return mark_users_ > 0 ? --mark_users_ : 0; }
    /// True when nobody holds the stream.
    bool unused() const noexcept { return clients_ == 0 && mark_users_ == 0; }
    /// Client count.
    unsigned clients() const noexcept { return clients_; }

    /// Emits the current full ticker (if known) and the current status to clients: a new subscriber
    /// of a running stream gets a snapshot at once.
    void replay();

    /// A timer of this stream fired.
    void on_timer(sdk::op op, ticker_op purpose);
    /// An event of this stream's WebSocket.
    void on_ws_event(sdk::op op, sdk::ws_event_kind kind, std::string_view data);

    /// Current state.
    ticker_state state() const noexcept { return state_; }
    /// The merged ticker.
    ticker_book const& book() const noexcept { return book_; }

private:
    std::uint64_t cookie(ticker_op p) const noexcept { return make_cookie(id_, static_cast<unsigned>(p)); }
    void connect();
    void on_text(std::string_view text);
    void lost(std::string const& reason);
    void drop(std::string const& reason);
    void arm_ping(std::chrono::milliseconds delay);
    void set_status(sdk::stream_state state, std::string_view code, std::string_view message);

    ticker_services& svc_;
    std::uint64_t id_;
    std::string url_;
    std::string category_;
    std::string symbol_;
    unsigned clients_{0};
    unsigned mark_users_{0};
    ticker_state state_{ticker_state::connecting};
    ticker_book book_;
    sdk::op ws_op_{0};
    sdk::op ping_timer_{0};
    sdk::op reconnect_timer_{0};
    bool awaiting_pong_{false};
    bool stopped_{false};
    std::uint64_t req_counter_{0};
    int status_state_{-1};
    std::string status_code_;
    std::string status_message_;
    backoff backoff_;
};

} // namespace tradepush::bybit
