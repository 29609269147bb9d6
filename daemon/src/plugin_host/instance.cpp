#include "plugin_host/instance.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/parse.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

namespace tradepush::plugin_host {

namespace {

std::string_view
sv(tradepush_str s) noexcept
{
    return s.ptr && s.len ? std::string_view(s.ptr, s.len) : std::string_view();
}

tradepush_str
str(std::string_view s) noexcept
{
    return tradepush_str{s.data(), s.size()};
}

/// Reads a plugin-supplied request struct of any (older or newer) size into our layout, zeroing
/// the fields an older plugin does not know (ABI rule: min(struct_size, sizeof)).
template<class T>
T
read_sized(T const* in) noexcept
{
    T out{};
    if(!in)
        return out;
    std::size_t const n = std::min<std::size_t>(in->struct_size, sizeof(T));
    std::memcpy(&out, in, n);
    return out;
}

header_list
copy_headers(tradepush_header const* h, std::size_t n)
{
    header_list out;
    if(!h)
        return out;
    out.reserve(n);
    for(std::size_t i = 0; i < n; ++i)
        out.emplace_back(std::string(sv(h[i].name)), std::string(sv(h[i].value)));
    return out;
}

spdlog::level::level_enum
to_spdlog(int level) noexcept
{
    switch(level) {
    case TRADEPUSH_LOG_TRACE: return spdlog::level::trace;
    case TRADEPUSH_LOG_DEBUG: return spdlog::level::debug;
    case TRADEPUSH_LOG_INFO: return spdlog::level::info;
    case TRADEPUSH_LOG_WARN: return spdlog::level::warn;
    default: return spdlog::level::err;
    }
}

} // namespace

std::string_view
to_string(tradepush_status st) noexcept
{
    switch(st) {
    case TRADEPUSH_OK: return "OK";
    case TRADEPUSH_E_INVALID: return "E_INVALID";
    case TRADEPUSH_E_UNSUPPORTED: return "E_UNSUPPORTED";
    case TRADEPUSH_E_AUTH: return "E_AUTH";
    case TRADEPUSH_E_RATE_LIMIT: return "E_RATE_LIMIT";
    case TRADEPUSH_E_NOT_FOUND: return "E_NOT_FOUND";
    case TRADEPUSH_E_TRANSIENT: return "E_TRANSIENT";
    case TRADEPUSH_E_INTERNAL: return "E_INTERNAL";
    }
    return "E_UNKNOWN";
}

std::string_view
status_code(tradepush_status st) noexcept
{
    switch(st) {
    case TRADEPUSH_OK: return "ok";
    case TRADEPUSH_E_AUTH: return "exchange_auth_failed";
    case TRADEPUSH_E_RATE_LIMIT: return "rate_limited";
    case TRADEPUSH_E_UNSUPPORTED: return "unsupported";
    case TRADEPUSH_E_NOT_FOUND: return "not_found";
    case TRADEPUSH_E_INVALID: return "invalid_request";
    case TRADEPUSH_E_TRANSIENT: return "exchange_unavailable";
    default: return "plugin_error";
    }
}

//------------------------------------------------------------------------------------------------
// The C table handed to the plugin. Each function recovers the instance from the opaque host
// pointer (it *is* the instance) and refuses calls made outside an entry point.

struct instance::trampolines {
    static instance*
    self(tradepush_host* h) noexcept
    {
        return reinterpret_cast<instance*>(h);
    }

    static void
    log(tradepush_host* h, int level, tradepush_str message) noexcept
    {
        // Thread-safe by contract: touches only the immutable name and spdlog (which locks).
        if(!h)
            return;
        spdlog::log(to_spdlog(level), "[{}] {}", self(h)->name_, sv(message));
    }

