// bench_exchange: the `bench` exchange plugin, tradepushd's side of bench/CONTRACT.md ("the scripted
// upstream"). The Node and Flask peers (bench/peers/) run the same script with the same numbers.
//
// Behaviour:
//   - subscribe_ticker(category, symbol) opens a public ticker (any category, any symbol; the benchmark
//     uses linear BTCUSDT) and emits its current state at once. One public timer changes every open
//     ticker `ticker_hz` times a second with a steady period: the next deadline is the previous one plus
//     the period, and after a stall it restarts from now (no catch-up bursts).
//   - open_account(user, "main") opens a session and emits its four streams (balance, positions, pnl,
//     orders) at once. One public timer changes every open session `private_hz` times a second; session i
//     of N is due at cycle_start + i * period / N, so the changes are spread evenly over the period. The
//     timer fires at most once a millisecond (at least every 20 ms) and then changes every session that
//     is due (5 000 sessions at 1 Hz: 1 000 wake-ups a second, 5 sessions each), not once per session.
//   - Every payload carries "emit_us": CLOCK_REALTIME in microseconds at the change. This is the one
//     place the plugin reads a clock of its own: the host offers only wall_ms (milliseconds), too coarse
//     for latency measurement. The timers themselves run on the host's clock.
//   - request_snapshot re-emits the latest state (the same bytes: the hub deduplicates it when it still
//     has it); close_account / reset_user drop sessions.
//
//   - Several tickers (bench/CONTRACT.md `--symbols N`: BTCUSDT, SYM1USDT … SYM<N-1>USDT) need nothing
//     more: each is opened by its first subscribe and the one timer changes every open ticker at each
//     tick with the same emit_us; the hub numbers each ticker's seq. Only subscribed tickers tick (the
//     hub unsubscribes a ticker when its last subscriber leaves).
//
// Config (JSON, every key optional): {"ticker_hz": 10, "private_hz": 1, "symbols": 1}; 0 = that stream
// never changes. Limits: ticker_hz 0..1000, private_hz 0..100, symbols 1..64 (the size of the script's
// symbol set; checked and logged, since tickers open on demand).
#include <tradepush/plugin.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sdk = tradepush::sdk;

