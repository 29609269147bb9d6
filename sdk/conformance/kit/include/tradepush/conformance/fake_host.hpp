#pragma once
// The conformance kit's fake host: one plugin instance driven exactly like tradepushd drives it, but
// deterministic. Time is virtual (timers fire when the test advances the clock), the network is a set of
// scripted HTTP and WebSocket peers, and everything the plugin does is captured for assertions: emits,
// requests, frames, logs, metrics, and every breach of the ABI contract (a "violation").
//
// Contract checks, as the real host (daemon/src/plugin_host/instance.cpp) applies them:
//   - strand affinity: a host API call outside an entry point, or from another thread, is refused and
//     recorded (log is allowed anywhere);
//   - callback budget: each entry point is timed with the real clock; over the budget is recorded;
//   - exceptions: one escaping an entry point is caught here and recorded;
//   - epoch fence: reset_user forgets the user's epoch and cancels the user's operations before the
//     plugin is called; completions of cancelled or stale operations never reach the plugin, and an
//     emit under a stale epoch is dropped and recorded;
//   - emit validity: stream, owner, account/symbol and JSON are checked like the real host does.
//
// THREADING: a fake_host is used from one test thread. Only the plugin may call its host API from other
// threads (that is what the strand check catches); those calls touch only atomics and a mutex.

#include <tradepush/conformance/plugin_library.hpp>
#include <tradepush/plugin_abi.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace tradepush::conformance {

/// One HTTP or WebSocket header.
struct header {
    std::string name;  ///< as the plugin (or the script) wrote it
    std::string value; ///< the value
};

/// The credentials handed to open_account.
struct account_info {
    std::string label = "main";                       ///< account label clients use
    std::string exchange = "example";                 ///< exchange id
    std::string network = "demo";                     ///< "mainnet" | "testnet" | "demo"
    std::string api_key = "conformance-key";          ///< API key
    std::string api_secret = "conformance-secret";    ///< API secret
};

/// Kinds of contract breaches the fake host detects.
enum class violation_kind {
    off_strand,        ///< host API called outside an entry point or from another thread
    overlong_callback, ///< an entry point ran longer than the budget
    exception_escaped, ///< an exception left an entry point
    stale_epoch_emit,  ///< emit for a user whose epoch is no longer (or not yet) current
    invalid_emit,      ///< bad stream/state, missing owner/account/symbol, or payload not a JSON object
    nested_call        ///< the test called into the plugin from inside a plugin call (a test bug)
};

/// Short stable name of a violation kind ("off-strand", "stale-epoch emit", ...).
std::string_view to_string(violation_kind k) noexcept;

/// One recorded breach.
struct violation {
    violation_kind kind; ///< what
    std::string detail;  ///< e.g. "emit_data from another thread" or "on_timer took 201 ms (budget 50 ms)"
};

/// One captured emit_data or emit_status (strings copied: the plugin's are borrowed).
struct emit_record {
    bool is_status = false;  ///< emit_status rather than emit_data
    std::string user;        ///< owner user; empty for public streams
    std::uint64_t epoch = 0; ///< owner epoch
    std::string account;     ///< account label (account streams)
    int stream = 0;          ///< tradepush_stream, or TRADEPUSH_STREAM_ALL_ACCOUNT for a status
    std::string category;    ///< ticker category
    std::string symbol;      ///< ticker symbol
    std::string json;        ///< emit_data payload
    int state = 0;           ///< emit_status state
    std::string code;        ///< emit_status code
    std::string message;     ///< emit_status message
    bool delivered = false;  ///< passed every host check (the real host would forward it)
    std::uint64_t at_ns = 0; ///< virtual time of the emit
};

/// One captured HTTP request.
struct http_request_record {
    tradepush_op op = 0;         ///< the operation id the plugin got
    std::string user;            ///< owner user
    std::uint64_t epoch = 0;     ///< owner epoch
    std::string method;          ///< "GET" when the plugin left it empty
    std::string url;             ///< absolute URL with query
    std::vector<header> headers; ///< request headers
    std::string body;            ///< request body
    std::uint32_t timeout_ms = 0; ///< as requested
    bool matched = false;        ///< a scripted route answered it
    std::uint64_t at_ns = 0;     ///< virtual time of the request

    /// The first header named `name` (ASCII case-insensitive), or nullopt.
    std::optional<std::string> header_value(std::string_view name) const;
    /// The URL's path (no scheme, authority or query), e.g. "/v5/account/wallet-balance".
    std::string path() const;
    /// The URL's query without '?', or "".
    std::string query() const;
};

