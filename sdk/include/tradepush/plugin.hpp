// tradepush plugin SDK: a header-only C++20 face for the C ABI in plugin_abi.h.
//
// An author writes one class and one macro line; the SDK builds the C function table:
//
//     class my_plugin {
//     public:
//         my_plugin(tradepush::sdk::host host, std::string_view config_json);
//         void on_timer(tradepush::sdk::op op, std::uint64_t cookie);                  // optional
//         tradepush::sdk::status open_account(tradepush::sdk::owner const& owner,      // optional
//             tradepush::sdk::account const& account, std::uint32_t stream_mask);
//         ...
//     };
//     TRADEPUSH_DEFINE_PLUGIN(my_plugin, "myexchange", "1.0.0", R"({"tickers":["spot"]})");
//
// Every handler is optional: the SDK detects it with `requires` and leaves the C slot NULL (the host then
// answers TRADEPUSH_E_UNSUPPORTED itself) when the class lacks it or its signature does not match.
//
// THREADING: the ABI rules apply unchanged. All handlers of one instance run serially on its strand, so a
// plugin needs no locks; `host` methods may be called only from inside a handler (log() excepted).
// EXCEPTIONS: handlers may throw. The trampolines are noexcept and catch everything: a command then returns
// TRADEPUSH_E_INTERNAL, a completion is dropped, create() fails with the message; all are logged via the
// host.
#pragma once

#include <tradepush/plugin_abi.h>

#include <array>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace tradepush::sdk {

/// A host operation id (timer, HTTP request, WebSocket); 0 means "not started".
using op = tradepush_op;

/// Result of a command; the values are the ABI's tradepush_status.
enum class status : int {
    ok = TRADEPUSH_OK,
    invalid = TRADEPUSH_E_INVALID,
    unsupported = TRADEPUSH_E_UNSUPPORTED,
    auth = TRADEPUSH_E_AUTH,
    rate_limit = TRADEPUSH_E_RATE_LIMIT,
    not_found = TRADEPUSH_E_NOT_FOUND,
    transient = TRADEPUSH_E_TRANSIENT,
    internal = TRADEPUSH_E_INTERNAL
};

/// Log levels of host::log; the values are the ABI's tradepush_log_level.
enum class log_level : int {
    trace = TRADEPUSH_LOG_TRACE,
    debug = TRADEPUSH_LOG_DEBUG,
    info = TRADEPUSH_LOG_INFO,
    warn = TRADEPUSH_LOG_WARN,
    error = TRADEPUSH_LOG_ERROR
};

/// The client-protocol streams; the values are the ABI's tradepush_stream.
enum class stream : int {
    balance = TRADEPUSH_STREAM_BALANCE,
    positions = TRADEPUSH_STREAM_POSITIONS,
    pnl = TRADEPUSH_STREAM_PNL,
    orders = TRADEPUSH_STREAM_ORDERS,
    ticker = TRADEPUSH_STREAM_TICKER,
    all_account = TRADEPUSH_STREAM_ALL_ACCOUNT ///< only for host::emit_status
};

/// State of a stream in `stream_status`; the values are the ABI's tradepush_stream_state.
enum class stream_state : int {
    live = TRADEPUSH_STATE_LIVE,
    stale = TRADEPUSH_STATE_STALE,
    error = TRADEPUSH_STATE_ERROR
};

/// Kinds of on_ws_event; the values are the ABI's tradepush_ws_event_kind.
enum class ws_event_kind : int {
    open = TRADEPUSH_WS_OPEN,
    text = TRADEPUSH_WS_TEXT,
    binary = TRADEPUSH_WS_BINARY,
    closed = TRADEPUSH_WS_CLOSED
};

/// Kinds of host::metric samples.
enum class metric_kind : int { counter = 0, gauge = 1, histogram = 2 };

/// The bit of `s` in an open_account stream mask.
constexpr std::uint32_t
stream_bit(stream s) noexcept
{
    return std::uint32_t{1} << static_cast<int>(s);
}