    static std::uint64_t
    now_ns(tradepush_host* h) noexcept
    {
        if(!h || !self(h)->check_affinity("now_ns"))
            return 0;
        auto& o = self(h)->opts_;
        if(o.now_ns)
            return o.now_ns();
        return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::chrono::steady_clock::now().time_since_epoch()).count());
    }

    static std::uint64_t
    wall_ms(tradepush_host* h) noexcept
    {
        if(!h || !self(h)->check_affinity("wall_ms"))
            return 0;
        auto& o = self(h)->opts_;
        if(o.wall_ms)
            return o.wall_ms();
        return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::system_clock::now().time_since_epoch()).count());
    }

    static tradepush_op
    timer_start(tradepush_host* h, tradepush_owner const* owner, std::uint64_t delay_ns, std::uint64_t cookie) noexcept
    {
        if(!h || !self(h)->check_affinity("timer_start"))
            return 0;
        return self(h)->start_timer(owner, delay_ns, cookie);
    }

    static tradepush_op
    http_request(tradepush_host* h, tradepush_owner const* owner, tradepush_http_request const* req,
        std::uint64_t cookie) noexcept
    {
        if(!h || !self(h)->check_affinity("http_request"))
            return 0;
        return self(h)->start_http(owner, req, cookie);
    }

    static tradepush_op
    ws_open(tradepush_host* h, tradepush_owner const* owner, tradepush_ws_open const* req, std::uint64_t cookie) noexcept
    {
        if(!h || !self(h)->check_affinity("ws_open"))
            return 0;
        return self(h)->start_ws(owner, req, cookie);
    }

    static tradepush_status
    ws_send(tradepush_host* h, tradepush_op ws, tradepush_str payload, int binary) noexcept
    {
        if(!h || !self(h)->check_affinity("ws_send"))
            return TRADEPUSH_E_INVALID;
        auto* rec = self(h)->ops_.find(ws);
        if(!rec || rec->kind != op_kind::ws || !rec->ws)
            return TRADEPUSH_E_NOT_FOUND;
        // Not open yet, or closing: the plugin retries after its open event.
        if(!rec->ws->send(std::string(sv(payload)), binary != 0))
            return TRADEPUSH_E_TRANSIENT;
        return TRADEPUSH_OK;
    }

    static void
    op_cancel(tradepush_host* h, tradepush_op op) noexcept
    {
        if(!h || !self(h)->check_affinity("op_cancel"))
            return;
        // Idempotent; unknown ops (0, finished, never started) are ignored.
        self(h)->ops_.cancel(op);
    }

    static tradepush_status
    hmac_sha256(tradepush_host* h, tradepush_str key, tradepush_str msg, std::uint8_t out[32]) noexcept
    {
        if(!h || !self(h)->check_affinity("hmac_sha256"))
            return TRADEPUSH_E_INVALID;
        if(!out || key.len > static_cast<std::size_t>(std::numeric_limits<int>::max()))
            return TRADEPUSH_E_INVALID;
        // HMAC() tolerates a null key pointer only with length 0; give it a valid empty buffer.
        static unsigned char const empty = 0;
        unsigned int len = 0;
        auto const* k = key.ptr ? key.ptr : reinterpret_cast<char const*>(&empty);
        auto const* m = msg.ptr ? reinterpret_cast<unsigned char const*>(msg.ptr) : &empty;
        if(!HMAC(EVP_sha256(), k, static_cast<int>(key.len), m, msg.ptr ? msg.len : 0, out, &len) || len != 32)
            return TRADEPUSH_E_INTERNAL;
        return TRADEPUSH_OK;
    }

    static void
    emit_data(tradepush_host* h, tradepush_owner const* owner, tradepush_str account, int stream,
        tradepush_str category, tradepush_str symbol, tradepush_str json) noexcept
    {
        if(!h || !self(h)->check_affinity("emit_data"))
            return;
        self(h)->emit_data(owner, sv(account), stream, sv(category), sv(symbol), sv(json));
    }

    static void
    emit_status(tradepush_host* h, tradepush_owner const* owner, tradepush_str account, int stream,
        tradepush_str category, tradepush_str symbol, int state, tradepush_str code, tradepush_str message) noexcept
    {
        if(!h || !self(h)->check_affinity("emit_status"))
            return;
        self(h)->emit_status(owner, sv(account), stream, sv(category), sv(symbol), state, sv(code), sv(message));
    }

    static void
    metric(tradepush_host* h, tradepush_str name, int kind, double value) noexcept
    {
        if(!h || !self(h)->check_affinity("metric"))
            return;
        auto& m = self(h)->metrics_;
        auto it = m.find(sv(name));
        if(it == m.end())
            it = m.emplace(std::string(sv(name)), 0.0).first;
        // Gauges keep the last value; counters and histograms (for now) accumulate.
        if(kind == 1)
            it->second = value;
        else
            it->second += value;
    }
};

