#pragma once
// The host side of one plugin instance: owns the tradepush_host_api table the plugin calls, the
// registry of the plugin's operations, the per-user epoch fence, and the one guarded path through
// which every call into the plugin goes (duration budget, strand-affinity bookkeeping).

#include "feed/feed.hpp"
#include "plugin_host/instance_io.hpp"
#include "plugin_host/op_registry.hpp"

#include <tradepush/plugin_abi.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/system/result.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>

namespace tradepush::plugin_host {

namespace net = boost::asio;

/// Tunables of an instance.
struct instance_options {
    /// A call into the plugin longer than this is an overrun (warning + counter).
    std::chrono::nanoseconds call_budget = std::chrono::milliseconds(20);
    /// Monotonic clock for host_api.now_ns; empty: std::chrono::steady_clock.
    std::function<std::uint64_t()> now_ns;
    /// Wall clock for host_api.wall_ms; empty: std::chrono::system_clock.
    std::function<std::uint64_t()> wall_ms;
    /// HTTP timeout when the plugin passes 0.
    std::chrono::milliseconds default_http_timeout{10000};
    /// WebSocket connect timeout when the plugin passes 0.
    std::chrono::milliseconds default_ws_timeout{10000};
};

/// What happened so far (a snapshot; see instance::counters()).
struct instance_counters {
    std::size_t plugin_calls = 0;      ///< entry points called
    std::size_t overruns = 0;          ///< calls above the budget
    std::size_t ops_started = 0;       ///< timers, HTTP requests, WebSockets started
    std::size_t stale_completions = 0; ///< completions dropped: op cancelled or owner epoch stale
    std::size_t emits = 0;             ///< emits handed to the sink
    std::size_t stale_emits = 0;       ///< emits dropped for a stale epoch
    std::size_t invalid_emits = 0;     ///< emits dropped for bad JSON, stream, state or owner
    std::size_t refused_calls = 0;     ///< host API calls outside an entry point or off the control thread
    std::size_t deferred_calls = 0;    ///< calls queued because an entry point was running (no nesting)
    // Upstream traffic the plugin asked for, counted when the answer arrives (also for cancelled ops).
    std::size_t http_responses = 0;    ///< HTTP requests answered with a status
    std::size_t http_failures = 0;     ///< HTTP requests that got no status (connect, TLS, timeout)
    std::size_t http_error_status = 0; ///< answers with status >= 400
    /// Request latency histogram: counts of answers within latency_bounds_ms[i] (last: above all).
    std::array<std::size_t, 10> http_latency_buckets{};
    double http_latency_sum_s = 0;
    std::size_t ws_opens = 0;          ///< WebSocket connections established
    std::size_t ws_closes = 0;         ///< WebSocket connections ended (failed connects included)
};

/// Upper bounds of instance_counters::http_latency_buckets, in milliseconds (the last bucket is +Inf).
inline constexpr std::array<double, 9> http_latency_bounds_ms{10, 25, 50, 100, 250, 500, 1000, 2500, 10000};

/// Host side of one plugin instance.
///
/// THREADING: everything except the host API's `log` runs on the control executor (single-threaded),
/// which doubles as the instance's strand. Entry points never nest: a call that arrives while one is
/// running (e.g. the hub reacting to an emit) is queued with run_serially().
/// OWNERSHIP: the plugin table is copied; sink and io are borrowed and must outlive the instance
/// (set_sink(nullptr) detaches the sink).
class instance {
public:
    /// Builds the host table; does not call the plugin (see create()).
    /// @param control the control executor (completions and deferred calls run there)
    /// @param api the plugin's table (already validated and size-normalized by the loader)
    /// @param name the plugin (= exchange) name, used for log tags and tickers
    /// @param config the instance's JSON config, passed to create
    /// @param sink where emits go; may be nullptr
    /// @param io HTTP/WS starter; nullptr refuses every http_request / ws_open (returns 0)
    instance(net::any_io_executor control, tradepush_plugin_api const& api, std::string name, std::string config,
        feed::sink* sink, instance_io* io = nullptr, instance_options opts = {});
    /// Calls destroy() if still alive.
    ~instance();
    instance(instance const&) = delete;
    instance& operator=(instance const&) = delete;

    /// Calls the plugin's create. The error is the plugin's message. At most once per object.
    boost::system::result<void, std::string> create();
    /// Cancels every op (no completion follows), then calls the plugin's destroy; afterwards no call
    /// reaches the plugin. Idempotent. Queued (deferred) commands are dropped. Must not be called from
    /// inside a plugin call (a sink callback): the plugin would be freed under its own frame.
    void destroy();
    /// True between a successful create() and destroy().
    bool alive() const noexcept { return inst_ != nullptr; }

    /// Sets (or clears) where emits go.
    void set_sink(feed::sink* s) noexcept { sink_ = s; }
    std::string const& name() const noexcept { return name_; }
    net::any_io_executor const& executor() const noexcept { return control_; }

    //--- epoch fence --------------------------------------------------------------------------------