/// True when `mask` contains stream `s`.
constexpr bool
has_stream(std::uint32_t mask, stream s) noexcept
{
    return (mask & stream_bit(s)) != 0;
}

/// Views a borrowed ABI string; valid only as long as the ABI string is (the current call).
constexpr std::string_view
to_string_view(tradepush_str s) noexcept
{
    return s.len == 0 ? std::string_view{} : std::string_view{s.ptr, s.len};
}

/// Borrows `s` as an ABI string; `s` must outlive the ABI call it is passed to.
constexpr tradepush_str
to_abi(std::string_view s) noexcept
{
    return tradepush_str{s.data(), s.size()};
}

//------------------------------------------------------------------------------------------------------

/// Who an operation or emit belongs to: a user and the epoch of their session. An empty user is public.
/// A value type: it owns its copy of the user id, so it may be kept across calls.
struct owner {
    std::string user;       ///< the user id; empty for public/shared streams (tickers)
    std::uint64_t epoch{0}; ///< the session epoch the host fences completions and emits with

    /// Copies a borrowed ABI owner (a null pointer gives the public owner).
    static owner
    from_abi(tradepush_owner const* o)
    {
        if(o == nullptr)
            return owner{};
        return owner{std::string{to_string_view(o->user)}, o->epoch};
    }

    /// Borrows this owner as an ABI owner; valid while *this is alive and unchanged.
    tradepush_owner
    to_abi() const noexcept
    {
        return tradepush_owner{sdk::to_abi(user), epoch};
    }

    /// True for the public owner (tickers and other shared streams).
    bool
    is_public() const noexcept
    {
        return user.empty();
    }

    /// Member-wise equality.
    friend bool operator==(owner const&, owner const&) = default;
};

/// An exchange account passed to open_account. BORROWED: every view dies when the call returns; copy what
/// you keep, and never log api_secret.
struct account {
    std::string_view label;      ///< e.g. "main"
    std::string_view exchange;   ///< e.g. "bybit"
    std::string_view network;    ///< "mainnet" | "testnet" | "demo"
    std::string_view api_key;    ///< the exchange API key
    std::string_view api_secret; ///< never log it
};

/// One HTTP or WebSocket header, owned.
using header = std::pair<std::string, std::string>;

/// An HTTP(S) request for host::http. Owned by the caller; the host copies it during the call.
struct http_request {
    std::string method{"GET"};                  ///< "GET", "POST", ...
    std::string url;                            ///< absolute http:// or https:// URL, query included
    std::vector<header> headers;                ///< request headers
    std::string body;                           ///< request body, may be empty
    std::chrono::milliseconds timeout{0};       ///< 0: the host default
};

/// The outcome of an HTTP request, as seen by on_http_done. BORROWED: the views die when the handler returns.
struct http_response {
    int status{0};                                                     ///< HTTP status; 0 when no response
    std::string_view error;                                            ///< transport error or empty
    std::vector<std::pair<std::string_view, std::string_view>> headers; ///< response headers (borrowed)
    std::string_view body;                                             ///< response body (borrowed)
    std::chrono::nanoseconds elapsed{0};                               ///< from request start to completion
};

/// A WebSocket to open with host::ws_open. Owned by the caller; the host copies it during the call.
struct ws_request {
    std::string url;                      ///< ws:// or wss://
    std::vector<header> headers;          ///< handshake headers
    std::chrono::milliseconds timeout{0}; ///< connect timeout; 0: the host default
};

//------------------------------------------------------------------------------------------------------

/// Typed access to the host services of one instance. A cheap copyable handle (two pointers).
/// OWNERSHIP: both pointers are HOST-OWNED and valid from create until destroy returns; do not keep a host
/// beyond the instance. THREADING: call only from inside a handler of the instance, except log().
/// Every method checks the table's struct_size before using a slot: a slot the host does not offer makes
/// the method return 0 / status::unsupported / nothing instead of crashing.
class host {
public:
    /// Wraps the pointers create() received.
    host(tradepush_host* native, tradepush_host_api const* api) noexcept : native_(native), api_(api) {}

