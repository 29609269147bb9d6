#pragma once
// One Engine.IO session (one client), whichever transport carries it.

#include "common/outbound.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace tradepush::engineio {

namespace net = boost::asio;

/// What the layer above (Socket.IO, or the Engine.IO echo) receives from a session.
/// Every call happens on the session's shard thread, never concurrently.
class session_handler {
public:
    virtual ~session_handler() = default;
    /// A message packet arrived: text (UTF-8) or binary.
    virtual void on_message(std::string_view data, bool binary) = 0;
    /// The session ended; `reason` is one of the reference's close reasons ("transport close",
    /// "transport error", "ping timeout", "parse error", "forced close", "slow consumer", ...).
    /// Called exactly once; no call follows it.
    virtual void on_close(std::string_view reason) = 0;
};

/// What a session keeps of its opening request: only what the layers above read. It lives as long
/// as the connection, so a browser's cookies and user agent would be paid for by every idle client.
struct handshake_info {
    net::ip::tcp::endpoint remote;
    /// The Authorization header's value, "" when absent: a token carrier besides the CONNECT auth.
    std::string authorization;
};

/// Counters a session keeps for tests, metrics and slow-consumer handling.
struct session_stats {
    std::uint64_t messages_sent = 0;
    std::uint64_t messages_conflated = 0;
    /// WebSocket writes started (one gathered write per batch): messages_sent / writes is how well
    /// pushes coalesce.
    std::uint64_t writes = 0;
    std::size_t pending_bytes = 0;
};

/// A live Engine.IO session. Owned by the server's shard; the layer above holds a shared_ptr
/// while it needs it. All member functions must be called on the session's executor (its shard).
class session {
public:
    virtual ~session() = default;

    /// The Engine.IO sid (secret: never reuse it as a public id).
    virtual std::string const& id() const noexcept = 0;
    /// The shard executor this session lives on.
    virtual net::any_io_executor get_executor() const = 0;
    /// What the session kept of its opening request (peer, Authorization).
    virtual handshake_info const& handshake() const noexcept = 0;
    /// "polling" or "websocket".
    virtual std::string_view transport() const noexcept = 0;

    /// Queues one message packet. `conflate_key != 0` makes it replace an unsent message queued
    /// with the same key (lossless for full-state pushes); key 0 always appends.
    virtual void send(outbound_ptr msg, std::uint64_t conflate_key = 0) = 0;
    /// Convenience: queues a text message packet (the caller passes the Engine.IO payload
    /// without the leading '4', e.g. `2["x"]` for a Socket.IO EVENT).
    virtual void send_text(std::string_view message) = 0;
    /// Convenience: queues a binary message packet.
    virtual void send_binary(std::string_view bytes) = 0;
    /// Closes the session from the server side; on_close follows with `reason`.
    virtual void close(std::string_view reason) = 0;
    /// Counters; cheap.
    virtual session_stats stats() const noexcept = 0;
    /// The layer above says whether its client has authenticated (Socket.IO: joined a namespace).
    /// Sessions start unauthenticated and count against connection_options::
    /// max_unauthenticated_sessions until this is called with true (and again after false).
    virtual void set_authenticated(bool authenticated) noexcept { (void)authenticated; }
};

using session_ptr = std::shared_ptr<session>;

} // namespace tradepush::engineio
