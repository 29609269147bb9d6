#pragma once
// One stream's state in the hub: who is subscribed, who still waits for a first message, and the
// latest state (its packet, hash and seq). Private streams are (user, account, type); public ones
// are (exchange, category, symbol) tickers.

#include "common/outbound.hpp"
#include "feed/feed.hpp"
#include "hub/shard_port.hpp"
#include "hub/subscriber_set.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace tradepush::hub {

/// State of one stream. Lives on the control strand; exists only while it has subscribers, so no
/// state outlives the connections that asked for it (DESIGN §4 invariant 3).
struct stream {
    /// A private stream of `account` (exchange `exchange`) of type `type`.
    stream(std::uint64_t key, feed::stream_type type, std::string exchange, std::string account);
    /// A public ticker stream.
    stream(std::uint64_t key, std::string exchange, std::string category, std::string symbol);

    /// Event name: "balance", "positions", "pnl", "orders" or "ticker".
    std::string_view event;
    std::string exchange;
    std::string account;  ///< private streams only
    std::string category; ///< tickers only
    std::string symbol;   ///< tickers only

    /// Conflate key of data pushes: unique across streams, never 0.
    std::uint64_t data_key;
    /// Conflate key of stream_status pushes, so a status never replaces unsent data.
    std::uint64_t status_key() const noexcept { return data_key + 1; }

    /// Subscribed connections.
    subscriber_set subscribers;
    /// Subscribed connections (-> shard) that have not received any data of this stream yet: they get
    /// the next data even when it is unchanged (invariant 1: dedup never suppresses a first message).
    std::unordered_map<conn_id, std::size_t> awaiting;

    /// Seq of `latest`; +1 per pushed change, never on dedup.
    std::uint64_t seq = 0;
    /// Hash of the serialized data of `latest`.
    std::size_t hash = 0;
    /// The last pushed data packet (the cached state); null when none.
    outbound_ptr latest;
    /// The last non-live stream_status packet; null while live.
    outbound_ptr status;
    /// A snapshot was asked for and has not arrived (so a second subscriber does not ask again).
    bool snapshot_pending = false;

    /// True for a ticker stream.
    bool is_ticker() const noexcept { return event == "ticker"; }
    /// The data event around already-serialized `data_json` with the current seq and `ts_ms`.
    outbound_ptr make_data(std::string_view data_json, std::int64_t ts_ms) const;
    /// The stream_status event for this stream.
    outbound_ptr make_status(feed::stream_state state, std::string_view code, std::string_view message) const;
};

} // namespace tradepush::hub
