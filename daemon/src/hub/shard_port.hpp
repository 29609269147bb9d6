#pragma once
// How the hub reaches connections: one port per worker shard.

#include "common/outbound.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace tradepush::hub {

/// Globally unique connection id (one per accepted Socket.IO socket); never reused.
using conn_id = std::uint64_t;

/// Delivery into one worker shard. Called on the control strand; implementations post the work
/// to their shard and return at once. Work posted by one call runs after work posted by an earlier
/// call (FIFO per shard), so an ack posted before a snapshot reaches the client first.
class shard_port {
public:
    virtual ~shard_port() = default;
    /// Queues `msg` on every listed connection of this shard (unknown ids are skipped).
    /// `conflate_key` identifies the stream: a newer push replaces an unsent older one.
    virtual void deliver(std::shared_ptr<std::vector<conn_id> const> conns, outbound_ptr msg,
        std::uint64_t conflate_key) = 0;
    /// Queues `msg` on one connection.
    virtual void deliver_one(conn_id conn, outbound_ptr msg, std::uint64_t conflate_key) = 0;
    /// Runs `fn` on the shard (acks, closes).
    virtual void post(std::function<void()> fn) = 0;
    /// Closes a connection's transport with `reason` (clients auto-reconnect).
    virtual void close(conn_id conn, std::string reason) = 0;
};

} // namespace tradepush::hub