    /// The raw host pointer, for calling a slot newer than this SDK.
    tradepush_host*
    native_handle() const noexcept
    {
        return native_;
    }

    /// The raw host table (HOST-OWNED); check struct_size before reading slots newer than this SDK.
    tradepush_host_api const*
    api() const noexcept
    {
        return api_;
    }

    /// Logs a line tagged with the plugin's name. Thread-safe. Never pass secrets.
    void
    log(log_level level, std::string_view message) const noexcept
    {
        if(auto f = slot(&tradepush_host_api::log))
            f(native_, static_cast<int>(level), to_abi(message));
    }

    /// The host's monotonic clock (virtual in tests); 0 if the host lacks it.
    std::chrono::nanoseconds
    now() const noexcept
    {
        auto f = slot(&tradepush_host_api::now_ns);
        return std::chrono::nanoseconds{f ? static_cast<std::int64_t>(f(native_)) : 0};
    }

    /// Wall clock in ms since the Unix epoch (exchange timestamps); 0 if the host lacks it.
    std::uint64_t
    wall_ms() const noexcept
    {
        auto f = slot(&tradepush_host_api::wall_ms);
        return f ? f(native_) : 0;
    }

    /// Starts a one-shot timer owned by `who`; on_timer(op, cookie) follows unless cancelled. 0 on refusal.
    op
    start_timer(owner const& who, std::chrono::nanoseconds delay, std::uint64_t cookie) const noexcept
    {
        auto f = slot(&tradepush_host_api::timer_start);
        if(!f)
            return 0;
        auto const o = who.to_abi();
        auto const ns = delay.count() < 0 ? std::uint64_t{0} : static_cast<std::uint64_t>(delay.count());
        return f(native_, &o, ns, cookie);
    }

    /// Starts an HTTP(S) request owned by `who`; on_http_done(op, cookie, response) follows unless
    /// cancelled. 0 on refusal. May throw std::bad_alloc (building the header array).
    op
    http(owner const& who, http_request const& request, std::uint64_t cookie) const
    {
        auto f = slot(&tradepush_host_api::http_request);
        if(!f)
            return 0;
        auto const headers = to_abi_headers(request.headers);
        tradepush_http_request r{};
        r.struct_size = sizeof r;
        r.method = to_abi(request.method);
        r.url = to_abi(request.url);
        r.headers = headers.data();
        r.header_count = headers.size();
        r.body = to_abi(request.body);
        r.timeout_ms = clamp_ms(request.timeout);
        auto const o = who.to_abi();
        return f(native_, &o, &r, cookie);
    }

    /// Opens a WebSocket owned by `who`; on_ws_event(op, cookie, ...) follows for open, messages and the
    /// final close. 0 on refusal. May throw std::bad_alloc (building the header array).
    op
    ws_open(owner const& who, ws_request const& request, std::uint64_t cookie) const
    {
        auto f = slot(&tradepush_host_api::ws_open);
        if(!f)
            return 0;
        auto const headers = to_abi_headers(request.headers);
        tradepush_ws_open r{};
        r.struct_size = sizeof r;
        r.url = to_abi(request.url);
        r.headers = headers.data();
        r.header_count = headers.size();
        r.timeout_ms = clamp_ms(request.timeout);
        auto const o = who.to_abi();
        return f(native_, &o, &r, cookie);
    }

    /// Sends a text (or binary) message on an open WebSocket.
    status
    ws_send(op ws, std::string_view payload, bool binary = false) const noexcept
    {
        auto f = slot(&tradepush_host_api::ws_send);
        if(!f)
            return status::unsupported;
        return static_cast<status>(f(native_, ws, to_abi(payload), binary ? 1 : 0));
    }

    /// Cancels an operation (closes a WebSocket); no completion follows. Idempotent; 0 is ignored.
    void
    cancel(op operation) const noexcept
    {
        if(operation == 0)
            return;
        if(auto f = slot(&tradepush_host_api::op_cancel))
            f(native_, operation);
    }

