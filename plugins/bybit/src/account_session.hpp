#pragma once
// The upstream session of one (user, account): REST snapshots of wallet, positions and open orders, one
// authenticated private WebSocket for changes, slow REST reconciliation, and the stream_status a client
// sees when any of it fails. Lives on the instance strand; every host operation it starts carries its
// owner {user, epoch}, so reset_user (which cancels them host-side) leaves nothing behind.
//
// Lifecycle:
//   start() -> REST snapshot of the requested streams (after the clock is synced) and WS connect
//   Every REST page waits for its turn in the host's shared budget (adapter, rest_budget.hpp);
//   every new WS connection for a place among the host's new connections (REST polls meanwhile).
//   WS: connecting -> (open, clock known) auth -> (auth ok) subscribe -> (ack) live -> REST refresh, pings
//       any close / pong timeout / refusal -> stale status, reconnect after backoff with jitter
//   REST failures -> auth/permission/restriction: error status, session stops for good;
//                    10002: clock re-sync and retry (a mere re-sign if the clock was re-synced since the
//                    request was signed); 10006/429: wait for the limit; 403: the whole host pauses
//                    (adapter) and the call waits in line; others: backoff.
//   Nothing is signed (REST timestamp, WS `expires`) while the clock is unknown: it waits for the sync.

#include "backoff.hpp"
#include "config.hpp"
#include "envelope.hpp"
#include "model.hpp"
#include "rate_limit.hpp"
#include "services.hpp"

#include <tradepush/plugin.hpp>

#include <array>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

namespace tradepush::bybit {

/// Purposes of a session's host operations (low bits of the cookie).
enum class session_op : unsigned {
    http_wallet = 1,
    http_positions = 2,
    http_orders = 3,
    ws = 4,
    ping_timer = 5,
    reconnect_timer = 6,
    reconcile_timer = 7,
    retry_wallet = 8,
    retry_positions = 9,
    retry_orders = 10,
    poll_timer = 11
};

/// The REST resources behind the account streams.
enum class resource : unsigned { wallet = 0, positions = 1, orders = 2 };

/// State of the private WebSocket.
enum class ws_state {
    idle,
    waiting_clock,
    waiting_turn, ///< for a place among the host's new connections; REST polling meanwhile
    connecting,
    authenticating,
    subscribing,
    live,
    reconnect_wait,
    stopped
};

/// One account session (see the file comment).
class account_session {
public:
    /// A session for `owner` and `account`; `id` routes its cookies. Copies the credentials.
    account_session(account_services& svc, std::uint64_t id, sdk::owner owner, sdk::account const& account,
        network net);
    /// Cancels every operation and releases the mark interests.
    ~account_session();

    account_session(account_session const&) = delete;
    account_session& operator=(account_session const&) = delete;

    /// Starts I/O for the streams in `mask`.
    void start(std::uint32_t mask);
    /// Adds streams and delivers their current state: the cached one at once if known, and a fresh
    /// REST snapshot in any case.
    void request(std::uint32_t mask);
    /// Stops all I/O (cancels host operations); the session is then inert.
    void stop();

    /// A timer of this session fired.
    void on_timer(sdk::op op, session_op purpose);
    /// An HTTP request of this session finished.
    void on_http_done(sdk::op op, session_op purpose, sdk::http_response const& response);
    /// An event of this session's WebSocket.
    void on_ws_event(sdk::op op, sdk::ws_event_kind kind, std::string_view data);
    /// A REST call that waited for the host's budget may go now. False: the turn was not used (the
    /// call was dropped meanwhile), and the caller gives its place back.
    bool on_rest_turn(resource r);
    /// The private stream that waited for a place among the host's new connections may connect now.
    /// False: not used (the caller gives the place back).
    bool on_ws_turn();
    /// The server clock became usable: continue what waited for it.
    void on_clock_ready();
    /// The clock sync failed: tell the waiting streams why.
    void on_clock_failed(failure const& f);
    /// The live mark of `symbol` moved: re-emit pnl if it concerns us.
    void on_mark(std::string_view symbol);

