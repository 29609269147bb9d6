#include <tradepush/conformance/fake_host.hpp>

#include "json.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <limits>
#include <stdexcept>

namespace tradepush::conformance {

namespace {

std::string_view
sv(tradepush_str s) noexcept
{
    return s.ptr != nullptr && s.len != 0 ? std::string_view{s.ptr, s.len} : std::string_view{};
}

tradepush_str
abi(std::string_view s) noexcept
{
    return tradepush_str{s.data(), s.size()};
}

/// Reads a plugin-supplied struct of any (older or newer) size into our layout, zeroing what an older
/// plugin does not know (the ABI's min(struct_size, sizeof) rule).
template<class T>
T
read_sized(T const* in) noexcept
{
    T out{};
    if(in == nullptr)
        return out;
    std::memcpy(&out, in, std::min<std::size_t>(in->struct_size, sizeof(T)));
    return out;
}

std::vector<header>
copy_headers(tradepush_header const* h, std::size_t n)
{
    std::vector<header> out;
    if(h == nullptr)
        return out;
    out.reserve(n);
    for(std::size_t i = 0; i < n; ++i)
        out.push_back(header{std::string{sv(h[i].name)}, std::string{sv(h[i].value)}});
    return out;
}

bool
iequals(std::string_view a, std::string_view b) noexcept
{
    if(a.size() != b.size())
        return false;
    for(std::size_t i = 0; i < a.size(); ++i) {
        auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
        if(lower(a[i]) != lower(b[i]))
            return false;
    }
    return true;
}

long long
to_ms(std::chrono::nanoseconds d)
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

char const*
stream_name(int s) noexcept
{
    switch(s) {
    case TRADEPUSH_STREAM_BALANCE: return "balance";
    case TRADEPUSH_STREAM_POSITIONS: return "positions";
    case TRADEPUSH_STREAM_PNL: return "pnl";
    case TRADEPUSH_STREAM_ORDERS: return "orders";
    case TRADEPUSH_STREAM_TICKER: return "ticker";
    case TRADEPUSH_STREAM_ALL_ACCOUNT: return "all";
    default: return "unknown";
    }
}

} // namespace

std::string_view
to_string(violation_kind k) noexcept
{
    switch(k) {
    case violation_kind::off_strand: return "off-strand call";
    case violation_kind::overlong_callback: return "overlong callback";
    case violation_kind::exception_escaped: return "exception escaped";
    case violation_kind::stale_epoch_emit: return "stale-epoch emit";
    case violation_kind::invalid_emit: return "invalid emit";
    case violation_kind::nested_call: return "nested call";
    }
    return "violation";
}

//------------------------------------------------------------------------------------------------------

std::optional<std::string>
http_request_record::header_value(std::string_view name) const
{
    for(auto const& h : headers)
        if(iequals(h.name, name))
            return h.value;
    return std::nullopt;
}

std::string
http_request_record::path() const
{
    std::string_view u = url;
    auto const scheme = u.find("://");
    if(scheme != std::string_view::npos)
        u.remove_prefix(scheme + 3);
    auto const slash = u.find('/');
    if(slash == std::string_view::npos)
        return "/";
    u.remove_prefix(slash);
    return std::string{u.substr(0, u.find_first_of("?#"))};
}

std::string
http_request_record::query() const
{
    auto const q = url.find('?');
    if(q == std::string::npos)
        return {};
    auto const end = url.find('#', q);
    return url.substr(q + 1, end == std::string::npos ? std::string::npos : end - q - 1);
}

//------------------------------------------------------------------------------------------------------
// The C table handed to the plugin. The opaque host pointer is the fake_host itself.

struct fake_host::trampolines {
    static fake_host&
    self(tradepush_host* h) noexcept
    {
        return *reinterpret_cast<fake_host*>(h);
    }

    static void
    log(tradepush_host* h, int level, tradepush_str message) noexcept
    {
        // Thread-safe by contract (the one host call allowed anywhere).
        if(h == nullptr)
            return;
        auto& s = self(h);
        try {
            std::lock_guard lock{s.mutex_};
            s.logs_.push_back(log_record{level, std::string{sv(message)}});
        } catch(...) {
            return;
        }
        if(s.options_.echo_logs)
            std::fprintf(stderr, "[plugin %d] %.*s\n", level, static_cast<int>(message.len), message.ptr);
    }

