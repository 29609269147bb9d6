// example_exchange: a complete tradepush plugin for authors to copy. It simulates an exchange, so it uses
// only host services (timers, emits, log, metrics): no threads, no sockets, no blocking, no Boost.
//
// Behaviour:
//   - open_account starts a session for (user, account label) and, after a host timer of
//     `snapshot_delay_ms` (0: the next timer tick), emits the balance, positions, pnl and orders streams
//     requested in the stream mask, tagged with the request's owner and epoch.
//   - Every `tick_ms` (0: never) a periodic timer moves each open account and each subscribed ticker a
//     little and re-emits them. The values are deterministic: each user/symbol is seeded from a hash.
//   - subscribe_ticker / unsubscribe_ticker manage a public ticker stream per (category, symbol).
//   - request_snapshot re-emits one stream; close_account and reset_user drop sessions and cancel their
//     timers through the host.
//
// Config (JSON, every key optional): {"snapshot_delay_ms": 0, "tick_ms": 1000}
#include <tradepush/plugin.hpp>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace sdk = tradepush::sdk;

namespace {

//------------------------------------------------------------------------------------------------------
// Small helpers: configuration parsing, deterministic numbers and JSON writing.

/// The plugin's settings, read once in the constructor.
struct config {
    std::chrono::milliseconds snapshot_delay{0}; ///< delay before the first snapshot of a session
    std::chrono::milliseconds tick{1000};        ///< period of the simulated market moves; 0: never
};

/// Parses a flat JSON object of non-negative integers ("" and "{}" give the defaults). Throws
/// std::invalid_argument on anything else: the SDK turns that into a create() error message.
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
    if(i < text.size() && text[i] == '}')
        return cfg;
    for(;;) {
        // A key: a plain string; our keys need no escapes, so a backslash is simply refused.
        expect('"');
        auto const end = text.find('"', i);
        if(end == std::string_view::npos || text.substr(i, end - i).find('\\') != std::string_view::npos)
            throw std::invalid_argument("config: bad key");
        auto const key = text.substr(i, end - i);
        i = end + 1;
        expect(':');
        skip_ws();

        // A value: a non-negative integer.
        std::uint64_t value = 0;
        auto const [ptr, ec] = std::from_chars(text.data() + i, text.data() + text.size(), value);
        if(ec != std::errc{})
            throw std::invalid_argument("config: " + std::string{key} + " must be a non-negative integer");
        i = static_cast<std::size_t>(ptr - text.data());

        if(key == "snapshot_delay_ms")
            cfg.snapshot_delay = std::chrono::milliseconds{value};
        else if(key == "tick_ms")
            cfg.tick = std::chrono::milliseconds{value};
        else
            throw std::invalid_argument("config: unknown key " + std::string{key});

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

/// FNV-1a: a stable hash (std::hash may differ between builds) to seed each user and symbol.
std::uint64_t
fnv1a(std::string_view a, std::string_view b = {})
{
    std::uint64_t h = 14695981039346656037ull;
    for(auto part : {a, std::string_view{"\x1f"}, b})
        for(unsigned char c : part)
            h = (h ^ c) * 1099511628211ull;
    return h;
}

/// splitmix64: the next pseudo-random number of a deterministic sequence.
std::uint64_t
next_random(std::uint64_t& state)
{
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/// A random step in [-span, +span].
std::int64_t
random_step(std::uint64_t& state, std::int64_t span)
{
    return static_cast<std::int64_t>(next_random(state) % static_cast<std::uint64_t>(2 * span + 1)) - span;
}

/// Hex digits for \u escapes. A namespace-scope constant, not a function-local static: plugins keep
/// statics out of functions so the image stays unloadable (plugin-abi.md §1.5).
constexpr char hex_digits[] = "0123456789abcdef";

/// Appends a JSON string literal, escaping what JSON requires (symbols and labels come from clients).
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

/// Appends a fixed-point number as a JSON number: value / 10^decimals, e.g. (-1234, 2) -> -12.34.
/// Integers avoid float formatting (no NaN, no exponent, the same text on every platform).
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
    out += std::to_string(value / scale);
    if(decimals > 0) {
        auto frac = std::to_string(value % scale);
        out += '.';
        out.append(static_cast<std::size_t>(decimals) - frac.size(), '0');
        out += frac;
    }
}

//------------------------------------------------------------------------------------------------------
// The plugin class: one instance per host instance; all members run on that instance's strand.

class example_exchange {
public:
    /// Reads the config; throws std::invalid_argument on a bad one (create() then fails with the message).
    example_exchange(sdk::host host, std::string_view config_json)
        : host_(host), config_(parse_config(config_json))
    {
        // Only log here: create() does not run on the instance strand, so no timers are started yet.
        host_.log(sdk::log_level::debug, "example exchange created");
    }

    /// A host timer fired: either the periodic market tick or a session's first snapshot.
    void
    on_timer(sdk::op op, std::uint64_t cookie)
    {
        if(cookie == tick_cookie) {
            on_tick(op);
            return;
        }
        // A snapshot timer; the session may be gone if the host delivered the timer just before a close
        // (it never delivers cancelled ones, but we stay defensive).
        auto id = snapshot_cookies_.find(cookie);
        if(id == snapshot_cookies_.end())
            return;
        auto it = sessions_.find(id->second);
        snapshot_cookies_.erase(id);
        if(it == sessions_.end())
            return;
        it->second.snapshot_timer = 0;
        emit_account(it->second.owner, it->first.second, it->second, it->second.mask);
    }

    /// An HTTP request finished. This simulator starts none, so nothing arrives here; a real adapter
    /// parses the REST answer (response.status, response.body) and emits. Kept as a template for authors:
    /// completion slots are optional (a plugin that never starts a request may leave it out).
    void
    on_http_done(sdk::op, std::uint64_t, sdk::http_response const& response)
    {
        host_.log(sdk::log_level::warn, "unexpected HTTP completion, status " + std::to_string(response.status));
    }

    /// A WebSocket event. This simulator opens none; a real adapter parses pushes here (kind text), and
    /// reconnects on closed.
    void
    on_ws_event(sdk::op, std::uint64_t, sdk::ws_event_kind, std::string_view)
    {
        host_.log(sdk::log_level::warn, "unexpected WebSocket event");
    }

    /// Opens (or refreshes) the session of (owner.user, account.label); snapshots follow via a timer.
    sdk::status
    open_account(sdk::owner const& owner, sdk::account const& account, std::uint32_t stream_mask)
    {
        if(owner.is_public())
            return sdk::status::invalid;
        // Only account streams make sense here; an empty mask means all of them.
        if((stream_mask & ~all_account_streams) != 0)
            return sdk::status::invalid;
        if(stream_mask == 0)
            stream_mask = all_account_streams;

        auto key = session_key{owner.user, std::string{account.label}};
        auto [it, inserted] = sessions_.try_emplace(key);
        auto& s = it->second;
        if(inserted) {
            // A new session starts from numbers derived from the user and account, so tests can
            // predict them. Never copy api_secret unless you need it, and never log it.
            s.random = fnv1a(owner.user, account.label);
            s.balance_cents = 1'000'000 + static_cast<std::int64_t>(s.random % 9'000'000);
            s.entry_price_cents = 5'000'000 + static_cast<std::int64_t>(s.random % 1'000'000);
            s.mark_price_cents = s.entry_price_cents;
            s.size_milli = 10 + static_cast<std::int64_t>(s.random % 90);
        }
        // The newest owner wins: emits carry the epoch of the latest open_account (the host drops emits
        // with an older epoch anyway, so a late stale request must not downgrade the session).
        if(inserted || owner.epoch >= s.owner.epoch)
            s.owner = owner;
        s.mask |= stream_mask;

        // Replace a pending snapshot timer (the old one may carry an older epoch).
        host_.cancel(s.snapshot_timer);
        snapshot_cookies_.erase(s.snapshot_cookie);
        s.snapshot_cookie = next_cookie_++;
        s.snapshot_timer = host_.start_timer(owner, config_.snapshot_delay, s.snapshot_cookie);
        if(s.snapshot_timer == 0) {
            // The host refused the timer (overloaded, or too old to offer timers): without it no snapshot
            // would ever come, so forget the session and let the host retry later.
            sessions_.erase(it);
            return sdk::status::transient;
        }
        snapshot_cookies_.emplace(s.snapshot_cookie, std::move(key));
        ensure_ticking();
        host_.metric("example_sessions", sdk::metric_kind::gauge, static_cast<double>(sessions_.size()));
        return sdk::status::ok;
    }

    /// Re-emits one account stream of an open session, tagged with the request's owner.
    sdk::status
    request_snapshot(sdk::owner const& owner, std::string_view account, sdk::stream stream)
    {
        if(stream_bit_of(stream) == 0)
            return sdk::status::invalid;
        auto it = sessions_.find(session_key{owner.user, std::string{account}});
        if(it == sessions_.end())
            return sdk::status::not_found;
        emit_account(owner, it->first.second, it->second, stream_bit_of(stream));
        return sdk::status::ok;
    }

    /// Drops the session of (owner.user, account) and cancels its pending timer.
    sdk::status
    close_account(sdk::owner const& owner, std::string_view account)
    {
        auto it = sessions_.find(session_key{owner.user, std::string{account}});
        if(it == sessions_.end())
            return sdk::status::not_found;
        drop(it);
        return sdk::status::ok;
    }

    /// Starts the public ticker stream of (category, symbol) and emits its first state at once.
    sdk::status
    subscribe_ticker(std::string_view category, std::string_view symbol)
    {
        if((category != "linear" && category != "spot") || symbol.empty())
            return sdk::status::invalid;
        auto [it, inserted] = tickers_.try_emplace(ticker_key{std::string{category}, std::string{symbol}});
        if(inserted) {
            it->second.random = fnv1a(category, symbol);
            it->second.price_cents = 100'000 + static_cast<std::int64_t>(it->second.random % 10'000'000);
        }
        // Emitting from inside a command is allowed; a real adapter would emit when upstream answers.
        emit_ticker(it->first, it->second);
        ensure_ticking();
        return sdk::status::ok;
    }

    /// Stops the public ticker stream of (category, symbol).
    sdk::status
    unsubscribe_ticker(std::string_view category, std::string_view symbol)
    {
        return tickers_.erase(ticker_key{std::string{category}, std::string{symbol}}) != 0 ? sdk::status::ok
                                                                                           : sdk::status::not_found;
    }

    /// Drops every session of old_owner.user up to its (now stale) epoch. Idempotent.
    sdk::status
    reset_user(sdk::owner const& old_owner)
    {
        // The user's sessions are one range of the map: a reset never scans other users'.
        for(auto it = sessions_.lower_bound(session_key{std::string(old_owner.user), std::string()});
            it != sessions_.end() && it->first.first == old_owner.user;) {
            auto const next = std::next(it);
            if(it->second.owner.epoch <= old_owner.epoch)
                drop(it);
            it = next;
        }
        return sdk::status::ok;
    }

private:
    // (user, account label) and (category, symbol).
    using session_key = std::pair<std::string, std::string>;
    using ticker_key = std::pair<std::string, std::string>;

    // The state of one simulated account. Money is in cents and sizes in thousandths, as integers.
    struct session {
        sdk::owner owner;
        std::uint32_t mask{0};
        std::uint64_t random{0};
        std::int64_t balance_cents{0};
        std::int64_t entry_price_cents{0};
        std::int64_t mark_price_cents{0};
        std::int64_t size_milli{0};
        std::int64_t realized_cents{0};
        std::uint64_t snapshot_cookie{0};
        sdk::op snapshot_timer{0};
    };

    // The state of one public ticker.
    struct ticker {
        std::uint64_t random{0};
        std::int64_t price_cents{0};
        std::int64_t volume{0};
    };

    // Cookie 0 is the periodic tick; snapshot timers count up from 1.
    static constexpr std::uint64_t tick_cookie = 0;
    static constexpr std::uint32_t all_account_streams = sdk::stream_bit(sdk::stream::balance) |
        sdk::stream_bit(sdk::stream::positions) | sdk::stream_bit(sdk::stream::pnl) |
        sdk::stream_bit(sdk::stream::orders);

    static std::uint32_t
    stream_bit_of(sdk::stream s)
    {
        auto const bit = sdk::stream_bit(s);
        return (s != sdk::stream::all_account && (bit & all_account_streams) != 0) ? bit : 0;
    }

    // Forgets a session and cancels its timer, so no completion for it is ever delivered.
    void
    drop(std::map<session_key, session>::iterator it)
    {
        host_.cancel(it->second.snapshot_timer);
        snapshot_cookies_.erase(it->second.snapshot_cookie);
        sessions_.erase(it);
    }

    // Starts the periodic timer if it is configured, not running, and there is something to move. It is
    // public (empty owner), so resetting a user never cancels it.
    void
    ensure_ticking()
    {
        if(config_.tick.count() == 0 || tick_timer_ != 0)
            return;
        tick_timer_ = host_.start_timer(sdk::owner{}, config_.tick, tick_cookie);
    }

    // The periodic tick: move and re-emit everything, then re-arm while anything is left.
    void
    on_tick(sdk::op op)
    {
        if(op != tick_timer_)
            return;
        tick_timer_ = 0;
        for(auto& [key, s] : sessions_) {
            if(s.snapshot_timer != 0)
                continue; // its first snapshot is still pending; start moving after it
            s.mark_price_cents += random_step(s.random, 5'000);
            s.balance_cents += random_step(s.random, 100);
            emit_account(s.owner, key.second, s, s.mask);
        }
        for(auto& [key, t] : tickers_) {
            t.price_cents += random_step(t.random, 50);
            if(t.price_cents < 1)
                t.price_cents = 1;
            t.volume += static_cast<std::int64_t>(next_random(t.random) % 1000);
            emit_ticker(key, t);
        }
        if(!sessions_.empty() || !tickers_.empty())
            ensure_ticking();
    }

    // Emits the streams in `mask` of one session as full-state JSON, tagged with `owner`.
    void
    emit_account(sdk::owner const& owner, std::string const& label, session const& s, std::uint32_t mask)
    {
        auto const unrealized = (s.mark_price_cents - s.entry_price_cents) * s.size_milli / 1000;
        std::string json;
        if(sdk::has_stream(mask, sdk::stream::balance)) {
            json = R"({"currency":"USDT","total":)";
            append_fixed(json, s.balance_cents + unrealized, 2);
            json += R"(,"available_balance":)";
            append_fixed(json, s.balance_cents, 2);
            json += R"(,"unrealised_pnl":)";
            append_fixed(json, unrealized, 2);
            json += '}';
            host_.emit_data(owner, label, sdk::stream::balance, json);
        }
        if(sdk::has_stream(mask, sdk::stream::positions)) {
            json = R"({"positions":[{"symbol":"BTCUSDT","category":"linear","side":"long","size":)";
            append_fixed(json, s.size_milli, 3);
            json += R"(,"entry_price":)";
            append_fixed(json, s.entry_price_cents, 2);
            json += R"(,"mark_price":)";
            append_fixed(json, s.mark_price_cents, 2);
            json += R"(,"unrealised_pnl":)";
            append_fixed(json, unrealized, 2);
            json += "}]}";
            host_.emit_data(owner, label, sdk::stream::positions, json);
        }
        if(sdk::has_stream(mask, sdk::stream::pnl)) {
            json = R"({"realised_pnl":)";
            append_fixed(json, s.realized_cents, 2);
            json += R"(,"unrealised_pnl":)";
            append_fixed(json, unrealized, 2);
            json += R"(,"total_pnl":)";
            append_fixed(json, s.realized_cents + unrealized, 2);
            json += '}';
            host_.emit_data(owner, label, sdk::stream::pnl, json);
        }
        if(sdk::has_stream(mask, sdk::stream::orders)) {
            // One resting limit order 5% below the entry price, with an id derived from the session.
            json = R"({"orders":[{"order_id":")";
            json += std::to_string(fnv1a(owner.user, label) % 1'000'000'000);
            json += R"(","symbol":"BTCUSDT","category":"linear","side":"buy","type":"limit","price":)";
            append_fixed(json, s.entry_price_cents * 95 / 100, 2);
            json += R"(,"qty":)";
            append_fixed(json, s.size_milli, 3);
            json += R"(,"status":"new"}]})";
            host_.emit_data(owner, label, sdk::stream::orders, json);
        }
    }

    // Emits the full latest state of one public ticker.
    void
    emit_ticker(ticker_key const& key, ticker const& t)
    {
        std::string json = R"({"symbol":)";
        append_json_string(json, key.second);
        json += R"(,"category":)";
        append_json_string(json, key.first);
        json += R"(,"last_price":)";
        append_fixed(json, t.price_cents, 2);
        json += R"(,"bid_price":)";
        append_fixed(json, t.price_cents - 1, 2);
        json += R"(,"ask_price":)";
        append_fixed(json, t.price_cents + 1, 2);
        json += R"(,"volume_24h":)";
        append_fixed(json, t.volume, 0);
        json += '}';
        host_.emit_ticker(key.first, key.second, json);
    }

    sdk::host host_;
    config config_;
    std::map<session_key, session> sessions_;
    std::map<ticker_key, ticker> tickers_;
    std::map<std::uint64_t, session_key> snapshot_cookies_; // pending snapshot timer cookie -> session
    std::uint64_t next_cookie_{1};
    sdk::op tick_timer_{0};
};

} // namespace

// The one line that turns the class into a plugin: it defines the exported tradepush_plugin_entry_v1.
// features_json tells the host which streams and ticker categories this plugin serves.
TRADEPUSH_DEFINE_PLUGIN(example_exchange, "example", "1.0.0",
    R"({"account_streams":["balance","positions","pnl","orders"],"tickers":["linear","spot"]})");