    /// Records the epoch the hub now uses for `user` (every later emit and completion must carry it).
    void set_epoch(std::string_view user, std::uint64_t epoch);
    /// The current epoch of `user`, if any.
    std::optional<std::uint64_t> epoch(std::string_view user) const;
    /// True when `user` is empty (public) or `epoch` is the user's current one.
    bool is_current(std::string_view user, std::uint64_t epoch) const;
    /// The fence: cancels every op of `user` (all epochs) and forgets its epoch, so nothing of the old
    /// owner is delivered any more. Returns the old epoch (0 when unknown).
    std::uint64_t fence_user(std::string_view user);
    /// Users with a current epoch (leak tests).
    std::size_t tracked_users() const noexcept { return users_.size(); }

    //--- commands (guarded calls into the plugin; the caller serializes, see run_serially) ----------

    /// E_UNSUPPORTED when the slot is NULL, E_INTERNAL when not alive.
    tradepush_status open_account(std::string_view user, std::uint64_t epoch, feed::account const& acct,
        std::uint32_t stream_mask);
    tradepush_status request_snapshot(std::string_view user, std::uint64_t epoch, std::string_view account,
        int stream);
    tradepush_status close_account(std::string_view user, std::uint64_t epoch, std::string_view account);
    tradepush_status subscribe_ticker(std::string_view category, std::string_view symbol);
    tradepush_status unsubscribe_ticker(std::string_view category, std::string_view symbol);
    tradepush_status reset_user(std::string_view user, std::uint64_t old_epoch);

    /// True while an entry point of this instance runs.
    bool in_plugin_call() const noexcept { return depth_.load(std::memory_order_relaxed) > 0; }
    /// Runs `fn` now, or queues it (FIFO, on the control executor) when an entry point is running or
    /// earlier calls are still queued, so entry points never nest and keep their order. Queued calls
    /// die with the instance.
    void run_serially(std::function<void()> fn);

    //--- introspection ------------------------------------------------------------------------------

    instance_counters counters() const noexcept;
    std::size_t live_ops() const noexcept { return ops_.size(); }
    std::size_t live_ops(std::string_view user) const { return ops_.size(user); }
    /// Samples recorded through host_api.metric (counters and histograms summed, gauges last value).
    std::map<std::string, double, std::less<>> const& metrics() const noexcept { return metrics_; }
    /// The opaque host pointer handed to the plugin (tests call the table with it).
    tradepush_host* host_handle() noexcept { return reinterpret_cast<tradepush_host*>(this); }
    /// The table handed to the plugin.
    tradepush_host_api const& host_api() const noexcept { return host_api_; }

private:
    struct trampolines;
    friend struct trampolines;

    template<class F>
    decltype(auto) guarded(char const* entry, F&& f);
    bool check_affinity(char const* fn) noexcept;
    void drain();

    tradepush_op start_timer(tradepush_owner const* owner, std::uint64_t delay_ns, std::uint64_t cookie);
    tradepush_op start_http(tradepush_owner const* owner, tradepush_http_request const* req, std::uint64_t cookie);
    tradepush_op start_ws(tradepush_owner const* owner, tradepush_ws_open const* req, std::uint64_t cookie);
    void complete_timer(tradepush_op op);
    void complete_http(tradepush_op op, http_response_data resp);
    void count_http(http_response_data const& resp);
    void complete_ws(tradepush_op op, ws_event_kind kind, std::string_view data);
    /// Checks a completion of `op` and returns its cookie, taking a finished op out of the registry.
    /// nullopt (and a stale drop) when it was cancelled or its owner epoch is no longer current.
    /// `keep` leaves a still-current op registered (WebSocket messages).
    std::optional<std::uint64_t> claim(tradepush_op op, bool keep);
    void emit_data(tradepush_owner const* owner, std::string_view account, int stream, std::string_view category,
        std::string_view symbol, std::string_view json);
    void emit_status(tradepush_owner const* owner, std::string_view account, int stream, std::string_view category,
        std::string_view symbol, int state, std::string_view code, std::string_view message);

    net::any_io_executor control_;
    tradepush_plugin_api api_;
    std::string name_;
    std::string config_;
    feed::sink* sink_;
    instance_io* io_;
    instance_options opts_;
    tradepush_host_api host_api_{};
    tradepush_instance* inst_ = nullptr;
    bool created_ = false;

    op_registry ops_;
    std::unordered_map<std::string, std::uint64_t> users_;
    std::map<std::string, double, std::less<>> metrics_;
    std::deque<std::function<void()>> deferred_;
    bool drain_posted_ = false;

    // Read by host API calls that may come from a foreign thread (the affinity check), hence atomic.
    std::atomic<int> depth_{0};
    std::atomic<std::thread::id> call_thread_{};
    std::atomic<std::size_t> refused_calls_{0};
    instance_counters counters_;

    // Handlers hold a weak_ptr to this: a completion that outlives the instance finds it expired.
    std::shared_ptr<int> life_ = std::make_shared<int>(0);
};

/// Maps a plugin status to the `stream_status` code clients act on ("exchange_auth_failed", ...).
std::string_view status_code(tradepush_status st) noexcept;
/// Readable name of a status ("E_AUTH", ...).
std::string_view to_string(tradepush_status st) noexcept;

} // namespace tradepush::plugin_host