    static std::uint64_t
    now_ns(tradepush_host* h) noexcept
    {
        if(h == nullptr || !self(h).check_affinity("now_ns"))
            return 0;
        return self(h).now_ns_;
    }

    static std::uint64_t
    wall_ms(tradepush_host* h) noexcept
    {
        if(h == nullptr || !self(h).check_affinity("wall_ms"))
            return 0;
        auto const& s = self(h);
        return s.options_.start_wall_ms + (s.now_ns_ - s.options_.start_now_ns) / 1'000'000;
    }

    static tradepush_op
    timer_start(tradepush_host* h, tradepush_owner const* owner, std::uint64_t delay_ns, std::uint64_t cookie) noexcept
    {
        if(h == nullptr || !self(h).check_affinity("timer_start"))
            return 0;
        auto& s = self(h);
        try {
            auto const op = s.add_op(owner, op_kind::timer, cookie);
            // Clamp like the real host: a huge delay must not overflow the clock.
            auto const max_delay = std::uint64_t{365} * 24 * 3600 * 1'000'000'000;
            s.schedule(std::chrono::nanoseconds{static_cast<std::int64_t>(std::min(delay_ns, max_delay))},
                event{op, event_kind::timer, {}, {}, false});
            return op;
        } catch(...) {
            return 0;
        }
    }

    static tradepush_op
    http_request(tradepush_host* h, tradepush_owner const* owner, tradepush_http_request const* req,
        std::uint64_t cookie) noexcept
    {
        if(h == nullptr || !self(h).check_affinity("http_request"))
            return 0;
        try {
            return self(h).start_http(owner, req, cookie);
        } catch(...) {
            return 0;
        }
    }

    static tradepush_op
    ws_open(tradepush_host* h, tradepush_owner const* owner, tradepush_ws_open const* req, std::uint64_t cookie) noexcept
    {
        if(h == nullptr || !self(h).check_affinity("ws_open"))
            return 0;
        try {
            return self(h).start_ws(owner, req, cookie);
        } catch(...) {
            return 0;
        }
    }

    static tradepush_status
    ws_send(tradepush_host* h, tradepush_op ws, tradepush_str payload, int binary) noexcept
    {
        if(h == nullptr || !self(h).check_affinity("ws_send"))
            return TRADEPUSH_E_INVALID;
        auto& s = self(h);
        auto it = s.ops_.find(ws);
        if(it == s.ops_.end() || it->second.kind != op_kind::ws)
            return TRADEPUSH_E_NOT_FOUND;
        auto& rec = s.ws_[it->second.index];
        // Like the real host: not open yet (or closing), the plugin retries after its open event.
        if(!rec.open)
            return TRADEPUSH_E_TRANSIENT;
        try {
            rec.sent.push_back(ws_frame{std::string{sv(payload)}, binary != 0, s.now_ns_});
            auto const peer = it->second.peer;
            if(peer >= 0 && s.ws_peers_[static_cast<std::size_t>(peer)].second.on_message)
                s.ws_peers_[static_cast<std::size_t>(peer)].second.on_message(s, ws, sv(payload), binary != 0);
        } catch(...) {
            return TRADEPUSH_E_INTERNAL;
        }
        return TRADEPUSH_OK;
    }

    static void
    op_cancel(tradepush_host* h, tradepush_op op) noexcept
    {
        if(h == nullptr || !self(h).check_affinity("op_cancel"))
            return;
        // Idempotent; unknown ops are ignored.
        self(h).cancel_op(op);
    }

    static tradepush_status
    hmac_sha256(tradepush_host* h, tradepush_str key, tradepush_str msg, std::uint8_t out[32]) noexcept
    {
        if(h == nullptr || !self(h).check_affinity("hmac_sha256"))
            return TRADEPUSH_E_INVALID;
        if(out == nullptr || key.len > static_cast<std::size_t>(std::numeric_limits<int>::max()))
            return TRADEPUSH_E_INVALID;
        unsigned char const empty = 0;
        unsigned int len = 0;
        auto const* k = key.ptr ? static_cast<void const*>(key.ptr) : static_cast<void const*>(&empty);
        auto const* m = msg.ptr ? reinterpret_cast<unsigned char const*>(msg.ptr) : &empty;
        if(HMAC(EVP_sha256(), k, static_cast<int>(key.len), m, msg.ptr ? msg.len : 0, out, &len) == nullptr ||
            len != 32)
            return TRADEPUSH_E_INTERNAL;
        return TRADEPUSH_OK;
    }