/// A scripted HTTP answer.
struct http_reply {
    int status = 200;             ///< HTTP status; 0 = no response (set `error`)
    std::vector<header> headers;  ///< response headers
    std::string body;             ///< response body
    std::string error;            ///< transport error ("timeout", ...) when status is 0
    std::chrono::nanoseconds delay{0}; ///< virtual time until the completion
};

/// Computes a reply for a request; return nullopt to hold it (answer later with fake_host::complete_http).
/// Runs inside the plugin's http_request call: compute and record, never call into the plugin from here.
using http_handler = std::function<std::optional<http_reply>(http_request_record const&)>;

/// One captured WebSocket frame sent by the plugin.
struct ws_frame {
    std::string payload;     ///< the message
    bool binary = false;     ///< binary frame
    std::uint64_t at_ns = 0; ///< virtual time of the send
};

/// One WebSocket the plugin opened.
struct ws_record {
    tradepush_op op = 0;         ///< the operation id
    std::string user;            ///< owner user
    std::uint64_t epoch = 0;     ///< owner epoch
    std::string url;             ///< ws:// or wss:// URL
    std::vector<header> headers; ///< handshake headers
    bool matched = false;        ///< a scripted peer took it
    bool open = false;           ///< the open event was delivered and it is not closed
    bool closed = false;         ///< closed by the peer, the plugin (cancel) or the fence
    std::vector<ws_frame> sent;  ///< frames the plugin sent, in order
};

class fake_host;

/// A scripted WebSocket peer, chosen by URL prefix when the plugin calls ws_open.
struct ws_peer {
    bool accept = true;                      ///< false: the open fails (closed event with fail_reason)
    std::string fail_reason = "connection refused"; ///< data of the closed event when refused
    std::chrono::nanoseconds delay{0};       ///< virtual time until the open (or failure) event
    /// Called (inside the plugin's ws_send, so only queue with push/close) for every frame the plugin sends.
    std::function<void(fake_host&, tradepush_op ws, std::string_view payload, bool binary)> on_message;
    /// Called once the open event has been queued: e.g. push a greeting.
    std::function<void(fake_host&, tradepush_op ws)> on_open;
};

/// Tunables of a fake host.
struct fake_host_options {
    /// An entry point running longer than this (real clock) is an overlong_callback violation.
    std::chrono::nanoseconds call_budget = std::chrono::milliseconds(50);
    /// now_ns at start (virtual, monotonic).
    std::uint64_t start_now_ns = 1'000'000'000;
    /// wall_ms at start; advances with the virtual clock.
    std::uint64_t start_wall_ms = 1'732'400'000'000;
    /// HTTP timeout when the plugin passes 0 (the daemon's default). A request not answered within its
    /// timeout (held, or a reply delayed longer) completes with status 0 and error "timeout".
    std::chrono::milliseconds default_http_timeout{10000};
    /// Echo each plugin log line to stderr (debugging a plugin).
    bool echo_logs = false;
};

/// One captured log line.
struct log_record {
    int level = 0;        ///< tradepush_log_level
    std::string message;  ///< the text
};

/// One captured metric sample.
struct metric_record {
    std::string name; ///< metric name
    int kind = 0;     ///< 0 counter, 1 gauge, 2 histogram
    double value = 0; ///< sample
};

//------------------------------------------------------------------------------------------------------

/// A fake tradepushd around one plugin instance. See the file comment for the checks it makes.
///
/// OWNERSHIP: borrows the library (or the image behind `api`), which must stay loaded while this object
/// lives. Not copyable or movable (the plugin holds a pointer to it).
class fake_host {
public:
    /// Prepares the host table for a plugin_library; the plugin is not called until create().
    explicit fake_host(plugin_library const& library, fake_host_options options = {});
    /// Same for a table obtained another way: a plugin linked into the test (static mode: call its
    /// tradepush_plugin_entry_v1 directly) or one loaded by another loader. `api` is copied; its
    /// pointers must stay valid.
    explicit fake_host(tradepush_plugin_api const& api, fake_host_options options = {});
    /// Destroys the instance if it is alive.
    ~fake_host();
    fake_host(fake_host const&) = delete;
    fake_host& operator=(fake_host const&) = delete;

    //--- lifecycle ---------------------------------------------------------------------------------

