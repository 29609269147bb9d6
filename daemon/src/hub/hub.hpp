#pragma once
// The hub: subscriptions, per-stream state (latest snapshot, hash, seq), fan-out, and the DESIGN §4
// invariants. Owns all of its state on the control strand; public calls post there.

#include "feed/feed.hpp"
#include "hub/account_directory.hpp"
#include "hub/shard_port.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tradepush::hub {

namespace net = boost::asio;

/// Limits on what one connection may ask for.
struct hub_limits {
    std::size_t max_symbols_per_request = 50;
    std::size_t max_tickers_per_connection = 200;
    std::size_t max_connections_per_user = 32;
};

/// Snapshot of the hub's sizes, for tests ("returns to baseline") and metrics.
struct hub_stats {
    std::size_t connections = 0;
    std::size_t users = 0;
    std::size_t account_streams = 0;   ///< (user, account, type) streams with state or subscribers
    std::size_t ticker_streams = 0;
    std::size_t subscriptions = 0;     ///< (connection, stream) pairs
    /// subscriptions split by stream: balance, positions, pnl, orders (feed::stream_type order), ticker
    std::array<std::size_t, 5> subscriptions_by_stream{};
    std::size_t open_accounts = 0;     ///< upstream account sessions held open
    std::uint64_t pushes = 0;          ///< messages handed to shards (per connection)
    std::uint64_t dedup_skips = 0;     ///< unchanged payloads not pushed
    std::uint64_t stale_epoch_drops = 0; ///< feed results dropped by the epoch fence
    std::uint64_t resets = 0;          ///< reset_user calls made
};

/// One attached connection as the admin `sessions list` shows it.
struct connection_info {
    conn_id id = 0;
    std::string user;
    std::size_t shard = 0;
    std::string trading_account;   ///< label of its trading subscription; empty when none
    std::size_t trading_types = 0; ///< trading streams subscribed (balance, positions, pnl, orders)
    std::size_t tickers = 0;       ///< ticker streams subscribed
};

/// The reply to an event, as the JSON object the client gets in its ack. Called on the control strand.
using ack_callback = std::function<void(boost::json::object)>;

/// The hub. Construct, then call attach/detach/subscribe_* from any thread; results come back through
/// the callbacks (on the control strand) and the shard ports.
class hub : public feed::sink {
public:
    /// `control` is the control strand. `shards[i]` is the port of shard i; all must outlive the hub.
    /// Registers itself as the provider's sink; the destructor unregisters it (set_sink(nullptr)) and
    /// must run on the control strand or after it stopped. Work posted before destruction is dropped.
    hub(net::any_io_executor control, feed::provider& provider, account_directory const& accounts,
        std::vector<shard_port*> shards, hub_limits limits = {});
    ~hub() override;

    /// Registers an authenticated connection of `user` living on shard `shard`.
    /// `done(true)` when accepted, `done(false)` when the user is at max_connections_per_user.
    void attach(conn_id conn, std::string user, std::size_t shard, std::function<void(bool)> done);
    /// The connection is gone: drop its subscriptions; when it was the user's last, drop all of the
    /// user's state, release upstream sessions and call reset_user (invariant 3).
    void detach(conn_id conn);

    /// `subscribe_trading {"types":[...],"account":"label"}` (invariants 1, 4, 6).
    void subscribe_trading(conn_id conn, boost::json::value args, ack_callback ack);
    /// `unsubscribe_trading {"types":[...]}`.
    void unsubscribe_trading(conn_id conn, boost::json::value args, ack_callback ack);
    /// `subscribe_ticker {"symbols":[...],"exchange":"bybit","category":"linear"}`.
    void subscribe_ticker(conn_id conn, boost::json::value args, ack_callback ack);
    /// `unsubscribe_ticker {"symbols":[...]}` (optionally with exchange/category).
    void unsubscribe_ticker(conn_id conn, boost::json::value args, ack_callback ack);

    /// Drops a user's cached state, calls reset_user and re-fetches fresh snapshots for their live
    /// subscriptions (the admin `user flush`). `done(found)` on the control strand.
    void flush_user(std::string user, std::function<void(bool)> done);
    /// The same, limited to the user's accounts on `exchange` when it is not empty: only the provider
    /// serving it is reset (provider::reset_user_on), and only those accounts' subscribers get fresh
    /// snapshots regardless of change; accounts of other exchanges the provider had to drop are
    /// refetched and pushed only when changed. `done` gets nullopt when the user has no live
    /// connection, else the number of accounts of `exchange` (all, when empty) refetched.
    void flush_user(std::string user, std::string exchange, std::function<void(std::optional<std::size_t>)> done);

    /// The attached connections, of `user` only when it is not empty, at most `limit` of them in
    /// connection-id order (oldest first). `done` runs on the control strand.
    void connections(std::string user, std::size_t limit, std::function<void(std::vector<connection_info>)> done) const;

    /// Closes the transport of every connection of `user` with `reason` (the admin `user kick`):
    /// clients reconnect and resubscribe. `done(n)` on the control strand with the number of
    /// connections asked to close; 0 when the user has none.
    void kick_user(std::string user, std::string reason, std::function<void(std::size_t)> done);

    /// Reads the sizes; `done` runs on the control strand.
    void stats(std::function<void(hub_stats)> done) const;

    // feed::sink — called by the provider on the control strand.
    void on_account_data(std::string_view user, std::string_view account, feed::stream_type type,
        boost::json::value data, std::uint64_t epoch) override;
    void on_account_status(std::string_view user, std::string_view account,
        std::optional<feed::stream_type> type, feed::stream_state state, std::string_view code,
        std::string_view message, std::uint64_t epoch) override;
    void on_ticker(std::string_view exchange, std::string_view category, std::string_view symbol,
        boost::json::value data) override;
    void on_ticker_status(std::string_view exchange, std::string_view category, std::string_view symbol,
        feed::stream_state state, std::string_view code, std::string_view message) override;
    void on_upstream_restart(std::string_view exchange) override;

    struct state;

private:
    std::unique_ptr<state> state_;
};

} // namespace tradepush::hub