    /// The routing id of this session.
    std::uint64_t id() const noexcept { return id_; }
    /// The owner (user and epoch) its operations and emits carry.
    sdk::owner const& owner() const noexcept { return owner_; }
    /// The environment of the account.
    network net() const noexcept { return net_; }
    /// The credentials, borrowed from the session (to notice rotation, or to rebuild the session under
    /// a new epoch). Never log them.
    sdk::account credentials() const noexcept
    {
        return sdk::account{label_, "bybit", to_string(net_), api_key_, api_secret_};
    }
    /// The streams requested so far.
    std::uint32_t mask() const noexcept { return mask_; }
    /// Current WebSocket state.
    ws_state ws() const noexcept { return ws_state_; }
    /// True after a fatal failure (bad key, missing permission): waits for a reopen.
    bool failed() const noexcept { return failed_; }
    /// What the session knows about the account.
    account_state const& state() const noexcept { return state_; }

private:
    // One REST resource being fetched (several pages and settle coins for lists).
    struct fetch {
        sdk::op op{0};
        sdk::op retry_timer{0};
        bool again{false};
        rest_priority again_prio{rest_priority::periodic}; // of the fetch again (valid when again)
        bool queued{false};   // waiting in the host's REST line for its next page
        bool ip_paused{false}; // got the host's 403: waits for the IP-wide pause, says rate_limited
        rest_priority prio{rest_priority::snapshot};
        bool waiting_clock{false};
        bool resume{false}; // the retry timer continues a paused pagination instead of restarting
        std::size_t coin{0};
        std::size_t pages{0};
        std::string cursor;
        std::map<position_key, position> positions;
        std::map<std::string, order> orders;
        unsigned clock_failures{0};
        std::uint64_t clock_generation{0}; // of the server clock the last page was signed with
        backoff retry{backoff_config{}, 0};
    };
    // What a stream's client was last told.
    struct stream_status {
        int state{-1}; // -1: nothing said yet; else sdk::stream_state
        std::string code;
        std::string message;
    };

    std::uint64_t cookie(session_op p) const noexcept { return make_cookie(id_, static_cast<unsigned>(p)); }
    fetch& fetch_of(resource r) noexcept { return fetches_[static_cast<std::size_t>(r)]; }

    void refresh(std::uint32_t mask, rest_priority p);
    void start_fetch(resource r, rest_priority p);
    void send_page(resource r);
    void transmit(resource r);
    void on_rest(resource r, sdk::http_response const& response);
    void on_rest_failure(resource r, failure const& f, rate_limit_info const& rl);
    void schedule_retry(resource r, std::chrono::milliseconds delay);

    void connect_ws();
    void open_ws();
    void end_ws_attempt();
    void arm_wait_poll();
    void send_auth();
    void on_ws_text(std::string_view text);
    void on_ws_lost(std::string const& reason);
    void drop_ws(std::string const& reason);
    void send_ping();
    void arm_ping(std::chrono::milliseconds delay);
    void arm_reconcile();

    void apply_topic(std::string_view topic, boost::json::value const& data);
    void update_mark_interest();

    void emit_balance(bool force);
    void emit_positions(bool force);
    void emit_pnl(bool force);
    void emit_orders(bool force);
    void emit(sdk::stream s, std::string json, bool force);
    void set_status(std::uint32_t streams, sdk::stream_state state, std::string_view code, std::string_view message);
    void fail(failure const& f);
    void log(sdk::log_level level, std::string_view message) const;

    account_services& svc_;
    std::uint64_t id_;
    sdk::owner owner_;
    std::string label_;
    std::string api_key_;
    std::string api_secret_; // never logged, never emitted
    network net_;
    std::uint32_t mask_{0};
    bool failed_{false};
    failure fatal_; // why the session failed (valid when failed_)
    bool stopped_{false};

    account_state state_;
    std::array<fetch, 3> fetches_;
    std::array<std::string, 4> last_json_;
    std::array<stream_status, 4> status_;
    std::set<std::string> mark_symbols_;

    ws_state ws_state_{ws_state::idle};
    sdk::op ws_op_{0};
    sdk::op ping_timer_{0};
    sdk::op reconnect_timer_{0};
    sdk::op reconcile_timer_{0};
    sdk::op poll_timer_{0};
    bool ws_attempt_{false}; // a connection attempt holds a place in the host's connection budget
    bool awaiting_pong_{false};
    bool auth_waits_clock_{false};       // the socket is open, the auth frame waits for a clock re-sync
    std::uint64_t auth_clock_generation_{0}; // of the server clock the last auth frame was signed with
    unsigned auth_failures_{0};
    std::uint64_t req_counter_{0};
    backoff ws_backoff_;
};

/// The account streams a resource feeds (bits of sdk::stream_bit).
std::uint32_t
streams_of(resource r) noexcept;

} // namespace tradepush::bybit