namespace {

constexpr std::uint64_t max_ticker_hz = 1000;
constexpr std::uint64_t max_private_hz = 100;
constexpr std::uint64_t max_symbols = 64;

struct config {
    std::uint64_t ticker_hz{10};
    std::uint64_t private_hz{1};
    std::uint64_t symbols{1};
};

/// Parses a flat JSON object of non-negative integers ("" and "{}" give the defaults); throws
/// std::invalid_argument (create() then fails with the message) on anything else or out-of-range values.
config
parse_config(std::string_view text)
{
    config cfg;
    std::size_t i = 0;
    auto const skip_ws = [&] {
        while(i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
            ++i;
    };
    auto const expect = [&](char c) {
        skip_ws();
        if(i >= text.size() || text[i] != c)
            throw std::invalid_argument(std::string{"config: expected '"} + c + "'");
        ++i;
    };

    skip_ws();
    if(i == text.size())
        return cfg;
    expect('{');
    skip_ws();
    if(i < text.size() && text[i] == '}') {
        ++i;
        skip_ws();
        if(i != text.size())
            throw std::invalid_argument("config: trailing characters");
        return cfg;
    }
    for(;;) {
        expect('"');
        auto const end = text.find('"', i);
        if(end == std::string_view::npos || text.substr(i, end - i).find('\\') != std::string_view::npos)
            throw std::invalid_argument("config: bad key");
        auto const key = text.substr(i, end - i);
        i = end + 1;
        expect(':');
        skip_ws();
        std::uint64_t value = 0;
        auto const [ptr, ec] = std::from_chars(text.data() + i, text.data() + text.size(), value);
        if(ec != std::errc{})
            throw std::invalid_argument("config: " + std::string{key} + " must be a non-negative integer");
        i = static_cast<std::size_t>(ptr - text.data());
        if(i < text.size() && (text[i] == '.' || text[i] == 'e' || text[i] == 'E'))
            throw std::invalid_argument("config: " + std::string{key} + " must be an integer");

        if(key == "ticker_hz") {
            if(value > max_ticker_hz)
                throw std::invalid_argument("config: ticker_hz must be 0..1000");
            cfg.ticker_hz = value;
        } else if(key == "private_hz") {
            if(value > max_private_hz)
                throw std::invalid_argument("config: private_hz must be 0..100");
            cfg.private_hz = value;
        } else if(key == "symbols") {
            if(value < 1 || value > max_symbols)
                throw std::invalid_argument("config: symbols must be 1..64");
            cfg.symbols = value;
        } else {
            throw std::invalid_argument("config: unknown key " + std::string{key});
        }

        skip_ws();
        if(i < text.size() && text[i] == ',') {
            ++i;
            continue;
        }
        expect('}');
        skip_ws();
        if(i != text.size())
            throw std::invalid_argument("config: trailing characters");
        return cfg;
    }
}

/// CLOCK_REALTIME in microseconds since the epoch (see the header comment for why not the host clock).
std::int64_t
realtime_us() noexcept
{
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

void
append_int(std::string& out, std::int64_t v)
{
    char buf[24];
    auto const [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
    (void)ec;
    out.append(buf, static_cast<std::size_t>(p - buf));
}

/// Appends value / 10^decimals as the shortest JSON number, e.g. (970001, 1) -> 97000.1, (970000, 1) -> 97000,
/// (10, 3) -> 0.01: what JSON.stringify (Node peer) and the Flask peer print for the same value, so the
/// three servers send the same bytes.
void
append_fixed(std::string& out, std::int64_t value, int decimals)
{
    if(value < 0) {
        out += '-';
        value = -value;
    }
    std::int64_t scale = 1;
    for(int d = 0; d < decimals; ++d)
        scale *= 10;
    append_int(out, value / scale);
    auto frac = value % scale;
    if(frac != 0) {
        // Drop trailing zeros of the fraction: 0.010 -> 0.01.
        while(frac % 10 == 0) {
            frac /= 10;
            --decimals;
        }
        char buf[24];
        auto const [p, ec] = std::to_chars(buf, buf + sizeof buf, frac);
        (void)ec;
        out += '.';
        out.append(static_cast<std::size_t>(decimals) - static_cast<std::size_t>(p - buf), '0');
        out.append(buf, static_cast<std::size_t>(p - buf));
    }
}

constexpr char hex_digits[] = "0123456789abcdef";

void
append_json_string(std::string& out, std::string_view s)
{
    out += '"';
    for(unsigned char c : s) {
        if(c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if(c < 0x20) {
            out += "\\u00";
            out += hex_digits[c >> 4];
            out += hex_digits[c & 0xf];
        } else {
            out += static_cast<char>(c);
        }
    }
    out += '"';
}

// The script (identical in bench/peers/node/server.mjs and bench/peers/flask/server.py):
//   ticker, change n (0 = the initial state): p = 970000 + n % 2000 (tenths of USDT)
//     last_price p/10, mark_price (p+5)/10, index_price (p-5)/10, bid (p-1)/10, bid_size 1.5,
//     ask (p+1)/10, ask_size 2.5, volume_24h 12345 + n
//   account, change m: q = m % 2000
//     balance   total_equity (1000000 + q)/100, available_balance (800000 + q)/100
//     positions size 0.01, entry_price 97000, mark_price (970000 + q)/10, unrealised_pnl q/1000
//     pnl       unrealised_pnl q/1000, realised_pnl 125.5, total_pnl (125500 + q)/1000
//     orders    order_id "o<m>", price (960000 + q)/10, qty 0.01
//   Numbers are printed shortest (97000.1, 97000, 0.01), objects in this key order, no spaces.
std::string
ticker_json(std::string_view symbol, std::int64_t n, std::int64_t emit_us)
{
    auto const p = 970000 + n % 2000;
    std::string j;
    j.reserve(256);
    j += R"({"symbol":)";
    append_json_string(j, symbol);
    j += R"(,"last_price":)";
    append_fixed(j, p, 1);
    j += R"(,"mark_price":)";
    append_fixed(j, p + 5, 1);
    j += R"(,"index_price":)";
    append_fixed(j, p - 5, 1);
    j += R"(,"bid":)";
    append_fixed(j, p - 1, 1);
    j += R"(,"bid_size":1.5,"ask":)";
    append_fixed(j, p + 1, 1);
    j += R"(,"ask_size":2.5,"volume_24h":)";
    append_int(j, 12345 + n);
    j += R"(,"emit_us":)";
    append_int(j, emit_us);
    j += '}';
    return j;
}

//------------------------------------------------------------------------------------------------------

class bench_exchange {
public:
    bench_exchange(sdk::host host, std::string_view config_json) : host_(host), config_(parse_config(config_json))
    {
        host_.log(sdk::log_level::info,
            "bench exchange: ticker_hz " + std::to_string(config_.ticker_hz) + ", private_hz " +
                std::to_string(config_.private_hz) + ", symbols " + std::to_string(config_.symbols));
    }

    bench_exchange(bench_exchange const&) = delete;
    bench_exchange& operator=(bench_exchange const&) = delete;

    ~bench_exchange()
    {
        // The host cancels everything on destroy; cancelling again is harmless and keeps us tidy.
        host_.cancel(ticker_timer_);
        host_.cancel(private_timer_);
    }

    void
    on_timer(sdk::op op, std::uint64_t cookie)
    {
        if(cookie == ticker_cookie && op == ticker_timer_) {
            ticker_timer_ = 0;
            on_ticker_tick();
        } else if(cookie == private_cookie && op == private_timer_) {
            private_timer_ = 0;
            on_private_tick();
        }
    }

    sdk::status
    open_account(sdk::owner const& owner, sdk::account const& account, std::uint32_t stream_mask)
    {
        if(owner.is_public() || account.label.empty())
            return sdk::status::invalid;
        if((stream_mask & ~all_account_streams) != 0)
            return sdk::status::invalid;
        auto key = session_key(owner.user, account.label);
        auto it = sessions_.find(key);
        if(it == sessions_.end()) {
            auto s = std::make_unique<session>();
            s->owner = owner;
            s->label = std::string{account.label};
            s->index = order_.size();
            order_.push_back(s.get());
            change(*s, 0); // the initial state, emitted below
            it = sessions_.emplace(std::move(key), std::move(s)).first;
            ensure_private_timer();
        } else if(owner.epoch >= it->second->owner.epoch) {
            it->second->owner = owner;
        }
        emit_session(*it->second, all_account_streams);
        return sdk::status::ok;
    }

    sdk::status
    request_snapshot(sdk::owner const& owner, std::string_view account, sdk::stream stream)
    {
        auto const bit = stream == sdk::stream::all_account ? 0 : sdk::stream_bit(stream);
        if(bit == 0 || (bit & all_account_streams) == 0)
            return sdk::status::invalid;
        auto it = sessions_.find(session_key(owner.user, account));
        if(it == sessions_.end())
            return sdk::status::not_found;
        if(owner.epoch >= it->second->owner.epoch)
            it->second->owner = owner;
        emit_session(*it->second, bit);
        return sdk::status::ok;
    }

    sdk::status
    close_account(sdk::owner const& owner, std::string_view account)
    {
        auto it = sessions_.find(session_key(owner.user, account));
        if(it == sessions_.end())
            return sdk::status::not_found;
        drop(it);
        return sdk::status::ok;
    }

    sdk::status
    reset_user(sdk::owner const& old_owner)
    {
        // Keys are "user\x1flabel": the user's sessions are one range of the ordered map (a reset
        // comes with every new user session, so scanning every session made connect storms quadratic).
        auto const prefix = session_key(old_owner.user, {});
        for(auto it = sessions_.lower_bound(prefix);
            it != sessions_.end() && std::string_view(it->first).starts_with(prefix);) {
            auto const next = std::next(it);
            if(it->second->owner.epoch <= old_owner.epoch)
                drop(it);
            it = next;
        }
        return sdk::status::ok;
    }

    sdk::status
    subscribe_ticker(std::string_view category, std::string_view symbol)
    {
        if(category.empty() || symbol.empty())
            return sdk::status::invalid;
        auto [it, inserted] = tickers_.try_emplace(std::pair{std::string{category}, std::string{symbol}});
        if(inserted)
            it->second.json = ticker_json(symbol, 0, realtime_us());
        // The same bytes again for an existing ticker: the hub deduplicates, the subscriber gets the hub's copy.
        host_.emit_ticker(category, symbol, it->second.json);
        ensure_ticker_timer();
        return sdk::status::ok;
    }

    sdk::status
    unsubscribe_ticker(std::string_view category, std::string_view symbol)
    {
        auto const erased = tickers_.erase(std::pair{std::string{category}, std::string{symbol}});
        if(tickers_.empty()) {
            host_.cancel(ticker_timer_);
            ticker_timer_ = 0;
        }
        return erased != 0 ? sdk::status::ok : sdk::status::not_found;
    }

private:
    struct session {
        sdk::owner owner;
        std::string label;
        std::size_t index{0}; ///< position in order_ (the private schedule)
        std::int64_t changes{0};
        std::string balance, positions, pnl, orders; ///< the latest state of each stream
    };

    struct ticker {
        std::int64_t changes{0};
        std::string json;
    };

    using session_map = std::map<std::string, std::unique_ptr<session>, std::less<>>;

    static constexpr std::uint64_t ticker_cookie = 1;
    static constexpr std::uint64_t private_cookie = 2;
    static constexpr std::uint32_t all_account_streams = sdk::stream_bit(sdk::stream::balance) |
        sdk::stream_bit(sdk::stream::positions) | sdk::stream_bit(sdk::stream::pnl) |
        sdk::stream_bit(sdk::stream::orders);
    static constexpr std::chrono::nanoseconds min_private_step{std::chrono::milliseconds{1}};
    static constexpr std::chrono::nanoseconds max_private_step{std::chrono::milliseconds{20}};

    static std::string
    session_key(std::string_view user, std::string_view label)
    {
        std::string k;
        k.reserve(user.size() + 1 + label.size());
        k += user;
        k += '\x1f';
        k += label;
        return k;
    }

    void
    drop(session_map::iterator it)
    {
        // Swap-remove from the schedule; the moved session takes the slot (it may miss one change in
        // the current cycle, or get one early: only on churn, never in steady state).
        auto const idx = it->second->index;
        auto* last = order_.back();
        order_[idx] = last;
        last->index = idx;
        order_.pop_back();
        if(cursor_ > order_.size())
            cursor_ = order_.size();
        sessions_.erase(it);
        if(order_.empty()) {
            host_.cancel(private_timer_);
            private_timer_ = 0;
        }
    }

    /// Moves the session to change `m` and renders its four payloads with a fresh emit_us.
    void
    change(session& s, std::int64_t m)
    {
        s.changes = m;
        auto const q = m % 2000;
        auto const us = realtime_us();
        auto& b = s.balance;
        b.clear();
        b += R"({"total_equity":)";
        append_fixed(b, 1000000 + q, 2);
        b += R"(,"available_balance":)";
        append_fixed(b, 800000 + q, 2);
        b += R"(,"emit_us":)";
        append_int(b, us);
        b += '}';

        auto& p = s.positions;
        p.clear();
        p += R"({"positions":[{"symbol":"BTCUSDT","side":"long","size":0.01,"entry_price":97000,"mark_price":)";
        append_fixed(p, 970000 + q, 1);
        p += R"(,"unrealised_pnl":)";
        append_fixed(p, q, 3);
        p += R"(}],"emit_us":)";
        append_int(p, us);
        p += '}';

        auto& l = s.pnl;
        l.clear();
        l += R"({"unrealised_pnl":)";
        append_fixed(l, q, 3);
        l += R"(,"realised_pnl":125.5,"total_pnl":)";
        append_fixed(l, 125500 + q, 3);
        l += R"(,"emit_us":)";
        append_int(l, us);
        l += '}';

        auto& o = s.orders;
        o.clear();
        o += R"({"orders":[{"order_id":"o)";
        append_int(o, m);
        o += R"(","symbol":"BTCUSDT","side":"buy","price":)";
        append_fixed(o, 960000 + q, 1);
        o += R"(,"qty":0.01}],"emit_us":)";
        append_int(o, us);
        o += '}';
    }

    void
    emit_session(session const& s, std::uint32_t mask)
    {
        if(sdk::has_stream(mask, sdk::stream::balance))
            host_.emit_data(s.owner, s.label, sdk::stream::balance, s.balance);
        if(sdk::has_stream(mask, sdk::stream::positions))
            host_.emit_data(s.owner, s.label, sdk::stream::positions, s.positions);
        if(sdk::has_stream(mask, sdk::stream::pnl))
            host_.emit_data(s.owner, s.label, sdk::stream::pnl, s.pnl);
        if(sdk::has_stream(mask, sdk::stream::orders))
            host_.emit_data(s.owner, s.label, sdk::stream::orders, s.orders);
    }

    std::chrono::nanoseconds
    period(std::uint64_t hz) const
    {
        return std::chrono::nanoseconds{1'000'000'000 / static_cast<std::int64_t>(hz)};
    }

    //--- ticker: one steady timer --------------------------------------------------------------------

    void
    ensure_ticker_timer()
    {
        if(config_.ticker_hz == 0 || ticker_timer_ != 0 || tickers_.empty())
            return;
        ticker_due_ = host_.now() + period(config_.ticker_hz);
        ticker_timer_ = host_.start_timer(sdk::owner{}, period(config_.ticker_hz), ticker_cookie);
    }

    void
    on_ticker_tick()
    {
        if(tickers_.empty())
            return;
        auto const us = realtime_us();
        for(auto& [key, t] : tickers_) {
            t.json = ticker_json(key.second, ++t.changes, us);
            host_.emit_ticker(key.first, key.second, t.json);
        }
        // Steady period: the next deadline is the previous one plus the period; after a stall that
        // already passed it, start again from now (skip the missed ticks, no burst).
        auto const now = host_.now();
        auto const p = period(config_.ticker_hz);
        ticker_due_ += p;
        if(ticker_due_ <= now)
            ticker_due_ = now + p;
        ticker_timer_ = host_.start_timer(sdk::owner{}, ticker_due_ - now, ticker_cookie);
    }

    //--- private streams: one timer stepping through the sessions ------------------------------------

    void
    ensure_private_timer()
    {
        if(config_.private_hz == 0 || private_timer_ != 0 || order_.empty())
            return;
        cycle_start_ = host_.now();
        // Session 0 just emitted its initial state: it counts as changed in this cycle.
        cursor_ = 1;
        arm_private(cycle_start_);
    }

    /// Arms the private timer for the slot of the next session due in the current cycle, at least
    /// min_private_step and at most max_private_step away (sessions opened meanwhile move the slots).
    void
    arm_private(std::chrono::nanoseconds now)
    {
        auto const p = period(config_.private_hz);
        auto const n = static_cast<std::int64_t>(std::max<std::size_t>(order_.size(), 1));
        auto const due = cursor_ >= order_.size() ? cycle_start_ + p
                                                  : cycle_start_ + p * static_cast<std::int64_t>(cursor_) / n;
        auto const delay = std::clamp(due - now, min_private_step, max_private_step);
        private_timer_ = host_.start_timer(sdk::owner{}, delay, private_cookie);
    }

    void
    step_sessions(std::size_t from, std::size_t to)
    {
        for(auto i = from; i < to && i < order_.size(); ++i) {
            auto& s = *order_[i];
            change(s, s.changes + 1);
            emit_session(s, all_account_streams);
        }
    }

    void
    on_private_tick()
    {
        if(order_.empty())
            return;
        auto const p = period(config_.private_hz);
        auto const now = host_.now();
        if(now - cycle_start_ >= p) {
            // The rest of the previous cycle is due (late only if the timer was late).
            step_sessions(cursor_, order_.size());
            cycle_start_ += p;
            if(now - cycle_start_ >= p)
                cycle_start_ = now; // stalled for more than a period: no catch-up
            cursor_ = 0;
        }
        auto const n = order_.size();
        auto const phase = now - cycle_start_;
        // Session i is due at cycle_start + i * p / n, i.e. when i <= phase * n / p.
        auto const due = std::min<std::size_t>(
            n, static_cast<std::size_t>(phase.count() * static_cast<std::int64_t>(n) / p.count()) + 1);
        if(due > cursor_) {
            step_sessions(cursor_, due);
            cursor_ = due;
        }
        arm_private(now);
    }

    sdk::host host_;
    config config_;
    session_map sessions_;
    std::vector<session*> order_; ///< the private schedule: session i is due at slot i of each cycle
    std::size_t cursor_{0};       ///< sessions [0, cursor_) changed in the current cycle
    std::chrono::nanoseconds cycle_start_{0};
    std::map<std::pair<std::string, std::string>, ticker> tickers_; ///< (category, symbol)
    std::chrono::nanoseconds ticker_due_{0};
    sdk::op ticker_timer_{0};
    sdk::op private_timer_{0};
};

} // namespace

TRADEPUSH_DEFINE_PLUGIN(bench_exchange, "bench", "1.0.0",
    R"({"account_streams":["balance","positions","pnl","orders"],"tickers":["linear","inverse","spot","option"]})");