    /// Calls the plugin's create with `config_json`. False (and the plugin's message in `error`) on refusal.
    bool create(std::string_view config_json = "{}", std::string* error = nullptr);
    /// Cancels every operation, then calls destroy. Idempotent.
    void destroy();
    /// True between a successful create() and destroy().
    bool alive() const noexcept { return instance_ != nullptr; }
    /// The library this host was made for, or nullptr when it was given a table.
    plugin_library const* library() const noexcept { return library_; }

    //--- commands (like the daemon's plugin_provider; E_UNSUPPORTED when the slot is NULL) -----------

    /// Makes the user's current epoch (1 for a new user, old+1 after a reset) and calls open_account.
    tradepush_status open_account(std::string_view user, account_info const& account, std::uint32_t stream_mask);
    /// request_snapshot with the user's current epoch.
    tradepush_status request_snapshot(std::string_view user, std::string_view account, int stream);
    /// close_account with the user's current epoch.
    tradepush_status close_account(std::string_view user, std::string_view account);
    /// subscribe_ticker.
    tradepush_status subscribe_ticker(std::string_view category, std::string_view symbol);
    /// unsubscribe_ticker.
    tradepush_status unsubscribe_ticker(std::string_view category, std::string_view symbol);
    /// The fence, then the plugin: forgets the user's epoch, cancels all the user's operations, calls
    /// reset_user with the old owner. A later open_account uses the next epoch. OK when the slot is NULL.
    tradepush_status reset_user(std::string_view user);
    /// The user's current epoch, or nullopt while fenced / never opened.
    std::optional<std::uint64_t> epoch(std::string_view user) const;

    //--- virtual clock -----------------------------------------------------------------------------

    /// The virtual monotonic clock.
    std::uint64_t now_ns() const noexcept { return now_ns_; }
    /// Delivers, in time order, every completion due within `d`, then sets the clock to now + d.
    void advance(std::chrono::nanoseconds d);
    /// Advances in `step`s until `done()` is true or `limit` has passed; returns done().
    bool advance_until(std::function<bool()> const& done, std::chrono::nanoseconds limit,
        std::chrono::nanoseconds step = std::chrono::milliseconds(10));
    /// Delivers what is due now (zero-delay timers, immediate replies) without moving the clock.
    void run_ready() { advance(std::chrono::nanoseconds{0}); }

    //--- HTTP peers --------------------------------------------------------------------------------

    /// Answers requests whose method matches (empty: any) and whose URL or path starts with `prefix`.
    /// Routes are tried in the order added; the first match answers.
    void on_http(std::string method, std::string prefix, http_reply reply);
    /// Same, computing the reply (or holding the request when the handler returns nullopt).
    void on_http(std::string method, std::string prefix, http_handler handler);
    /// Completes a held request after reply.delay (before its timeout). False if the op is not pending or
    /// already has a reply queued.
    bool complete_http(tradepush_op op, http_reply reply);
    /// Every request the plugin made, in order.
    std::vector<http_request_record> const& http_requests() const noexcept { return http_; }
    /// The requests no route matched (they were answered with status 0, error "no scripted peer ...").
    std::vector<http_request_record> unmatched_http() const;

    //--- WebSocket peers ---------------------------------------------------------------------------

    /// Serves ws_open calls whose URL starts with `prefix` (tried in the order added). Unmatched
    /// opens fail with "no scripted peer".
    void on_ws(std::string prefix, ws_peer peer);
    /// Queues a message from the peer to the plugin (after `delay`). False if the socket is not open.
    bool ws_push(tradepush_op ws, std::string payload, bool binary = false,
        std::chrono::nanoseconds delay = std::chrono::nanoseconds{0});
    /// Queues a close from the peer (the plugin gets TRADEPUSH_WS_CLOSED with `reason`).
    bool ws_close(tradepush_op ws, std::string reason = "closed by peer",
        std::chrono::nanoseconds delay = std::chrono::nanoseconds{0});
    /// Every WebSocket the plugin opened, in order.
    std::vector<ws_record> const& websockets() const noexcept { return ws_; }
    /// The WebSocket record of `op`, or nullptr.
    ws_record const* websocket(tradepush_op op) const;

    //--- captures ----------------------------------------------------------------------------------