//------------------------------------------------------------------------------------------------

instance::instance(net::any_io_executor control, tradepush_plugin_api const& api, std::string name,
    std::string config, feed::sink* sink, instance_io* io, instance_options opts)
    : control_(std::move(control))
    , api_(api)
    , name_(std::move(name))
    , config_(std::move(config))
    , sink_(sink)
    , io_(io)
    , opts_(std::move(opts))
{
    host_api_.struct_size = sizeof(tradepush_host_api);
    host_api_.abi_major = TRADEPUSH_ABI_MAJOR;
    host_api_.abi_minor = TRADEPUSH_ABI_MINOR;
    host_api_.log = &trampolines::log;
    host_api_.now_ns = &trampolines::now_ns;
    host_api_.wall_ms = &trampolines::wall_ms;
    host_api_.timer_start = &trampolines::timer_start;
    host_api_.http_request = &trampolines::http_request;
    host_api_.ws_open = &trampolines::ws_open;
    host_api_.ws_send = &trampolines::ws_send;
    host_api_.op_cancel = &trampolines::op_cancel;
    host_api_.hmac_sha256 = &trampolines::hmac_sha256;
    host_api_.emit_data = &trampolines::emit_data;
    host_api_.emit_status = &trampolines::emit_status;
    host_api_.metric = &trampolines::metric;
}

instance::~instance()
{
    destroy();
    // Whatever is still queued must not run against a dead object.
    life_.reset();
}

/// Every call into the plugin: marks the entry point running (for the affinity check of host API
/// calls), and measures it against the budget.
template<class F>
decltype(auto)
instance::guarded(char const* entry, F&& f)
{
    if(depth_.load(std::memory_order_relaxed) > 0)
        spdlog::error("[{}] nested entry point {} (a bug in the host: calls must go through run_serially)",
            name_, entry);
    ++counters_.plugin_calls;
    call_thread_.store(std::this_thread::get_id(), std::memory_order_relaxed);
    depth_.fetch_add(1, std::memory_order_relaxed);

    struct scope {
        instance& self;
        char const* entry;
        std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();
        ~scope()
        {
            self.depth_.fetch_sub(1, std::memory_order_relaxed);
            auto const took = std::chrono::steady_clock::now() - t0;
            if(took > self.opts_.call_budget) {
                ++self.counters_.overruns;
                spdlog::warn("[{}] {} took {} us (budget {} us): plugin code must not block", self.name_,
                    entry, std::chrono::duration_cast<std::chrono::microseconds>(took).count(),
                    std::chrono::duration_cast<std::chrono::microseconds>(self.opts_.call_budget).count());
            }
        }
    } s{*this, entry};
    return std::forward<F>(f)();
}

bool
instance::check_affinity(char const* fn) noexcept
{
    // Valid only from inside an entry point, on the thread running it (ABI threading rule 2).
    if(depth_.load(std::memory_order_relaxed) > 0
        && call_thread_.load(std::memory_order_relaxed) == std::this_thread::get_id())
        return true;
    refused_calls_.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("[{}] host API {} called outside an entry point or off the instance strand: refused", name_, fn);
    return false;
}

instance_counters
instance::counters() const noexcept
{
    instance_counters c = counters_;
    c.refused_calls = refused_calls_.load(std::memory_order_relaxed);
    return c;
}

