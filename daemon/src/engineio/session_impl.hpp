#pragma once
// The Engine.IO session state machine: transports, upgrade, heartbeat, outgoing queue.

#include "engineio/options.hpp"
#include "engineio/send_queue.hpp"
#include "engineio/session.hpp"

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace tradepush::engineio {

class http_connection;
class ws_transport;
struct shard_state;
class server_core;

/// The concrete session. Lives on its shard; every member runs there.
class session_impl final : public session, public std::enable_shared_from_this<session_impl> {
public:
    session_impl(server_core& server, shard_state& shard, options const& opts, std::string sid,
        handshake_info hs, bool websocket);
    ~session_impl() override;

    // session
    std::string const& id() const noexcept override { return sid_; }
    net::any_io_executor get_executor() const override;
    handshake_info const& handshake() const noexcept override { return handshake_; }
    std::string_view transport() const noexcept override { return websocket_ ? "websocket" : "polling"; }
    void send(outbound_ptr msg, std::uint64_t conflate_key = 0) override;
    void send_text(std::string_view message) override;
    void send_binary(std::string_view bytes) override;
    void close(std::string_view reason) override;
    session_stats stats() const noexcept override;
    void set_authenticated(bool authenticated) noexcept override;

    /// Closes for a drain: a WebSocket gets close code 1012 (Service Restart) after what is already
    /// being written, and the client's answer is awaited up to the close timeout; a parked poll
    /// gets the close packet. on_close follows with `reason`.
    void drain_close(std::string_view reason);
    /// Installs the upper layer's handler and starts the heartbeat.
    void start(std::shared_ptr<session_handler> handler);
    /// The open packet `0{...}` for this session.
    std::string open_packet() const;
    /// True after close().
    bool closed() const noexcept { return closed_; }
    /// Whether the shard's unauthenticated note `generation` still describes this session.
    bool unauthenticated_since(std::uint16_t generation) const noexcept
    {
        return !closed_ && !authenticated_ && generation == unauthenticated_generation_;
    }
    /// True once the session moved to WebSocket (by handshake or upgrade).
    bool on_websocket() const noexcept { return websocket_; }
    /// Lazy heartbeat check: true (and the session is closed) when the pong deadline has passed.
    bool expire_if_due(std::chrono::steady_clock::time_point now);
    /// Periodic check from the shard sweeper: slow consumers.
    void sweep(std::chrono::steady_clock::time_point now);

    // Polling transport
    /// A GET arrived. Answers at once (queued packets, noop while upgrading) or parks `conn`.
    /// A second concurrent GET is a protocol error (400 + close).
    void on_poll_get(std::shared_ptr<http_connection> const& conn);
    /// A POST body arrived; returns false when the body is malformed (the session is then closed).
    void on_poll_post(std::string_view body);
    /// The parked GET's connection went away.
    void on_poll_aborted(http_connection* conn);

    // WebSocket transport
    /// Adopts the WebSocket of a WebSocket-only handshake.
    void attach_websocket(std::shared_ptr<ws_transport> t);
    /// A WebSocket with this sid arrived: an upgrade probe (or a duplicate, closed at once).
    void attach_probe(std::shared_ptr<ws_transport> t);
    void on_ws_text(ws_transport* t, std::string& msg);
    void on_ws_binary(ws_transport* t, std::string& msg);
    void on_ws_written(ws_transport* t);
    void on_ws_closed(ws_transport* t, std::string_view reason);
    /// The shard's flush window this session joined has ended: write what is queued.
    void on_flush_window();

private:
    void handle_packet(std::string_view pkt);
    void flush();
    void respond_poll(std::string body);
    void arm_ping();
    void on_ping_timer(boost::system::error_code ec);
    void abort_upgrade();
    void finish_close(std::string_view reason, bool release_get_with_noop, std::uint16_t ws_code = 1000,
        bool linger = false);

    // What send() reads comes first, next to the vtable pointer: on the fan-out path this object is
    // cold, so every cache line it touches costs a miss per push.
    bool websocket_;
    bool closed_ = false;
    bool upgrading_ = false;  // 3probe sent on the probe, waiting for 5
    bool flush_scheduled_ = false; // in the shard's flush_pending
    bool authenticated_ = false;   // not counted in server_core::unauthenticated_count
    /// The shard's latest note of this session (server_core::note_unauthenticated). 16 bits sit in
    /// the flags' padding; a wrapped number can only make a long-stale note count as current, and
    /// the worst that does is evict a session that had authenticated before, early.
    std::uint16_t unauthenticated_generation_ = 0;
    std::shared_ptr<ws_transport> ws_;
    session_stats stats_;
    send_queue queue_;

    server_core& server_;
    shard_state& shard_;
    options const& opts_;
    std::string sid_;
    handshake_info handshake_;
    std::shared_ptr<session_handler> handler_;

    std::shared_ptr<ws_transport> probe_;
    std::weak_ptr<http_connection> pending_get_;

    std::vector<outbound_ptr> batch_;

    net::steady_timer heartbeat_;
    bool awaiting_pong_ = false;
    std::chrono::steady_clock::time_point pong_deadline_{};
    /// Only while an upgrade probe is open (destroying it cancels the wait): most sessions never
    /// upgrade, or did long ago.
    std::unique_ptr<net::steady_timer> upgrade_timer_;
    std::chrono::steady_clock::time_point over_limit_since_{};
};

} // namespace tradepush::engineio
