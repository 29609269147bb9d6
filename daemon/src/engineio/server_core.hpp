#pragma once
// Internals shared by the Engine.IO server's pieces: shards, endpoints, routes, the sid scheme.

#include "common/log_limiter.hpp"
#include "engineio/address_limits.hpp"
#include "engineio/server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace tradepush::engineio {

class session_impl;
class http_connection;

/// A session noted as unauthenticated (shard_state::unauthenticated). It is current while the
/// session lives, has not authenticated and was not noted again since (same generation).
struct unauthenticated_entry {
    std::chrono::steady_clock::time_point since;
    std::uint16_t generation;
    std::weak_ptr<session_impl> session;
};

/// One Engine.IO endpoint (path) and the factory of its sessions.
struct endpoint_entry {
    options opts;
    session_factory factory;
};

/// Per-shard state; touched only on the shard's thread.
struct shard_state {
    shard_state(net::io_context& ctx, std::size_t idx)
        : ioc(ctx), index(idx), sweeper(std::in_place, ctx), flush_timer(std::in_place, ctx) {}

    /// Closes acceptors, sessions and connections and drops every I/O object of this shard.
    /// Runs on the shard, or anywhere once the shard's io_context no longer runs.
    void shut_down();

    net::io_context& ioc;
    std::size_t index;
    /// One acceptor per listening address.
    std::vector<std::unique_ptr<net::ip::tcp::acceptor>> acceptors;
    std::unordered_map<std::string, std::shared_ptr<session_impl>> sessions;
    std::unordered_set<http_connection*> connections;
    /// This shard's sessions that had not authenticated when noted, oldest first (stale entries
    /// are skipped and compacted away); only kept while max_unauthenticated_sessions is set.
    std::deque<unauthenticated_entry> unauthenticated;
    /// Periodic slow-consumer and heartbeat sweep; reset by shut_down().
    std::optional<net::steady_timer> sweeper;
    /// Set by server::drain(): no new handshakes, sessions close on drain_timer's schedule.
    bool draining = false;
    /// Sids still to close, in a random order (closed from the back).
    std::vector<std::string> drain_order;
    std::size_t drain_ticks_left = 0;
    std::optional<net::steady_timer> drain_timer;
    /// Sessions holding pushes for the flush window (options::flush_window), flushed together when
    /// flush_timer fires. The timer is armed by the first session of a window; reset by shut_down().
    std::vector<std::shared_ptr<session_impl>> flush_pending;
    std::optional<net::steady_timer> flush_timer;
    bool flush_armed = false;
    /// Scratch read buffer shared by the shard's WebSockets (reads complete one at a time).
    std::string read_buffer = std::string(16 * 1024, '\0');

    // Counters for metrics: written by this shard only (relaxed, no cross-shard contention), read by
    // server::stats() from any thread.
    std::atomic<std::uint64_t> sessions_opened{0};
    std::atomic<std::uint64_t> conflations{0};
    std::atomic<std::uint64_t> ws_writes{0};
    std::atomic<std::uint64_t> refused_full{0};
    std::atomic<std::uint64_t> slow_consumer_closes{0};
    std::atomic<std::uint64_t> refused_address{0};
    std::atomic<std::uint64_t> refused_handshake_rate{0};
    std::atomic<std::uint64_t> refused_unauthenticated{0};
    std::atomic<std::uint64_t> refused_proxy{0};
    std::atomic<std::uint64_t> accept_failures{0};
    std::atomic<std::uint64_t> shed{0};
    std::atomic<std::uint64_t> evicted_unauthenticated{0};
    /// WebSockets closed by the server whose close has not completed yet. Shared with them: a
    /// lingering close may finish after the shard's state is gone (a server destroyed mid-drain).
    std::shared_ptr<std::atomic<std::size_t>> closing_transports = std::make_shared<std::atomic<std::size_t>>(0);
};

/// The server's shared core; outlives every connection and session (they hold a shared_ptr).
class server_core : public std::enable_shared_from_this<server_core> {
public:
    explicit server_core(std::vector<net::io_context*> const& shards);

    std::vector<std::unique_ptr<shard_state>> shards;
    std::vector<endpoint_entry> endpoints;
    std::map<std::string, http_route, std::less<>> routes;
    std::atomic<std::size_t> session_count{0};
    /// Sessions whose handler has not called session::set_authenticated(true) (yet, or again).
    std::atomic<std::size_t> unauthenticated_count{0};
    connection_options conn_opts = connection_options::unlimited();
    /// Refusals by the connection limits are logged, but never a line per attempt.
    log_limiter refusal_log{1, 10};
    /// Per-address socket and handshake accounting; replaced by server::set_connection_options.
    std::shared_ptr<address_limits> limits = std::make_shared<address_limits>(address_limit_options{});
    std::atomic<std::size_t> connection_count{0};
    std::atomic<unsigned short> port{0};

    /// The endpoint whose path prefixes `path`, or nullptr.
    endpoint_entry const* find_endpoint(std::string_view path) const;
    /// A fresh sid (20 base64url chars from a CSPRNG) whose first char names `shard`.
    std::string new_sid(std::size_t shard) const;
    /// The shard a sid belongs to, or nullopt for a malformed sid.
    std::optional<std::size_t> shard_of(std::string_view sid) const;

    void start_accept(shard_state& shard, net::ip::tcp::acceptor& acceptor);
    /// A socket just accepted: refused when its address holds too many, else served.
    void on_accepted(shard_state& shard, net::ip::tcp::socket socket);
    /// Out of descriptors: closes up to `n` of the shard's oldest connections that have not
    /// completed a handshake, so that clients with a token can still get in. Returns how many.
    std::size_t shed_unestablished(shard_state& shard, std::size_t n);
    /// Notes `s` (just opened, or unauthenticated again) as the newest unauthenticated session of
    /// its shard, under the note number `generation`. No-op without max_unauthenticated_sessions.
    void note_unauthenticated(shard_state& shard, std::shared_ptr<session_impl> const& s, std::uint16_t generation);
    /// At max_unauthenticated_sessions: closes the shard's oldest unauthenticated session if it has
    /// had unauthenticated_grace to authenticate. Returns whether one was closed.
    bool evict_unauthenticated(shard_state& shard);
    void arm_sweeper(shard_state& shard);
    /// Adds `session` to its shard's current flush window, opening one of length `window` if none is.
    void schedule_flush(shard_state& shard, std::shared_ptr<session_impl> session, std::chrono::microseconds window);
    /// One batch of a shard's drain, then the next one after the plan's tick.
    void drain_step(shard_state& shard, std::chrono::milliseconds tick);
};

} // namespace tradepush::engineio