boost::system::result<void, std::string>
instance::create()
{
    if(created_)
        return std::string("create called twice");
    created_ = true;
    if(!api_.create)
        return std::string("plugin has no create");
    char err[512] = {};
    tradepush_instance* p = guarded("create", [&] {
        return api_.create(host_handle(), &host_api_, str(config_), err, sizeof err);
    });
    if(!p) {
        // Ops the plugin started before failing die with it.
        ops_.cancel_all();
        err[sizeof err - 1] = '\0';
        std::string msg = err[0] ? std::string(err) : std::string("create failed");
        spdlog::error("[{}] create failed: {}", name_, msg);
        return msg;
    }
    inst_ = p;
    return {};
}

void
instance::destroy()
{
    if(!inst_)
        return;
    if(in_plugin_call())
        spdlog::error("[{}] destroy called from inside a plugin call (a host bug)", name_);
    // Cancel first: the plugin's destroy may free what a completion would touch, and the ABI
    // promises no completion after it.
    ops_.cancel_all();
    tradepush_instance* p = inst_;
    if(api_.destroy)
        guarded("destroy", [&] { api_.destroy(p); });
    inst_ = nullptr;
    // Anything the plugin started while being destroyed.
    ops_.cancel_all();
    deferred_.clear();
}

void
instance::run_serially(std::function<void()> fn)
{
    if(!in_plugin_call() && deferred_.empty()) {
        fn();
        return;
    }
    ++counters_.deferred_calls;
    deferred_.push_back(std::move(fn));
    if(drain_posted_)
        return;
    drain_posted_ = true;
    net::post(control_, [this, life = std::weak_ptr<int>(life_)] {
        if(life.expired())
            return;
        drain();
    });
}

void
instance::drain()
{
    drain_posted_ = false;
    // Calls queued while draining land behind the current ones; run them in the same pass.
    while(!deferred_.empty()) {
        if(in_plugin_call()) {
            // Cannot happen from the executor, but never nest: try again later.
            run_serially([] {});
            return;
        }
        auto fn = std::move(deferred_.front());
        deferred_.pop_front();
        fn();
    }
}

//--- epoch fence -----------------------------------------------------------------------------------

void
instance::set_epoch(std::string_view user, std::uint64_t epoch)
{
    if(user.empty())
        return;
    users_[std::string(user)] = epoch;
}

std::optional<std::uint64_t>
instance::epoch(std::string_view user) const
{
    auto it = users_.find(std::string(user));
    if(it == users_.end())
        return std::nullopt;
    return it->second;
}

bool
instance::is_current(std::string_view user, std::uint64_t epoch) const
{
    if(user.empty())
        return true;
    auto it = users_.find(std::string(user));
    return it != users_.end() && it->second == epoch;
}

std::uint64_t
instance::fence_user(std::string_view user)
{
    std::uint64_t old = 0;
    if(auto it = users_.find(std::string(user)); it != users_.end()) {
        old = it->second;
        // Forgetting the user is the fence: no epoch matches until the hub opens it again.
        users_.erase(it);
    }
    auto const n = ops_.cancel_user(user);
    spdlog::debug("[{}] fence user {} (epoch {}): {} ops cancelled", name_, user, old, n);
    return old;
}

//--- operations ------------------------------------------------------------------------------------

tradepush_op
instance::start_timer(tradepush_owner const* owner, std::uint64_t delay_ns, std::uint64_t cookie)
{
    auto const user = owner ? sv(owner->user) : std::string_view();
    auto const epoch = owner ? owner->epoch : 0;
    auto const op = ops_.add(user, epoch, op_kind::timer, cookie);
    ++counters_.ops_started;

    auto timer = std::make_shared<net::steady_timer>(control_);
    // Clamp: a huge delay would overflow the clock arithmetic.
    auto const max_delay = static_cast<std::uint64_t>(std::chrono::nanoseconds(std::chrono::hours(24 * 365)).count());
    timer->expires_after(std::chrono::nanoseconds(std::min(delay_ns, max_delay)));
    timer->async_wait([this, life = std::weak_ptr<int>(life_), op, timer](boost::system::error_code) {
        if(life.expired())
            return;
        // Aborted or not, the registry decides: a cancelled op is no longer there.
        run_serially([this, op] { complete_timer(op); });
    });
    ops_.find(op)->cancel = [timer] { timer->cancel(); };
    return op;
}