    /// HMAC-SHA256 of `msg` with `key` into `out`; status::unsupported if the host lacks it.
    status
    hmac_sha256(std::string_view key, std::string_view msg, std::array<std::uint8_t, 32>& out) const noexcept
    {
        auto f = slot(&tradepush_host_api::hmac_sha256);
        if(!f)
            return status::unsupported;
        return static_cast<status>(f(native_, to_abi(key), to_abi(msg), out.data()));
    }

    /// HMAC-SHA256 of `msg` with `key`; throws std::runtime_error when the host cannot compute it.
    std::array<std::uint8_t, 32>
    hmac_sha256(std::string_view key, std::string_view msg) const
    {
        std::array<std::uint8_t, 32> out{};
        if(hmac_sha256(key, msg, out) != status::ok)
            throw std::runtime_error("host hmac_sha256 failed");
        return out;
    }

    /// Publishes the full current state of an account stream of (who, account) as compact JSON.
    void
    emit_data(owner const& who, std::string_view account, stream s, std::string_view json) const noexcept
    {
        emit_data(who, account, s, {}, {}, json);
    }

    /// Publishes the full latest ticker of the public stream (category, symbol) as compact JSON.
    void
    emit_ticker(std::string_view category, std::string_view symbol, std::string_view json) const noexcept
    {
        emit_data(owner{}, {}, stream::ticker, category, symbol, json);
    }

    /// Publishes a stream's full state; the general form behind emit_data/emit_ticker above.
    void
    emit_data(owner const& who, std::string_view account, stream s, std::string_view category,
        std::string_view symbol, std::string_view json) const noexcept
    {
        auto f = slot(&tradepush_host_api::emit_data);
        if(!f)
            return;
        auto const o = who.to_abi();
        f(native_, &o, to_abi(account), static_cast<int>(s), to_abi(category), to_abi(symbol), to_abi(json));
    }

    /// Publishes a stream's state (s may be stream::all_account) with a code clients can act on.
    void
    emit_status(owner const& who, std::string_view account, stream s, std::string_view category,
        std::string_view symbol, stream_state state, std::string_view code,
        std::string_view message) const noexcept
    {
        auto f = slot(&tradepush_host_api::emit_status);
        if(!f)
            return;
        auto const o = who.to_abi();
        f(native_, &o, to_abi(account), static_cast<int>(s), to_abi(category), to_abi(symbol),
            static_cast<int>(state), to_abi(code), to_abi(message));
    }

    /// Records a metric sample.
    void
    metric(std::string_view name, metric_kind kind, double value) const noexcept
    {
        if(auto f = slot(&tradepush_host_api::metric))
            f(native_, to_abi(name), static_cast<int>(kind), value);
    }

private:
    // A slot is usable only if the host's table is long enough to contain it (an older host has a shorter
    // table, and the bytes past its end are not ours to read) and the host filled it in.
    template<class F>
    F
    slot(F tradepush_host_api::*member) const noexcept
    {
        if(api_ == nullptr)
            return nullptr;
        auto const* base = reinterpret_cast<unsigned char const*>(api_);
        auto const* field = reinterpret_cast<unsigned char const*>(&(api_->*member));
        if(static_cast<std::size_t>(field - base) + sizeof(F) > api_->struct_size)
            return nullptr;
        return api_->*member;
    }

    // The header array borrows from `headers`, which outlives the host call.
    static std::vector<tradepush_header>
    to_abi_headers(std::vector<header> const& headers)
    {
        std::vector<tradepush_header> out;
        out.reserve(headers.size());
        for(auto const& [name, value] : headers)
            out.push_back(tradepush_header{to_abi(name), to_abi(value)});
        return out;
    }

    static std::uint32_t
    clamp_ms(std::chrono::milliseconds ms) noexcept
    {
        if(ms.count() <= 0)
            return 0;
        return ms.count() > 0xffffffffLL ? 0xffffffffu : static_cast<std::uint32_t>(ms.count());
    }