    static void
    emit_data(tradepush_host* h, tradepush_owner const* owner, tradepush_str account, int stream,
        tradepush_str category, tradepush_str symbol, tradepush_str json) noexcept
    {
        if(h == nullptr || !self(h).check_affinity("emit_data"))
            return;
        auto& s = self(h);
        try {
            emit_record e;
            e.user = owner ? std::string{sv(owner->user)} : std::string{};
            e.epoch = owner ? owner->epoch : 0;
            e.account = sv(account);
            e.stream = stream;
            e.category = sv(category);
            e.symbol = sv(symbol);
            e.json = sv(json);
            bool const ticker = stream == TRADEPUSH_STREAM_TICKER;
            bool const account_stream = stream >= TRADEPUSH_STREAM_BALANCE && stream <= TRADEPUSH_STREAM_ORDERS;
            std::string why;
            auto const parsed = detail::parse_json(e.json, &why);
            bool valid = (ticker || account_stream) && (!account_stream || (!e.user.empty() && !e.account.empty())) &&
                (!ticker || (!e.category.empty() && !e.symbol.empty()));
            if(!valid)
                why = std::string{"stream "} + stream_name(stream) + " with owner \"" + e.user + "\", account \"" +
                    e.account + "\", category \"" + e.category + "\", symbol \"" + e.symbol + "\"";
            else if(!parsed)
                valid = false, why = "payload is not JSON (" + why + "): " + e.json.substr(0, 120);
            else if(parsed->type != detail::json_value::kind::object)
                valid = false, why = "payload is not a JSON object: " + e.json.substr(0, 120);
            if(!valid)
                s.record_violation(violation_kind::invalid_emit, std::string{"emit_data: "} + why);
            s.record_emit(std::move(e), account_stream, ticker, valid);
        } catch(...) {
            return;
        }
    }

    static void
    emit_status(tradepush_host* h, tradepush_owner const* owner, tradepush_str account, int stream,
        tradepush_str category, tradepush_str symbol, int state, tradepush_str code, tradepush_str message) noexcept
    {
        if(h == nullptr || !self(h).check_affinity("emit_status"))
            return;
        auto& s = self(h);
        try {
            emit_record e;
            e.is_status = true;
            e.user = owner ? std::string{sv(owner->user)} : std::string{};
            e.epoch = owner ? owner->epoch : 0;
            e.account = sv(account);
            e.stream = stream;
            e.category = sv(category);
            e.symbol = sv(symbol);
            e.state = state;
            e.code = sv(code);
            e.message = sv(message);
            bool const ticker = stream == TRADEPUSH_STREAM_TICKER;
            bool const account_stream = stream == TRADEPUSH_STREAM_ALL_ACCOUNT ||
                (stream >= TRADEPUSH_STREAM_BALANCE && stream <= TRADEPUSH_STREAM_ORDERS);
            bool const state_ok = state >= TRADEPUSH_STATE_LIVE && state <= TRADEPUSH_STATE_ERROR;
            bool const valid = state_ok && (ticker || account_stream) &&
                (!account_stream || (!e.user.empty() && !e.account.empty())) &&
                (!ticker || (!e.category.empty() && !e.symbol.empty()));
            if(!valid)
                s.record_violation(violation_kind::invalid_emit,
                    std::string{"emit_status: stream "} + stream_name(stream) + ", state " + std::to_string(state) +
                        ", owner \"" + e.user + "\", account \"" + e.account + "\", symbol \"" + e.symbol + "\"");
            s.record_emit(std::move(e), account_stream, ticker, valid);
        } catch(...) {
            return;
        }
    }

