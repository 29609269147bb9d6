#pragma once
// The Engine.IO v4 server: HTTP listener, long-polling and WebSocket transports, upgrade, heartbeat.

#include "engineio/options.hpp"
#include "engineio/session.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace tradepush::engineio {

/// Creates the handler for a new session; runs on the session's shard. Returning nullptr refuses it.
using session_factory = std::function<std::shared_ptr<session_handler>(session_ptr const&)>;

/// A plain HTTP response for routes outside the Engine.IO paths (/healthz, /metrics).
struct http_reply {
    unsigned status = 404;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
};
/// Answers a plain HTTP GET for a non-Engine.IO path; runs on the connection's shard.
using http_route = std::function<http_reply(std::string_view target)>;

/// Counters across all shards; approximate while traffic flows.
struct server_stats {
    std::size_t sessions = 0;
    std::size_t http_connections = 0;
    std::uint64_t sessions_opened = 0;      ///< since start
    std::uint64_t conflations = 0;          ///< queued pushes replaced by a newer one of the same stream
    std::uint64_t ws_writes = 0;            ///< WebSocket writes of messages (one per gathered batch)
    std::uint64_t refused_full = 0;         ///< handshakes refused with 503 at options::max_sessions
    std::uint64_t slow_consumer_closes = 0; ///< sessions closed for not reading
    std::size_t closing = 0;                ///< WebSockets whose server-side close has not completed
    std::size_t unauthenticated = 0;        ///< sessions that have not authenticated yet
    std::uint64_t refused_address = 0;      ///< connections refused: their address held max_sockets_per_address
    std::uint64_t refused_handshake_rate = 0; ///< handshakes refused (429): their address started too many
    std::uint64_t refused_unauthenticated = 0; ///< handshakes refused (503) at max_unauthenticated_sessions
    std::uint64_t refused_proxy = 0;        ///< trusted-proxy connections without a valid PROXY header
    std::uint64_t accept_failures = 0;      ///< accepts that failed (EMFILE and the like)
    std::uint64_t shed = 0;                 ///< unauthenticated connections closed to free descriptors
    std::uint64_t evicted_unauthenticated = 0; ///< oldest unauthenticated sessions closed for a newcomer
};

/// Engine.IO server over N shards. Each shard is an io_context run by one thread; a session lives on
/// the shard whose acceptor took its first connection, and requests for it that land elsewhere are
/// handed over (polling) or moved (WebSocket upgrade) to that shard.
class server {
public:
    /// `shards` must outlive the server; they are run by the caller.
    explicit server(std::vector<net::io_context*> shards);
    /// Closes everything. Either while the shards run, or after all of them stopped (then at once,
    /// so the io_contexts may be destroyed right after).
    ~server();
    server(server const&) = delete;
    server& operator=(server const&) = delete;

    /// Serves an Engine.IO endpoint at `opts.path`. Call before listen().
    void add_endpoint(options opts, session_factory factory);
    /// Sets the per-connection and per-address limits (connection_options). Call before listen().
    void set_connection_options(connection_options opts);
    /// Serves plain GETs at exactly `path`. Call before listen().
    void add_route(std::string path, http_route route);

    /// Binds one SO_REUSEPORT acceptor per shard on `ep` (port 0 picks one) and starts accepting.
    /// May be called once per listening address; port() is the first one's.
    boost::system::result<void> listen(net::ip::tcp::endpoint ep);
    /// The bound port of the first listen().
    unsigned short port() const noexcept;

    /// Stops accepting new connections; live sessions continue. Thread-safe.
    void stop_accepting();
    /// Starts a graceful drain: stops accepting, refuses new handshakes, and closes every session
    /// (reason "server draining", WebSocket code 1012) in a random order spread over at most
    /// `max_spread` (see plan_drain; each shard spreads its own sessions). Watch stats().sessions
    /// and stats().closing reach 0; close_all() cuts what is left. Thread-safe; once only.
    void drain(std::chrono::milliseconds max_spread);
    /// Closes every session ("forced server close") and every HTTP connection. Thread-safe.
    void close_all();

    /// Number of live sessions over all shards. Thread-safe.
    server_stats stats() const;

    class impl;

private:
    std::shared_ptr<impl> impl_;
    bool listening_ = false;
};

} // namespace tradepush::engineio