    tradepush_host* native_;
    tradepush_host_api const* api_;
};

//------------------------------------------------------------------------------------------------------

namespace detail {

// Optional handlers, detected by exact call shape and result type. A misspelt or mistyped handler is
// simply "not implemented" (NULL slot), which the host reports as unsupported.
template<class P>
concept has_on_timer = requires(P& p, op o, std::uint64_t c) { { p.on_timer(o, c) } -> std::same_as<void>; };
template<class P>
concept has_on_http_done = requires(P& p, op o, std::uint64_t c, http_response const& r) {
    { p.on_http_done(o, c, r) } -> std::same_as<void>;
};
template<class P>
concept has_on_ws_event = requires(P& p, op o, std::uint64_t c, ws_event_kind k, std::string_view d) {
    { p.on_ws_event(o, c, k, d) } -> std::same_as<void>;
};
template<class P>
concept has_open_account = requires(P& p, owner const& o, account const& a, std::uint32_t m) {
    { p.open_account(o, a, m) } -> std::same_as<status>;
};
template<class P>
concept has_request_snapshot = requires(P& p, owner const& o, std::string_view a, stream s) {
    { p.request_snapshot(o, a, s) } -> std::same_as<status>;
};
template<class P>
concept has_close_account = requires(P& p, owner const& o, std::string_view a) {
    { p.close_account(o, a) } -> std::same_as<status>;
};
template<class P>
concept has_subscribe_ticker = requires(P& p, std::string_view c, std::string_view s) {
    { p.subscribe_ticker(c, s) } -> std::same_as<status>;
};
template<class P>
concept has_unsubscribe_ticker = requires(P& p, std::string_view c, std::string_view s) {
    { p.unsubscribe_ticker(c, s) } -> std::same_as<status>;
};
template<class P>
concept has_reset_user = requires(P& p, owner const& o) { { p.reset_user(o) } -> std::same_as<status>; };

// Copies `text` into a fixed buffer so reporting an exception never allocates (it may be bad_alloc).
inline void
copy_truncated(char* out, std::size_t cap, std::string_view a, std::string_view b) noexcept
{
    if(out == nullptr || cap == 0)
        return;
    std::size_t n = 0;
    for(auto part : {a, b})
        for(char ch : part)
            if(n + 1 < cap)
                out[n++] = ch;
    out[n] = '\0';
}

// The message of the exception being handled; call only inside a catch block.
inline char const*
current_exception_message() noexcept
{
    try {
        throw;
    } catch(std::exception const& e) {
        return e.what();
    } catch(...) {
        return "unknown exception (not derived from std::exception)";
    }
}

// Logs "<where>: <message>" for the exception being handled; call only inside a catch block.
inline void
log_current_exception(host const& h, std::string_view where) noexcept
{
    char buf[512];
    copy_truncated(buf, sizeof buf, where, ": exception: ");
    std::string_view const prefix{buf};
    char line[512];
    copy_truncated(line, sizeof line, prefix, current_exception_message());
    h.log(log_level::error, line);
}

// What the host's opaque tradepush_instance* really points to: the author's object plus its host handle,
// kept so exceptions can be logged even when the author's class keeps no host.
template<class P>
struct instance_box {
    host host_;
    P plugin_;

    instance_box(host h, std::string_view config) : host_(h), plugin_(h, config) {}
};

// The box behind an instance pointer this SDK created (the host hands back only what create() returned).
template<class P>
instance_box<P>&
unbox(tradepush_instance* instance) noexcept
{
    return *reinterpret_cast<instance_box<P>*>(instance);
}

// The C entry points of plugin class P. Each is noexcept and catches everything (ABI rule 4).
template<class P>
struct trampolines {
    static tradepush_instance*
    create(tradepush_host* native, tradepush_host_api const* api, tradepush_str config, char* err,
        std::size_t err_cap) noexcept
    {
        host const h{native, api};
        try {
            auto* box = new instance_box<P>(h, to_string_view(config));
            return reinterpret_cast<tradepush_instance*>(box);
        } catch(...) {
            copy_truncated(err, err_cap, current_exception_message(), {});
            log_current_exception(h, "create");
            return nullptr;
        }
    }