    /// Every emit, delivered or not, in order.
    std::vector<emit_record> const& emits() const noexcept { return emits_; }
    /// Delivered emit_data records of one stream (and, if non-empty, one user).
    std::vector<emit_record> data_emits(int stream, std::string_view user = {}) const;
    /// Forgets captured emits (e.g. between phases of a test).
    void clear_emits() { emits_.clear(); }
    /// Every log line (including ones from other threads).
    std::vector<log_record> logs() const;
    /// Every metric sample.
    std::vector<metric_record> const& metrics() const noexcept { return metrics_; }
    /// Every contract breach so far.
    std::vector<violation> violations() const;
    /// Breaches of one kind.
    std::vector<violation> violations(violation_kind kind) const;

    //--- counters ----------------------------------------------------------------------------------

    /// Operations (timers, HTTP, WebSockets) still registered.
    std::size_t live_ops() const noexcept { return ops_.size(); }
    /// Live operations of one user.
    std::size_t live_ops(std::string_view user) const;
    /// Pending timers (for plugins that poll: how many are armed).
    std::size_t pending_timers() const;
    /// Completions swallowed because their op was cancelled or its epoch stale.
    std::size_t dropped_completions() const noexcept { return dropped_completions_; }
    /// Entry points called so far.
    std::size_t plugin_calls() const noexcept { return plugin_calls_; }
    /// The longest entry point call so far (real clock).
    std::chrono::nanoseconds longest_call() const noexcept { return longest_call_; }

private:
    struct trampolines;
    friend struct trampolines;

    enum class op_kind { timer, http, ws };
    struct op_record {
        std::string user;
        std::uint64_t epoch = 0;
        op_kind kind = op_kind::timer;
        std::uint64_t cookie = 0;
        std::size_t index = 0; // into http_ or ws_
        int peer = -1;         // ws: index into ws_peers_, -1 when unmatched
        bool answered = false; // http: a reply is queued, so the timeout event must not fire
    };
    enum class event_kind { timer, http_done, http_timeout, ws_open, ws_message, ws_closed };
    struct event {
        tradepush_op op = 0;
        event_kind kind = event_kind::timer;
        http_reply reply;      // http_done
        std::string payload;   // ws_message / ws_closed reason
        bool binary = false;
    };
    struct http_route {
        std::string method;
        std::string prefix;
        http_handler handler;
    };

    template<class R, class F>
    R guarded(char const* entry, R fallback, F&& f);
    bool check_affinity(char const* fn) noexcept;
    void record_violation(violation_kind kind, std::string detail);
    bool is_current(std::string_view user, std::uint64_t epoch) const;
    tradepush_op add_op(tradepush_owner const* owner, op_kind kind, std::uint64_t cookie);
    tradepush_op start_http(tradepush_owner const* owner, tradepush_http_request const* in, std::uint64_t cookie);
    tradepush_op start_ws(tradepush_owner const* owner, tradepush_ws_open const* in, std::uint64_t cookie);
    void cancel_op(tradepush_op op);
    void schedule(std::chrono::nanoseconds delay, event e);
    void deliver(event& e);
    void record_emit(emit_record e, bool account_stream, bool ticker, bool valid);

    plugin_library const* library_ = nullptr;
    tradepush_plugin_api api_;
    fake_host_options options_;
    tradepush_host_api host_api_{};
    tradepush_instance* instance_ = nullptr;

    std::uint64_t now_ns_;
    std::uint64_t next_seq_ = 0;
    std::multimap<std::pair<std::uint64_t, std::uint64_t>, event> queue_; // (due, seq) -> event
    tradepush_op next_op_ = 1;
    std::unordered_map<tradepush_op, op_record> ops_;
    std::map<std::string, std::uint64_t, std::less<>> current_epoch_;
    std::map<std::string, std::uint64_t, std::less<>> last_epoch_;

    std::vector<http_route> http_routes_;
    std::vector<std::pair<std::string, ws_peer>> ws_peers_;
    std::vector<http_request_record> http_;
    std::vector<ws_record> ws_;
    std::vector<emit_record> emits_;
    std::vector<metric_record> metrics_;

    std::size_t dropped_completions_ = 0;
    std::size_t plugin_calls_ = 0;
    std::chrono::nanoseconds longest_call_{0};

    // Touched by calls from foreign threads, hence atomics and a mutex.
    std::atomic<int> depth_{0};
    std::atomic<std::thread::id> call_thread_{};
    mutable std::mutex mutex_;
    std::vector<violation> violations_;
    std::vector<log_record> logs_;
};

} // namespace tradepush::conformance