std::optional<std::uint64_t>
instance::claim(tradepush_op op, bool keep)
{
    auto* rec = ops_.find(op);
    if(!rec) {
        ++counters_.stale_completions;
        return std::nullopt;
    }
    if(!is_current(rec->user, rec->epoch) || !inst_) {
        ++counters_.stale_completions;
        // Stops the I/O too (a WebSocket of an old owner).
        ops_.cancel(op);
        return std::nullopt;
    }
    auto const cookie = rec->cookie;
    if(!keep)
        ops_.erase(op);
    return cookie;
}

void
instance::complete_timer(tradepush_op op)
{
    auto cookie = claim(op, false);
    if(!cookie || !api_.on_timer)
        return;
    guarded("on_timer", [&] { api_.on_timer(inst_, op, *cookie); });
}

tradepush_op
instance::start_http(tradepush_owner const* owner, tradepush_http_request const* in, std::uint64_t cookie)
{
    if(!io_ || !in)
        return 0;
    auto const r = read_sized(in);
    http_request_data req;
    if(r.method.len)
        req.method.assign(sv(r.method));
    req.url.assign(sv(r.url));
    req.headers = copy_headers(r.headers, r.header_count);
    req.body.assign(sv(r.body));
    req.timeout = r.timeout_ms ? std::chrono::milliseconds(r.timeout_ms) : opts_.default_http_timeout;
    if(req.url.empty())
        return 0;

    auto const op = ops_.add(owner ? sv(owner->user) : std::string_view(), owner ? owner->epoch : 0, op_kind::http,
        cookie);
    auto handle = io_->http_request(std::move(req),
        [this, life = std::weak_ptr<int>(life_), op](http_response_data resp) {
            if(life.expired())
                return;
            count_http(resp);
            run_serially([this, op, resp = std::move(resp)]() mutable { complete_http(op, std::move(resp)); });
        });
    if(!handle) {
        ops_.erase(op);
        return 0;
    }
    ++counters_.ops_started;
    // A backend that completed synchronously already took the op out.
    if(auto* rec = ops_.find(op))
        rec->cancel = [handle] { handle->cancel(); };
    return op;
}

void
instance::count_http(http_response_data const& resp)
{
    if(resp.status == 0) {
        ++counters_.http_failures;
        return;
    }
    ++counters_.http_responses;
    if(resp.status >= 400)
        ++counters_.http_error_status;
    auto const ms = std::chrono::duration<double, std::milli>(resp.elapsed).count();
    auto const bucket = std::lower_bound(http_latency_bounds_ms.begin(), http_latency_bounds_ms.end(), ms);
    ++counters_.http_latency_buckets[static_cast<std::size_t>(bucket - http_latency_bounds_ms.begin())];
    counters_.http_latency_sum_s += ms / 1000.0;
}

void
instance::complete_http(tradepush_op op, http_response_data resp)
{
    auto cookie = claim(op, false);
    if(!cookie || !api_.on_http_done)
        return;
    std::vector<tradepush_header> headers;
    headers.reserve(resp.headers.size());
    for(auto const& [n, v] : resp.headers)
        headers.push_back(tradepush_header{str(n), str(v)});
    tradepush_http_response r{};
    r.struct_size = sizeof r;
    r.status = resp.status;
    r.error = str(resp.error);
    r.headers = headers.data();
    r.header_count = headers.size();
    r.body = str(resp.body);
    r.elapsed_ns = static_cast<std::uint64_t>(resp.elapsed.count());
    guarded("on_http_done", [&] { api_.on_http_done(inst_, op, *cookie, &r); });
}