    static void
    destroy(tradepush_instance* instance) noexcept
    {
        // A throwing destructor would already terminate via noexcept; nothing to catch here.
        delete &unbox<P>(instance);
    }

    static void
    on_timer(tradepush_instance* instance, op o, std::uint64_t cookie) noexcept
    {
        auto& box = unbox<P>(instance);
        try {
            box.plugin_.on_timer(o, cookie);
        } catch(...) {
            log_current_exception(box.host_, "on_timer");
        }
    }

    static void
    on_http_done(tradepush_instance* instance, op o, std::uint64_t cookie,
        tradepush_http_response const* r) noexcept
    {
        auto& box = unbox<P>(instance);
        try {
            http_response response;
            if(r != nullptr) {
                response.status = r->status;
                response.error = to_string_view(r->error);
                response.headers.reserve(r->header_count);
                for(std::size_t i = 0; i < r->header_count; ++i)
                    response.headers.emplace_back(
                        to_string_view(r->headers[i].name), to_string_view(r->headers[i].value));
                response.body = to_string_view(r->body);
                response.elapsed = std::chrono::nanoseconds{static_cast<std::int64_t>(r->elapsed_ns)};
            }
            box.plugin_.on_http_done(o, cookie, static_cast<http_response const&>(response));
        } catch(...) {
            log_current_exception(box.host_, "on_http_done");
        }
    }

    static void
    on_ws_event(tradepush_instance* instance, op o, std::uint64_t cookie, int kind, tradepush_str data) noexcept
    {
        auto& box = unbox<P>(instance);
        try {
            box.plugin_.on_ws_event(o, cookie, static_cast<ws_event_kind>(kind), to_string_view(data));
        } catch(...) {
            log_current_exception(box.host_, "on_ws_event");
        }
    }

    // Commands share one shape: run the handler, map any exception to TRADEPUSH_E_INTERNAL.
    template<class F>
    static tradepush_status
    command(tradepush_instance* instance, char const* where, F&& f) noexcept
    {
        auto& box = unbox<P>(instance);
        try {
            return static_cast<tradepush_status>(f(box.plugin_));
        } catch(...) {
            log_current_exception(box.host_, where);
            return TRADEPUSH_E_INTERNAL;
        }
    }

    static tradepush_status
    open_account(tradepush_instance* instance, tradepush_owner const* o, tradepush_account const* a,
        std::uint32_t mask) noexcept
    {
        return command(instance, "open_account", [&](P& p) {
            account acc;
            if(a != nullptr) {
                acc = account{to_string_view(a->label), to_string_view(a->exchange), to_string_view(a->network),
                    to_string_view(a->api_key), to_string_view(a->api_secret)};
            }
            return p.open_account(owner::from_abi(o), static_cast<account const&>(acc), mask);
        });
    }

    static tradepush_status
    request_snapshot(tradepush_instance* instance, tradepush_owner const* o, tradepush_str a, int s) noexcept
    {
        return command(instance, "request_snapshot",
            [&](P& p) {
                return p.request_snapshot(owner::from_abi(o), to_string_view(a), static_cast<stream>(s));
            });
    }

    static tradepush_status
    close_account(tradepush_instance* instance, tradepush_owner const* o, tradepush_str a) noexcept
    {
        return command(instance, "close_account",
            [&](P& p) { return p.close_account(owner::from_abi(o), to_string_view(a)); });
    }

    static tradepush_status
    subscribe_ticker(tradepush_instance* instance, tradepush_str category, tradepush_str symbol) noexcept
    {
        return command(instance, "subscribe_ticker",
            [&](P& p) { return p.subscribe_ticker(to_string_view(category), to_string_view(symbol)); });
    }

