#pragma once
// One worker shard's connections, and the hub's way into them (hub::shard_port).

#include "common/rate_limiter.hpp"
#include "hub/shard_port.hpp"
#include "socketio/socket.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace tradepush::gateway {

namespace net = boost::asio;

/// Connections by the moment their token expires (one shard's; see shard_registry::add).
using expiry_schedule = std::multimap<std::chrono::steady_clock::time_point, hub::conn_id>;

/// What the gateway keeps per client connection.
struct connection {
    hub::conn_id id;
    socketio::socket_ptr socket;
    std::string user;
    rate_limiter limiter;
    /// Refused events in the current window; the window restarts after a quiet spell, so a client
    /// that bursts now and then is never closed for it, only one that keeps flooding.
    unsigned violations = 0;
    std::chrono::steady_clock::time_point violations_since{};
    /// When the gateway accepted it (for the admin `sessions list`).
    std::chrono::steady_clock::time_point connected_at = std::chrono::steady_clock::now();
    /// When its token stops being valid (exp + leeway); none for a token without exp.
    std::optional<std::chrono::steady_clock::time_point> expires_at{};
    /// Its place in the shard's expiry schedule (set by shard_registry::add).
    std::optional<expiry_schedule::iterator> expiry{};
};

/// A connection as the admin `sessions list` shows it, copied on its shard.
struct connection_view {
    hub::conn_id id = 0;
    std::string user;
    /// The public Socket.IO socket id (never the Engine.IO sid, which is a secret).
    std::string socket_id;
    std::string transport;
    /// "address:port" of the client ("address" when a proxy named it without a port), empty if unknown.
    std::string remote;
    std::chrono::steady_clock::time_point connected_at{};
};

/// The live client connections of one shard, by hub connection id. The map is touched only on the
/// shard's thread; the shard_port methods are called on the control strand and post to the shard.
class shard_registry final : public hub::shard_port {
public:
    shard_registry(net::io_context& ioc, std::size_t index) : ioc_(ioc), index_(index) {}

    /// This shard's index (the hub's shard number).
    std::size_t index() const noexcept { return index_; }
    /// This shard's executor.
    net::io_context::executor_type executor() const noexcept { return ioc_.get_executor(); }

    /// Registers an accepted socket (shard thread). A connection with expires_at is ended then:
    /// it gets an `error` event with code `token_expired`, and its transport is closed with reason
    /// "token expired", which stock clients answer by reconnecting with a fresh token.
    connection& add(connection c);
    /// Unregisters it (shard thread).
    void remove(hub::conn_id id);
    /// Looks a connection up (shard thread); nullptr when gone.
    connection* find(hub::conn_id id) noexcept;
    /// Looks a connection up by its socket (shard thread); nullptr when gone.
    connection* find(socketio::socket const* s) noexcept;
    /// Copies the connections with these ids (shard thread); ids not on this shard are skipped.
    std::vector<connection_view> describe(std::vector<hub::conn_id> const& ids) const;
    /// Live connections (shard thread).
    std::size_t size() const noexcept { return sockets_.size(); }

    // hub::shard_port
    void deliver(std::shared_ptr<std::vector<hub::conn_id> const> conns, outbound_ptr msg,
        std::uint64_t conflate_key) override;
    void deliver_one(hub::conn_id conn, outbound_ptr msg, std::uint64_t conflate_key) override;
    void post(std::function<void()> fn) override;
    void close(hub::conn_id conn, std::string reason) override;

private:
    using list_ptr = std::shared_ptr<std::vector<hub::conn_id> const>;

    /// A subscriber list resolved to its sockets on this shard, valid while `generation` is the
    /// registry's. Holding `list` keeps its address from being reused by another list.
    struct resolved_list {
        /// A socket and its session: both are touched per push, so both are prefetched.
        struct target {
            socketio::socket* socket;
            void const* session;
        };
        list_ptr list;
        std::uint64_t generation = 0;
        std::vector<target> targets;
    };

    /// Pushes `msg` to every connection of `conns`.
    void fan_out(list_ptr const& conns, outbound_ptr const& msg, std::uint64_t conflate_key);
    /// The sockets of `conns`, resolved now or reused from the last fan-out of the same list.
    resolved_list const& resolve(list_ptr const& conns);

    net::io_context& ioc_;
    std::size_t index_;
    std::unordered_map<hub::conn_id, connection> sockets_;
    std::unordered_map<socketio::socket const*, hub::conn_id> by_socket_;
    /// Bumped by add() and remove(): a resolved list of an older generation may name a gone socket.
    std::uint64_t generation_ = 0;
    /// Resolved lists of large streams (tickers), by list address.
    std::unordered_map<void const*, resolved_list> resolved_;

    /// Arms expiry_timer_ for the earliest entry of expiries_ (when it changed).
    void arm_expiry();
    void on_expiry(boost::system::error_code ec);

    expiry_schedule expiries_;
    /// Created with the first expiring connection; armed for the earliest expiry.
    std::optional<net::steady_timer> expiry_timer_;
    std::chrono::steady_clock::time_point expiry_armed_for_{};
};

} // namespace tradepush::gateway