tradepush_op
instance::start_ws(tradepush_owner const* owner, tradepush_ws_open const* in, std::uint64_t cookie)
{
    if(!io_ || !in)
        return 0;
    auto const r = read_sized(in);
    ws_open_data req;
    req.url.assign(sv(r.url));
    req.headers = copy_headers(r.headers, r.header_count);
    req.timeout = r.timeout_ms ? std::chrono::milliseconds(r.timeout_ms) : opts_.default_ws_timeout;
    if(req.url.empty())
        return 0;

    auto const op = ops_.add(owner ? sv(owner->user) : std::string_view(), owner ? owner->epoch : 0, op_kind::ws,
        cookie);
    auto conn = io_->ws_open(std::move(req),
        [this, life = std::weak_ptr<int>(life_), op](ws_event_kind kind, std::string_view data) {
            if(life.expired())
                return;
            if(kind == ws_event_kind::open)
                ++counters_.ws_opens;
            else if(kind == ws_event_kind::closed)
                ++counters_.ws_closes;
            // The common case delivers the borrowed message in place; only a queued call copies it.
            if(!in_plugin_call() && deferred_.empty()) {
                complete_ws(op, kind, data);
                return;
            }
            run_serially([this, op, kind, copy = std::string(data)] { complete_ws(op, kind, copy); });
        });
    if(!conn) {
        ops_.erase(op);
        return 0;
    }
    ++counters_.ops_started;
    if(auto* rec = ops_.find(op)) {
        rec->ws = conn;
        rec->cancel = [conn] { conn->cancel(); };
    }
    return op;
}

void
instance::complete_ws(tradepush_op op, ws_event_kind kind, std::string_view data)
{
    // The closed event ends the op; every other event keeps it registered.
    auto cookie = claim(op, kind != ws_event_kind::closed);
    if(!cookie || !api_.on_ws_event)
        return;
    int k = TRADEPUSH_WS_CLOSED;
    switch(kind) {
    case ws_event_kind::open: k = TRADEPUSH_WS_OPEN; break;
    case ws_event_kind::text: k = TRADEPUSH_WS_TEXT; break;
    case ws_event_kind::binary: k = TRADEPUSH_WS_BINARY; break;
    case ws_event_kind::closed: k = TRADEPUSH_WS_CLOSED; break;
    }
    guarded("on_ws_event", [&] { api_.on_ws_event(inst_, op, *cookie, k, str(data)); });
}

//--- emits -----------------------------------------------------------------------------------------

void
instance::emit_data(tradepush_owner const* owner, std::string_view account, int stream, std::string_view category,
    std::string_view symbol, std::string_view json)
{
    auto const user = owner ? sv(owner->user) : std::string_view();
    auto const epoch = owner ? owner->epoch : 0;
    bool const ticker = stream == TRADEPUSH_STREAM_TICKER;
    bool const account_stream = stream >= TRADEPUSH_STREAM_BALANCE && stream <= TRADEPUSH_STREAM_ORDERS;
    if((!ticker && !account_stream) || (account_stream && (user.empty() || account.empty()))
        || (ticker && (category.empty() || symbol.empty()))) {
        ++counters_.invalid_emits;
        spdlog::warn("[{}] emit_data: bad stream {} / owner / account / symbol: dropped", name_, stream);
        return;
    }
    if(account_stream && !is_current(user, epoch)) {
        ++counters_.stale_emits;
        spdlog::debug("[{}] emit_data for {} with stale epoch {}: dropped", name_, user, epoch);
        return;
    }
    boost::system::error_code ec;
    auto value = boost::json::parse(json, ec);
    if(ec) {
        ++counters_.invalid_emits;
        spdlog::warn("[{}] emit_data: invalid JSON ({}): dropped", name_, ec.message());
        return;
    }
    if(!sink_)
        return;
    ++counters_.emits;
    if(ticker)
        sink_->on_ticker(name_, category, symbol, std::move(value));
    else
        sink_->on_account_data(user, account, static_cast<feed::stream_type>(stream), std::move(value), epoch);
}