    static tradepush_status
    unsubscribe_ticker(tradepush_instance* instance, tradepush_str category, tradepush_str symbol) noexcept
    {
        return command(instance, "unsubscribe_ticker",
            [&](P& p) { return p.unsubscribe_ticker(to_string_view(category), to_string_view(symbol)); });
    }

    static tradepush_status
    reset_user(tradepush_instance* instance, tradepush_owner const* o) noexcept
    {
        return command(instance, "reset_user", [&](P& p) { return p.reset_user(owner::from_abi(o)); });
    }
};

/// Builds the constant function table of plugin class P (used by TRADEPUSH_DEFINE_PLUGIN).
template<class P>
consteval tradepush_plugin_api
make_plugin_api(char const* name, char const* version, char const* features_json) noexcept
{
    static_assert(std::is_constructible_v<P, host, std::string_view>,
        "a plugin class needs a constructor P(tradepush::sdk::host, std::string_view config_json)");
    using t = trampolines<P>;
    tradepush_plugin_api api{};
    api.struct_size = sizeof(tradepush_plugin_api);
    api.abi_major = TRADEPUSH_ABI_MAJOR;
    api.abi_minor = TRADEPUSH_ABI_MINOR;
    api.reserved = 0;
    api.name = name;
    api.version = version;
    api.features_json = features_json;
    api.create = &t::create;
    api.destroy = &t::destroy;
    if constexpr(has_on_timer<P>)
        api.on_timer = &t::on_timer;
    if constexpr(has_on_http_done<P>)
        api.on_http_done = &t::on_http_done;
    if constexpr(has_on_ws_event<P>)
        api.on_ws_event = &t::on_ws_event;
    if constexpr(has_open_account<P>)
        api.open_account = &t::open_account;
    if constexpr(has_request_snapshot<P>)
        api.request_snapshot = &t::request_snapshot;
    if constexpr(has_close_account<P>)
        api.close_account = &t::close_account;
    if constexpr(has_subscribe_ticker<P>)
        api.subscribe_ticker = &t::subscribe_ticker;
    if constexpr(has_unsubscribe_ticker<P>)
        api.unsubscribe_ticker = &t::unsubscribe_ticker;
    if constexpr(has_reset_user<P>)
        api.reset_user = &t::reset_user;
    return api;
}

} // namespace detail

} // namespace tradepush::sdk

/// Defines the exported entry symbol `tradepush_plugin_entry_v1` for plugin class `class_name`; write it
/// once per shared library, at global namespace scope in one .cpp file, followed by a semicolon:
///     TRADEPUSH_DEFINE_PLUGIN(my_plugin, "myexchange", "1.0.0", R"({"tickers":["spot"]})");;
/// The table is a namespace-scope constant (constant-initialized: no destructor, no guard variable), so the
/// image has no GNU unique or TLS-destructor symbols and can really be unloaded (plugin-abi.md §1.5). The
/// entry returns NULL unless the host's ABI major matches; the host itself checks that this plugin's minor
/// is not newer than its own. Entry THREADING: called on the host's control thread; allocates nothing.
#define TRADEPUSH_DEFINE_PLUGIN(class_name, name, version, features_json)                                  \
    namespace {                                                                                             \
    constexpr ::tradepush_plugin_api tradepush_sdk_plugin_table_ =                                         \
        ::tradepush::sdk::detail::make_plugin_api<class_name>(name, version, features_json);               \
    }                                                                                                       \
    extern "C" TRADEPUSH_EXPORT ::tradepush_plugin_api const* tradepush_plugin_entry_v1(                   \
        ::std::uint32_t host_abi_major, ::std::uint32_t /*host_abi_minor*/)                                 \
    {                                                                                                       \
        return host_abi_major == TRADEPUSH_ABI_MAJOR ? &tradepush_sdk_plugin_table_ : nullptr;             \
    }                                                                                                       \
    static_assert(true, "TRADEPUSH_DEFINE_PLUGIN(...) takes a trailing semicolon")
