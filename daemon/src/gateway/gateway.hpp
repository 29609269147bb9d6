#pragma once
// The client protocol's front door: authenticates Socket.IO connections on namespace "/" and turns
// their events into hub calls, acks and all.

#include "auth/jwt_verifier.hpp"
#include "common/log_limiter.hpp"
#include "gateway/login_backoff.hpp"
#include "gateway/shard_registry.hpp"
#include "hub/hub.hpp"
#include "socketio/server.hpp"

#include <atomic>
#include <memory>
#include <vector>

namespace tradepush::gateway {

/// Limits the gateway applies per connection.
struct gateway_options {
    /// Sustained client events per second, and the burst allowed above it.
    double events_per_second = 20;
    double event_burst = 50;
    /// Events refused for rate within 10 s before the connection is closed.
    unsigned max_violations = 200;
    /// Refused logins per client address.
    login_backoff_options login;
};

/// The namespace handler for "/". Shared by all shards; per-connection state lives in each shard's
/// registry, so no lock is taken on the per-connection path.
class gateway final : public socketio::namespace_handler {
public:
    /// `shards[i]` is shard i's registry; hub and registries must outlive the gateway.
    gateway(hub::hub& hub, std::shared_ptr<auth::jwt_verifier const> verifier, std::vector<shard_registry*> shards,
        gateway_options opts = {});

    /// Verifies handshakes from now on with `verifier` (auth key rotation on config reload); a
    /// handshake being verified meanwhile finishes with the old one. Callable from any thread.
    void set_verifier(std::shared_ptr<auth::jwt_verifier const> verifier);

    void on_connect(socketio::socket_ptr const& s, socketio::json::object const& auth) override;
    void on_event(socketio::socket_ptr const& s, socketio::event&& ev) override;
    void on_disconnect(socketio::socket_ptr const& s, std::string_view reason) override;

private:
    shard_registry* shard_of(socketio::socket& s) const;
    /// Refuses a CONNECT with `code`, counts it against the peer's address, logs it (rate-limited).
    void refuse(socketio::socket_ptr const& s, address_key const& peer, std::string_view code);

    hub::hub& hub_;
    // Read by every shard per handshake, replaced by the control thread on reload.
    std::atomic<std::shared_ptr<auth::jwt_verifier const>> verifier_;
    std::vector<shard_registry*> shards_;
    gateway_options opts_;
    std::atomic<hub::conn_id> next_id_{1};
    login_backoff backoff_;
    // Refused logins are what a token-guessing client produces at line rate.
    log_limiter refusal_log_{10, 50};
};

} // namespace tradepush::gateway