    static void
    metric(tradepush_host* h, tradepush_str name, int kind, double value) noexcept
    {
        if(h == nullptr || !self(h).check_affinity("metric"))
            return;
        try {
            self(h).metrics_.push_back(metric_record{std::string{sv(name)}, kind, value});
        } catch(...) {
            return;
        }
    }
};

//------------------------------------------------------------------------------------------------------

fake_host::fake_host(plugin_library const& library, fake_host_options options)
    : fake_host(library.api(), std::move(options))
{
    library_ = &library;
}

fake_host::fake_host(tradepush_plugin_api const& api, fake_host_options options)
    : api_(api), options_(std::move(options)), now_ns_(options_.start_now_ns)
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

fake_host::~fake_host()
{
    destroy();
}

/// Every call into the plugin: marks the entry point running (the strand check reads it), catches what
/// escapes, and measures the call against the budget.
template<class R, class F>
R
fake_host::guarded(char const* entry, R fallback, F&& f)
{
    if(depth_.load(std::memory_order_relaxed) > 0) {
        record_violation(violation_kind::nested_call,
            std::string{entry} + " called from inside another plugin call (call commands from the test, not from "
                                 "a peer callback)");
        return fallback;
    }
    ++plugin_calls_;
    call_thread_.store(std::this_thread::get_id(), std::memory_order_relaxed);
    depth_.store(1, std::memory_order_relaxed);
    auto const t0 = std::chrono::steady_clock::now();
    R result = fallback;
    try {
        result = std::forward<F>(f)();
    } catch(std::exception const& e) {
        record_violation(violation_kind::exception_escaped, std::string{entry} + ": " + e.what());
    } catch(...) {
        record_violation(violation_kind::exception_escaped, std::string{entry} + ": a non-std exception");
    }
    auto const took = std::chrono::steady_clock::now() - t0;
    depth_.store(0, std::memory_order_relaxed);
    longest_call_ = std::max(longest_call_, std::chrono::duration_cast<std::chrono::nanoseconds>(took));
    if(took > options_.call_budget)
        record_violation(violation_kind::overlong_callback,
            std::string{entry} + " took " + std::to_string(to_ms(took)) + " ms (budget " +
                std::to_string(to_ms(options_.call_budget)) + " ms)");
    return result;
}

bool
fake_host::check_affinity(char const* fn) noexcept
{
    // Valid only from inside an entry point, on the thread running it (ABI threading rule 2).
    if(depth_.load(std::memory_order_relaxed) > 0 &&
        call_thread_.load(std::memory_order_relaxed) == std::this_thread::get_id())
        return true;
    bool const inside = depth_.load(std::memory_order_relaxed) > 0;
    try {
        record_violation(violation_kind::off_strand,
            std::string{fn} + (inside ? " called from another thread while an entry point ran"
                                      : " called outside any entry point"));
    } catch(...) {
    }
    return false;
}

void
fake_host::record_violation(violation_kind kind, std::string detail)
{
    std::lock_guard lock{mutex_};
    violations_.push_back(violation{kind, std::move(detail)});
}

std::vector<violation>
fake_host::violations() const
{
    std::lock_guard lock{mutex_};
    return violations_;
}

std::vector<violation>
fake_host::violations(violation_kind kind) const
{
    std::lock_guard lock{mutex_};
    std::vector<violation> out;
    for(auto const& v : violations_)
        if(v.kind == kind)
            out.push_back(v);
    return out;
}

std::vector<log_record>
fake_host::logs() const
{
    std::lock_guard lock{mutex_};
    return logs_;
}

//--- lifecycle -----------------------------------------------------------------------------------------

bool
fake_host::create(std::string_view config_json, std::string* error)
{
    if(instance_ != nullptr || api_.create == nullptr || api_.destroy == nullptr) {
        if(error)
            *error = instance_ != nullptr ? "already created" : "the table has no create or destroy slot";
        return false;
    }
    char err[512] = {};
    std::string const config{config_json};
    auto* p = guarded<tradepush_instance*>("create", nullptr, [&] {
        return api_.create(reinterpret_cast<tradepush_host*>(this), &host_api_, abi(config), err, sizeof err);
    });
    if(p == nullptr) {
        // What the plugin started before failing dies with it.
        while(!ops_.empty())
            cancel_op(ops_.begin()->first);
        queue_.clear();
        err[sizeof err - 1] = '\0';
        if(error)
            *error = err[0] ? std::string{err} : std::string{"create returned NULL without a message"};
        return false;
    }
    instance_ = p;
    return true;
}

void
fake_host::destroy()
{
    if(instance_ == nullptr)
        return;
    // Cancel first: the ABI promises no completion after destroy, and destroy may free what one touches.
    while(!ops_.empty())
        cancel_op(ops_.begin()->first);
    auto* p = instance_;
    guarded<int>("destroy", 0, [&] {
        api_.destroy(p);
        return 0;
    });
    instance_ = nullptr;
    while(!ops_.empty())
        cancel_op(ops_.begin()->first);
    queue_.clear();
}

//--- commands ------------------------------------------------------------------------------------------

tradepush_status
fake_host::open_account(std::string_view user, account_info const& account, std::uint32_t stream_mask)
{
    if(instance_ == nullptr)
        return TRADEPUSH_E_INTERNAL;
    if(api_.open_account == nullptr)
        return TRADEPUSH_E_UNSUPPORTED;
    // The epoch moves when the command is issued, as in the daemon's plugin_provider.
    std::uint64_t epoch = 0;
    if(auto it = current_epoch_.find(user); it != current_epoch_.end()) {
        epoch = it->second;
    } else {
        epoch = ++last_epoch_[std::string{user}];
        current_epoch_[std::string{user}] = epoch;
    }
    tradepush_owner const owner{abi(user), epoch};
    tradepush_account a{};
    a.struct_size = sizeof a;
    a.label = abi(account.label);
    a.exchange = abi(account.exchange);
    a.network = abi(account.network);
    a.api_key = abi(account.api_key);
    a.api_secret = abi(account.api_secret);
    return guarded<tradepush_status>("open_account", TRADEPUSH_E_INTERNAL,
        [&] { return api_.open_account(instance_, &owner, &a, stream_mask); });
}

tradepush_status
fake_host::request_snapshot(std::string_view user, std::string_view account, int stream)
{
    if(instance_ == nullptr)
        return TRADEPUSH_E_INTERNAL;
    if(api_.request_snapshot == nullptr)
        return TRADEPUSH_E_UNSUPPORTED;
    tradepush_owner const owner{abi(user), epoch(user).value_or(0)};
    return guarded<tradepush_status>("request_snapshot", TRADEPUSH_E_INTERNAL,
        [&] { return api_.request_snapshot(instance_, &owner, abi(account), stream); });
}

tradepush_status
fake_host::close_account(std::string_view user, std::string_view account)
{
    if(instance_ == nullptr)
        return TRADEPUSH_E_INTERNAL;
    if(api_.close_account == nullptr)
        return TRADEPUSH_E_UNSUPPORTED;
    tradepush_owner const owner{abi(user), epoch(user).value_or(0)};
    return guarded<tradepush_status>("close_account", TRADEPUSH_E_INTERNAL,
        [&] { return api_.close_account(instance_, &owner, abi(account)); });
}

tradepush_status
fake_host::subscribe_ticker(std::string_view category, std::string_view symbol)
{
    if(instance_ == nullptr)
        return TRADEPUSH_E_INTERNAL;
    if(api_.subscribe_ticker == nullptr)
        return TRADEPUSH_E_UNSUPPORTED;
    return guarded<tradepush_status>("subscribe_ticker", TRADEPUSH_E_INTERNAL,
        [&] { return api_.subscribe_ticker(instance_, abi(category), abi(symbol)); });
}

tradepush_status
fake_host::unsubscribe_ticker(std::string_view category, std::string_view symbol)
{
    if(instance_ == nullptr)
        return TRADEPUSH_E_INTERNAL;
    if(api_.unsubscribe_ticker == nullptr)
        return TRADEPUSH_E_UNSUPPORTED;
    return guarded<tradepush_status>("unsubscribe_ticker", TRADEPUSH_E_INTERNAL,
        [&] { return api_.unsubscribe_ticker(instance_, abi(category), abi(symbol)); });
}

tradepush_status
fake_host::reset_user(std::string_view user)
{
    if(instance_ == nullptr)
        return TRADEPUSH_E_INTERNAL;
    // The fence first, synchronously: from here on nothing of the old owner is delivered.
    std::uint64_t old = 0;
    if(auto it = current_epoch_.find(user); it != current_epoch_.end()) {
        old = it->second;
        current_epoch_.erase(it);
    }
    std::vector<tradepush_op> mine;
    for(auto const& [op, rec] : ops_)
        if(rec.user == user)
            mine.push_back(op);
    for(auto op : mine)
        cancel_op(op);
    if(api_.reset_user == nullptr)
        return TRADEPUSH_OK;
    tradepush_owner const owner{abi(user), old};
    return guarded<tradepush_status>("reset_user", TRADEPUSH_E_INTERNAL,
        [&] { return api_.reset_user(instance_, &owner); });
}

std::optional<std::uint64_t>
fake_host::epoch(std::string_view user) const
{
    auto it = current_epoch_.find(user);
    if(it == current_epoch_.end())
        return std::nullopt;
    return it->second;
}

bool
fake_host::is_current(std::string_view user, std::uint64_t epoch) const
{
    if(user.empty())
        return true;
    auto it = current_epoch_.find(user);
    return it != current_epoch_.end() && it->second == epoch;
}

//--- operations ----------------------------------------------------------------------------------------

tradepush_op
fake_host::add_op(tradepush_owner const* owner, op_kind kind, std::uint64_t cookie)
{
    // Ids only grow, so a late completion can never be mistaken for a newer operation.
    auto const op = next_op_++;
    op_record rec;
    rec.user = owner ? std::string{sv(owner->user)} : std::string{};
    rec.epoch = owner ? owner->epoch : 0;
    rec.kind = kind;
    rec.cookie = cookie;
    ops_.emplace(op, std::move(rec));
    return op;
}

void
fake_host::cancel_op(tradepush_op op)
{
    auto it = ops_.find(op);
    if(it == ops_.end())
        return;
    if(it->second.kind == op_kind::ws) {
        ws_[it->second.index].open = false;
        ws_[it->second.index].closed = true;
    }
    // Queued events of the op stay queued; delivery finds no record and drops them.
    ops_.erase(it);
}

void
fake_host::schedule(std::chrono::nanoseconds delay, event e)
{
    auto const d = delay.count() < 0 ? std::uint64_t{0} : static_cast<std::uint64_t>(delay.count());
    queue_.emplace(std::make_pair(now_ns_ + d, next_seq_++), std::move(e));
}

tradepush_op
fake_host::start_http(tradepush_owner const* owner, tradepush_http_request const* in, std::uint64_t cookie)
{
    if(in == nullptr)
        return 0;
    auto const r = read_sized(in);
    http_request_record rec;
    rec.method = r.method.len ? std::string{sv(r.method)} : std::string{"GET"};
    rec.url = sv(r.url);
    if(rec.url.empty())
        return 0;
    rec.headers = copy_headers(r.headers, r.header_count);
    rec.body = sv(r.body);
    rec.timeout_ms = r.timeout_ms;
    rec.user = owner ? std::string{sv(owner->user)} : std::string{};
    rec.epoch = owner ? owner->epoch : 0;
    rec.at_ns = now_ns_;
    auto const op = add_op(owner, op_kind::http, cookie);
    rec.op = op;
    ops_[op].index = http_.size();

    std::optional<http_reply> reply;
    bool held = false;
    auto const path = rec.path();
    for(auto const& route : http_routes_) {
        if(!route.method.empty() && route.method != rec.method)
            continue;
        if(rec.url.rfind(route.prefix, 0) != 0 && path.rfind(route.prefix, 0) != 0)
            continue;
        rec.matched = true;
        reply = route.handler(rec);
        held = !reply;
        break;
    }
    if(!rec.matched) {
        // Visible to the plugin as a transport error, and to the test through unmatched_http().
        reply = http_reply{};
        reply->status = 0;
        reply->error = "conformance: no scripted HTTP peer for " + rec.method + " " + rec.url;
    }
    // Like the real client: past its timeout a request fails, whatever the peer would have said.
    auto const timeout = std::chrono::nanoseconds{
        rec.timeout_ms != 0 ? std::chrono::milliseconds{rec.timeout_ms} : options_.default_http_timeout};
    http_.push_back(std::move(rec));
    if(held) {
        schedule(timeout, event{op, event_kind::http_timeout, {}, {}, false});
    } else if(reply->delay > timeout) {
        ops_[op].answered = true;
        http_reply late;
        late.status = 0;
        late.error = "timeout";
        late.delay = timeout;
        schedule(timeout, event{op, event_kind::http_done, std::move(late), {}, false});
    } else {
        ops_[op].answered = true;
        auto const delay = reply->delay;
        schedule(delay, event{op, event_kind::http_done, std::move(*reply), {}, false});
    }
    return op;
}

tradepush_op
fake_host::start_ws(tradepush_owner const* owner, tradepush_ws_open const* in, std::uint64_t cookie)
{
    if(in == nullptr)
        return 0;
    auto const r = read_sized(in);
    ws_record rec;
    rec.url = sv(r.url);
    if(rec.url.empty())
        return 0;
    rec.headers = copy_headers(r.headers, r.header_count);
    rec.user = owner ? std::string{sv(owner->user)} : std::string{};
    rec.epoch = owner ? owner->epoch : 0;
    auto const op = add_op(owner, op_kind::ws, cookie);
    rec.op = op;
    ops_[op].index = ws_.size();

    int peer = -1;
    for(std::size_t i = 0; i < ws_peers_.size(); ++i) {
        if(rec.url.rfind(ws_peers_[i].first, 0) == 0) {
            peer = static_cast<int>(i);
            break;
        }
    }
    ops_[op].peer = peer;
    rec.matched = peer >= 0;
    ws_.push_back(std::move(rec));
    if(peer < 0) {
        schedule(std::chrono::nanoseconds{0},
            event{op, event_kind::ws_closed, {}, "conformance: no scripted WebSocket peer for " + ws_.back().url, false});
        return op;
    }
    auto const& p = ws_peers_[static_cast<std::size_t>(peer)].second;
    if(!p.accept) {
        schedule(p.delay, event{op, event_kind::ws_closed, {}, p.fail_reason, false});
        return op;
    }
    schedule(p.delay, event{op, event_kind::ws_open, {}, {}, false});
    if(p.on_open)
        p.on_open(*this, op);
    return op;
}

void
fake_host::on_http(std::string method, std::string prefix, http_reply reply)
{
    on_http(std::move(method), std::move(prefix),
        http_handler{[reply = std::move(reply)](http_request_record const&) { return std::optional{reply}; }});
}

void
fake_host::on_http(std::string method, std::string prefix, http_handler handler)
{
    http_routes_.push_back(http_route{std::move(method), std::move(prefix), std::move(handler)});
}

bool
fake_host::complete_http(tradepush_op op, http_reply reply)
{
    auto it = ops_.find(op);
    if(it == ops_.end() || it->second.kind != op_kind::http || it->second.answered)
        return false;
    it->second.answered = true;
    auto const delay = reply.delay;
    schedule(delay, event{op, event_kind::http_done, std::move(reply), {}, false});
    return true;
}

std::vector<http_request_record>
fake_host::unmatched_http() const
{
    std::vector<http_request_record> out;
    for(auto const& r : http_)
        if(!r.matched)
            out.push_back(r);
    return out;
}

void
fake_host::on_ws(std::string prefix, ws_peer peer)
{
    ws_peers_.emplace_back(std::move(prefix), std::move(peer));
}

bool
fake_host::ws_push(tradepush_op ws, std::string payload, bool binary, std::chrono::nanoseconds delay)
{
    auto it = ops_.find(ws);
    if(it == ops_.end() || it->second.kind != op_kind::ws)
        return false;
    schedule(delay, event{ws, event_kind::ws_message, {}, std::move(payload), binary});
    return true;
}

bool
fake_host::ws_close(tradepush_op ws, std::string reason, std::chrono::nanoseconds delay)
{
    auto it = ops_.find(ws);
    if(it == ops_.end() || it->second.kind != op_kind::ws)
        return false;
    schedule(delay, event{ws, event_kind::ws_closed, {}, std::move(reason), false});
    return true;
}

ws_record const*
fake_host::websocket(tradepush_op op) const
{
    for(auto const& w : ws_)
        if(w.op == op)
            return &w;
    return nullptr;
}

//--- the clock -----------------------------------------------------------------------------------------

void
fake_host::advance(std::chrono::nanoseconds d)
{
    auto const target = now_ns_ + (d.count() < 0 ? 0 : static_cast<std::uint64_t>(d.count()));
    // A plugin that re-arms zero-delay timers forever would spin here; bound the work per call.
    for(std::size_t budget = 1'000'000; budget > 0 && !queue_.empty(); --budget) {
        auto it = queue_.begin();
        if(it->first.first > target)
            break;
        now_ns_ = std::max(now_ns_, it->first.first);
        event e = std::move(it->second);
        queue_.erase(it);
        deliver(e);
    }
    now_ns_ = std::max(now_ns_, target);
}

bool
fake_host::advance_until(std::function<bool()> const& done, std::chrono::nanoseconds limit,
    std::chrono::nanoseconds step)
{
    run_ready();
    if(step.count() <= 0)
        step = std::chrono::milliseconds(1);
    for(std::chrono::nanoseconds waited{0}; !done() && waited < limit; waited += step)
        advance(step);
    return done();
}

void
fake_host::deliver(event& e)
{
    auto it = ops_.find(e.op);
    // A timeout of a request that already completed (or was cancelled) is not a completion at all.
    if(e.kind == event_kind::http_timeout && it == ops_.end())
        return;
    if(it == ops_.end() || instance_ == nullptr) {
        // Cancelled (by the plugin, the fence or destroy): the completion never reaches the plugin.
        ++dropped_completions_;
        return;
    }
    if(!is_current(it->second.user, it->second.epoch)) {
        // Started under an epoch that is no longer current: drop it and stop its I/O.
        ++dropped_completions_;
        cancel_op(e.op);
        return;
    }
    auto const cookie = it->second.cookie;
    auto const index = it->second.index;
    auto const op = e.op;
    if(e.kind == event_kind::http_timeout) {
        // The test answered in time: its reply is queued and this timeout is moot.
        if(it->second.answered)
            return;
        e.reply.status = 0;
        e.reply.error = "timeout";
        e.kind = event_kind::http_done;
    }
    switch(e.kind) {
    case event_kind::http_timeout: // turned into http_done above
        return;
    case event_kind::timer:
        ops_.erase(it);
        if(api_.on_timer)
            guarded<int>("on_timer", 0, [&] {
                api_.on_timer(instance_, op, cookie);
                return 0;
            });
        return;
    case event_kind::http_done: {
        ops_.erase(it);
        if(!api_.on_http_done)
            return;
        std::vector<tradepush_header> headers;
        headers.reserve(e.reply.headers.size());
        for(auto const& h : e.reply.headers)
            headers.push_back(tradepush_header{abi(h.name), abi(h.value)});
        tradepush_http_response r{};
        r.struct_size = sizeof r;
        r.status = e.reply.status;
        r.error = abi(e.reply.error);
        r.headers = headers.data();
        r.header_count = headers.size();
        r.body = abi(e.reply.body);
        r.elapsed_ns = now_ns_ - http_[index].at_ns;
        guarded<int>("on_http_done", 0, [&] {
            api_.on_http_done(instance_, op, cookie, &r);
            return 0;
        });
        return;
    }
    case event_kind::ws_open:
        ws_[index].open = true;
        if(api_.on_ws_event)
            guarded<int>("on_ws_event", 0, [&] {
                api_.on_ws_event(instance_, op, cookie, TRADEPUSH_WS_OPEN, tradepush_str{nullptr, 0});
                return 0;
            });
        return;
    case event_kind::ws_message:
        if(!ws_[index].open)
            return;
        if(api_.on_ws_event)
            guarded<int>("on_ws_event", 0, [&] {
                api_.on_ws_event(instance_, op, cookie, e.binary ? TRADEPUSH_WS_BINARY : TRADEPUSH_WS_TEXT,
                    abi(e.payload));
                return 0;
            });
        return;
    case event_kind::ws_closed:
        // The closed event ends the operation.
        ops_.erase(it);
        ws_[index].open = false;
        ws_[index].closed = true;
        if(api_.on_ws_event)
            guarded<int>("on_ws_event", 0, [&] {
                api_.on_ws_event(instance_, op, cookie, TRADEPUSH_WS_CLOSED, abi(e.payload));
                return 0;
            });
        return;
    }
}

//--- emits ---------------------------------------------------------------------------------------------

void
fake_host::record_emit(emit_record e, bool account_stream, bool ticker, bool valid)
{
    (void)ticker;
    e.at_ns = now_ns_;
    e.delivered = valid;
    if(valid && account_stream && !is_current(e.user, e.epoch)) {
        // The real host drops it silently; for a plugin it is a bug (it kept state of a fenced owner).
        e.delivered = false;
        auto const cur = epoch(e.user);
        record_violation(violation_kind::stale_epoch_emit,
            std::string{e.is_status ? "emit_status" : "emit_data"} + " " + stream_name(e.stream) + " for user \"" +
                e.user + "\" epoch " + std::to_string(e.epoch) + " (current: " +
                (cur ? std::to_string(*cur) : std::string{"none, fenced or never opened"}) + ")");
    }
    emits_.push_back(std::move(e));
}

std::vector<emit_record>
fake_host::data_emits(int stream, std::string_view user) const
{
    std::vector<emit_record> out;
    for(auto const& e : emits_)
        if(!e.is_status && e.delivered && e.stream == stream && (user.empty() || e.user == user))
            out.push_back(e);
    return out;
}

//--- counters ------------------------------------------------------------------------------------------

std::size_t
fake_host::live_ops(std::string_view user) const
{
    return static_cast<std::size_t>(
        std::count_if(ops_.begin(), ops_.end(), [&](auto const& kv) { return kv.second.user == user; }));
}

std::size_t
fake_host::pending_timers() const
{
    return static_cast<std::size_t>(
        std::count_if(ops_.begin(), ops_.end(), [](auto const& kv) { return kv.second.kind == op_kind::timer; }));
}

} // namespace tradepush::conformance
