#pragma once
// Tunables of one Engine.IO endpoint; defaults are the reference server's (engine.io 6.6).

#include "common/trusted_networks.hpp"

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace tradepush::engineio {

/// CORS policy for browsers on another origin; off unless origins are listed.
struct cors_options {
    /// Allowed origins; "*" allows any. Empty = no CORS headers at all (the reference default).
    std::vector<std::string> origins;
    /// Send Access-Control-Allow-Credentials: true (needs explicit origins, never "*").
    bool credentials = false;
};

/// Options of one Engine.IO endpoint (one path).
struct options {
    /// Request path, with the trailing slash clients send (`/socket.io/`).
    std::string path = "/engine.io/";
    std::chrono::milliseconds ping_interval{25000};
    std::chrono::milliseconds ping_timeout{20000};
    std::chrono::milliseconds upgrade_timeout{10000};
    /// Largest accepted message / polling POST body (maxHttpBufferSize); advertised as maxPayload.
    std::size_t max_payload = 1000000;
    bool allow_polling = true;
    bool allow_websocket = true;
    bool allow_upgrades = true;
    cors_options cors;
    /// Hard cap on bytes queued for one session; above it for `slow_consumer_timeout`, the
    /// session is closed with reason "slow consumer".
    std::size_t max_pending_bytes = 4 * 1024 * 1024;
    /// How long a session may stay above max_pending_bytes, or have one write stuck, before it is closed.
    std::chrono::milliseconds slow_consumer_timeout{10000};
    /// How long a WebSocket closed by the server may take to send its close frame (after what was
    /// queued before it) and, in a drain, to see the client's answer, before the socket is cut.
    std::chrono::milliseconds close_timeout{3000};
    /// Most sessions at once across the server; a handshake beyond it gets 503 "server full" (so
    /// clients back off and retry, instead of the process running out of descriptors). 0: no cap.
    std::size_t max_sessions = 0;
    /// Kernel send buffer per connection (SO_SNDBUF); 0 keeps the kernel default.
    int socket_send_buffer = 0;
    /// How long a WebSocket push may wait for more pushes to the same session, which then go out
    /// together in one gathered write (and conflate per stream). 0: every push is written at once.
    std::chrono::microseconds flush_window{0};
};

/// What the server allows per connection and per client address, before any endpoint is known.
/// One set per server (server::set_connection_options).
struct connection_options {
    /// Open sockets of one client address (IPv4 address, or IPv6 /64). Behind carrier-grade NAT
    /// many phones share an address, so this is a bound on one abusive address, not on a user.
    /// 0: no cap.
    std::size_t max_sockets_per_address = 256;
    /// Handshakes one client address may start per second, and the burst above it (a NATed
    /// office reconnecting at once after a restart). 0: no limit.
    double handshakes_per_second_per_address = 20;
    double handshake_burst_per_address = 200;
    /// How long a request's line and headers may take to arrive, and how long an idle keep-alive
    /// connection waits for its next request.
    std::chrono::milliseconds header_timeout{10000};
    /// Engine.IO sessions that have not authenticated yet (no namespace joined), across the
    /// server: past it a new handshake evicts the shard's oldest such session if that one has had
    /// unauthenticated_grace to authenticate, else gets 503 "server busy". So such sessions never
    /// take every place from clients with a token, and a flood of them cannot lock new clients
    /// out either: a real client authenticates within a round trip of its handshake. 0: no cap.
    std::size_t max_unauthenticated_sessions = 1024;
    /// How long an unauthenticated session is safe from eviction (see above).
    std::chrono::milliseconds unauthenticated_grace{1000};
    /// Load balancers in front of the server. Their connections are exempt from the per-address
    /// limits, which apply to the client they name instead: by a PROXY protocol header when
    /// proxy_protocol is set (then every connection from them must start with one), else by the
    /// request's X-Forwarded-For. Nobody else may name a client.
    trusted_networks trusted_proxies;
    bool proxy_protocol = false;

    /// No per-address or unauthenticated caps: what a server has until set_connection_options()
    /// (an embedded Engine.IO server, tests). The daemon always sets its configured limits.
    static connection_options unlimited() noexcept
    {
        connection_options o;
        o.max_sockets_per_address = 0;
        o.handshakes_per_second_per_address = 0;
        o.handshake_burst_per_address = 0;
        o.max_unauthenticated_sessions = 0;
        return o;
    }
};

} // namespace tradepush::engineio