void
instance::emit_status(tradepush_owner const* owner, std::string_view account, int stream, std::string_view category,
    std::string_view symbol, int state, std::string_view code, std::string_view message)
{
    auto const user = owner ? sv(owner->user) : std::string_view();
    auto const epoch = owner ? owner->epoch : 0;
    bool const ticker = stream == TRADEPUSH_STREAM_TICKER;
    bool const account_stream = stream == TRADEPUSH_STREAM_ALL_ACCOUNT
        || (stream >= TRADEPUSH_STREAM_BALANCE && stream <= TRADEPUSH_STREAM_ORDERS);
    bool const state_ok = state >= TRADEPUSH_STATE_LIVE && state <= TRADEPUSH_STATE_ERROR;
    if(!state_ok || (!ticker && !account_stream) || (account_stream && (user.empty() || account.empty()))
        || (ticker && (category.empty() || symbol.empty()))) {
        ++counters_.invalid_emits;
        spdlog::warn("[{}] emit_status: bad stream {} / state {} / owner: dropped", name_, stream, state);
        return;
    }
    if(account_stream && !is_current(user, epoch)) {
        ++counters_.stale_emits;
        return;
    }
    if(!sink_)
        return;
    ++counters_.emits;
    auto const st = static_cast<feed::stream_state>(state);
    if(ticker) {
        sink_->on_ticker_status(name_, category, symbol, st, code, message);
        return;
    }
    std::optional<feed::stream_type> type;
    if(stream != TRADEPUSH_STREAM_ALL_ACCOUNT)
        type = static_cast<feed::stream_type>(stream);
    sink_->on_account_status(user, account, type, st, code, message, epoch);
}

//--- commands --------------------------------------------------------------------------------------

tradepush_status
instance::open_account(std::string_view user, std::uint64_t epoch, feed::account const& acct, std::uint32_t mask)
{
    if(!inst_)
        return TRADEPUSH_E_INTERNAL;
    if(!api_.open_account)
        return TRADEPUSH_E_UNSUPPORTED;
    tradepush_owner const owner{str(user), epoch};
    tradepush_account a{};
    a.struct_size = sizeof a;
    a.label = str(acct.label);
    a.exchange = str(acct.exchange);
    a.network = str(acct.network);
    a.api_key = str(acct.api_key);
    a.api_secret = str(acct.api_secret);
    return guarded("open_account", [&] { return api_.open_account(inst_, &owner, &a, mask); });
}

tradepush_status
instance::request_snapshot(std::string_view user, std::uint64_t epoch, std::string_view account, int stream)
{
    if(!inst_)
        return TRADEPUSH_E_INTERNAL;
    if(!api_.request_snapshot)
        return TRADEPUSH_E_UNSUPPORTED;
    tradepush_owner const owner{str(user), epoch};
    return guarded("request_snapshot", [&] { return api_.request_snapshot(inst_, &owner, str(account), stream); });
}

tradepush_status
instance::close_account(std::string_view user, std::uint64_t epoch, std::string_view account)
{
    if(!inst_)
        return TRADEPUSH_E_INTERNAL;
    if(!api_.close_account)
        return TRADEPUSH_E_UNSUPPORTED;
    tradepush_owner const owner{str(user), epoch};
    return guarded("close_account", [&] { return api_.close_account(inst_, &owner, str(account)); });
}

tradepush_status
instance::subscribe_ticker(std::string_view category, std::string_view symbol)
{
    if(!inst_)
        return TRADEPUSH_E_INTERNAL;
    if(!api_.subscribe_ticker)
        return TRADEPUSH_E_UNSUPPORTED;
    return guarded("subscribe_ticker", [&] { return api_.subscribe_ticker(inst_, str(category), str(symbol)); });
}

tradepush_status
instance::unsubscribe_ticker(std::string_view category, std::string_view symbol)
{
    if(!inst_)
        return TRADEPUSH_E_INTERNAL;
    if(!api_.unsubscribe_ticker)
        return TRADEPUSH_E_UNSUPPORTED;
    return guarded("unsubscribe_ticker", [&] { return api_.unsubscribe_ticker(inst_, str(category), str(symbol)); });
}

tradepush_status
instance::reset_user(std::string_view user, std::uint64_t old_epoch)
{
    if(!inst_)
        return TRADEPUSH_E_INTERNAL;
    // A plugin without per-user state has nothing to drop.
    if(!api_.reset_user)
        return TRADEPUSH_OK;
    tradepush_owner const owner{str(user), old_epoch};
    return guarded("reset_user", [&] { return api_.reset_user(inst_, &owner); });
}

} // namespace tradepush::plugin_host
