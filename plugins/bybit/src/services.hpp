#pragma once
// What account sessions and ticker streams need from the adapter that owns them: the shared server
// clock, the shared live mark prices, and the routing of host completions (cookies).

#include "config.hpp"
#include "pnl.hpp"
#include "rest_budget.hpp"

#include <tradepush/plugin.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tradepush::bybit {

/// Host operation cookies carry the target (a session, a ticker stream, a clock) and a purpose, so a
/// completion finds its owner without a lookup table: cookie = target_id * cookie_stride + purpose.
inline constexpr std::uint64_t cookie_stride = 16;

/// The cookie of `purpose` for target `id`.
constexpr std::uint64_t
make_cookie(std::uint64_t id, unsigned purpose) noexcept
{
    return id * cookie_stride + purpose;
}

/// Services the adapter provides to its account sessions. All calls on the instance strand.
class account_services {
public:
    virtual ~account_services() = default;
    /// The host of the instance.
    virtual sdk::host const& host() const noexcept = 0;
    /// The validated configuration.
    virtual config const& cfg() const noexcept = 0;
    /// True when the server clock offset of `n` is known.
    virtual bool clock_ready(network n) const = 0;
    /// Bybit's time now (local wall clock + offset), in ms. Only meaningful while clock_ready(n): without
    /// an estimate it is plain local time, which a skewed server refuses.
    virtual std::uint64_t server_now_ms(network n) = 0;
    /// Counts the successful syncs of `n`. A request signed under an older generation that comes back
    /// with a clock error says nothing about the current estimate (it predates it).
    virtual std::uint64_t clock_generation(network n) const = 0;
    /// Asks for a clock (re)sync of `n`; sessions of `n` get on_clock_ready() when it succeeds.
    /// `force` discards the current estimate first (after a 10002).
    virtual void resync_clock(network n, bool force) = 0;
    /// Live mark prices of linear symbols on the public stream of network `n`.
    virtual mark_map const& marks(network n) const = 0;
    /// Adds (or removes) a session's interest in the live mark of a linear symbol of network `n`
    /// (a testnet account must not be valued at mainnet prices).
    virtual void mark_interest(network n, std::string const& symbol, bool add) = 0;
    /// A fresh seed for a backoff generator.
    virtual std::uint64_t next_seed() = 0;
    /// Asks for a REST call of `session` on the host of `n` (resource: the session's own number). True:
    /// send it now (it is counted). False: it waits in the host's line (a call already waiting keeps
    /// its place, moving up to `p` if more urgent) and the session gets on_rest_turn() when it may go.
    virtual bool rest_turn(network n, rest_priority p, std::uint64_t session, unsigned resource) = 0;
    /// A REST call on the host of `n` was answered (or not): a 403 pauses every account of the host.
    virtual void rest_answered(network n, rest_answer a) = 0;
    /// Asks for a new private WebSocket connection of `session` to the private stream host of `n`.
    /// True: open it now (it is counted; report its end with ws_attempt_done). False: it waits its turn
    /// (Bybit allows 500 new connections per 5 min per domain) and the session gets on_ws_turn().
    virtual bool ws_turn(network n, std::uint64_t session) = 0;
    /// A connection attempt that ws_turn() allowed ended: open, failed or cancelled.
    virtual void ws_attempt_done(network n) = 0;
    /// Drops the waiting REST calls and WebSocket turn of `session` (stopped).
    virtual void forget_turns(network n, std::uint64_t session) = 0;
};

/// Services the adapter provides to its public ticker streams.
class ticker_services {
public:
    virtual ~ticker_services() = default;
    /// The host of the instance.
    virtual sdk::host const& host() const noexcept = 0;
    /// The validated configuration.
    virtual config const& cfg() const noexcept = 0;
    /// The mark price of `symbol` on the linear public stream at `url` changed (nullopt: unknown again).
    virtual void on_mark(std::string_view url, std::string_view symbol, std::optional<double> mark) = 0;
    /// A fresh seed for a backoff generator.
    virtual std::uint64_t next_seed() = 0;
};

} // namespace tradepush::bybit
