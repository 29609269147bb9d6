#pragma once
// The internal feed interface: how the hub asks for upstream data and how data comes back.
// The plugin host implements `provider` with exchange plugins; tests and the demo use scripted_feed.

#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tradepush::feed {

/// The private (per user and account) stream types of the client protocol.
enum class stream_type : std::uint8_t { balance = 0, positions = 1, pnl = 2, orders = 3 };
inline constexpr std::size_t stream_type_count = 4;

/// Wire name of a stream type ("balance", ...).
std::string_view to_string(stream_type t) noexcept;
/// Parses a wire name; nullopt when unknown.
std::optional<stream_type> parse_stream_type(std::string_view s) noexcept;

/// An exchange account of a user, from the credentials store.
struct account {
    std::string label;    ///< e.g. "main"; unique per user
    std::string exchange; ///< e.g. "bybit"
    std::string network;  ///< mainnet | testnet | demo
    std::string api_key;
    std::string api_secret; ///< never logged
};

/// State of a stream as told to clients in `stream_status`.
enum class stream_state : std::uint8_t { live, stale, error };
std::string_view to_string(stream_state s) noexcept;
/// Parses "live" | "stale" | "error"; nullopt when unknown.
std::optional<stream_state> parse_stream_state(std::string_view s) noexcept;

/// Where upstream data goes. Implemented by the hub. Called on the control strand only.
class sink {
public:
    virtual ~sink() = default;
    /// Full current state of one private stream. `epoch` is the one the request was made with.
    virtual void on_account_data(std::string_view user, std::string_view account, stream_type type,
        boost::json::value data, std::uint64_t epoch) = 0;
    /// Status change of one private stream (or of all four when `type` is empty).
    virtual void on_account_status(std::string_view user, std::string_view account,
        std::optional<stream_type> type, stream_state state, std::string_view code,
        std::string_view message, std::uint64_t epoch) = 0;
    /// Full latest ticker of a public symbol.
    virtual void on_ticker(std::string_view exchange, std::string_view category, std::string_view symbol,
        boost::json::value data) = 0;
    /// Status change of a public ticker stream.
    virtual void on_ticker_status(std::string_view exchange, std::string_view category,
        std::string_view symbol, stream_state state, std::string_view code, std::string_view message) = 0;
    /// Every upstream session of `exchange` was rebuilt (a plugin reload): the next data of each of its
    /// streams is a fresh snapshot and reaches every subscriber, even when it equals the cached state.
    virtual void on_upstream_restart(std::string_view exchange) = 0;
};

/// The upstream side. Every call is made on the control strand, must not block, and reports back
/// through the sink (possibly later, always on the control strand).
class provider {
public:
    virtual ~provider() = default;
    /// Sets where data goes; called once before any other call. The hub calls it from its constructor
    /// and calls it again with nullptr from its destructor: after that the provider must not use the sink.
    virtual void set_sink(sink* s) = 0;
    /// True if `exchange` is served (for subscribe_ticker validation).
    virtual bool has_exchange(std::string_view exchange) const = 0;
    /// Starts (or keeps) the upstream session of (user, account) and fetches a fresh snapshot of every
    /// type in `types` (a bit set of 1u << stream_type). Data for it carries `epoch`.
    virtual void open_account(std::string_view user, account const& acct, unsigned types,
        std::uint64_t epoch) = 0;
    /// Fetches a fresh snapshot of one more type for an open session.
    virtual void request_snapshot(std::string_view user, std::string_view account, stream_type type,
        std::uint64_t epoch) = 0;
    /// Releases the upstream session of (user, account).
    virtual void close_account(std::string_view user, std::string_view account) = 0;
    /// Epoch fence: drop every session, cache and in-flight request of `user`. Idempotent.
    virtual void reset_user(std::string_view user) = 0;
    /// Epoch fence for one exchange (the admin `user flush U --exchange X`): drop what `user` holds
    /// upstream for `exchange`. A provider may drop more than asked (its reset_user cannot be scoped);
    /// it returns every exchange whose sessions of the user are gone, nullopt meaning all of them.
    /// The default calls reset_user and returns nullopt.
    virtual std::optional<std::vector<std::string>> reset_user_on(std::string_view user, std::string_view exchange);
    /// Starts / stops the shared public ticker stream of a symbol (the hub reference-counts).
    virtual void subscribe_ticker(std::string_view exchange, std::string_view category,
        std::string_view symbol) = 0;
    virtual void unsubscribe_ticker(std::string_view exchange, std::string_view category,
        std::string_view symbol) = 0;
};

} // namespace tradepush::feed
