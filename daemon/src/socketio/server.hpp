#pragma once
// Socket.IO v5 on Engine.IO v4: namespaces, CONNECT/auth, events, acks, binary attachments, connectTimeout.

#include "engineio/server.hpp"
#include "socketio/socket.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace tradepush::socketio {

/// Application callbacks of one namespace. Every call happens on the socket's shard thread.
class namespace_handler {
public:
    virtual ~namespace_handler() = default;
    /// A CONNECT arrived with `auth` (the CONNECT payload object, or an empty object when absent).
    /// The handler must eventually call s->accept() or s->reject(...), now or later (async auth).
    /// While it is pending, any other packet for this namespace closes the Engine.IO session.
    virtual void on_connect(socket_ptr const& s, json::object const& auth) = 0;
    /// An EVENT for an accepted socket. Reserved names never reach here (the decoder refuses them).
    virtual void on_event(socket_ptr const& s, event&& ev) = 0;
    /// The socket is gone (client/server namespace disconnect or the transport closed). Called once,
    /// only for sockets that were accepted.
    virtual void on_disconnect(socket_ptr const& s, std::string_view reason) = 0;
};

/// Socket.IO-level options.
struct options {
    /// Close the Engine.IO session if no namespace is joined within this time (reference: 45 s).
    std::chrono::milliseconds connect_timeout{45000};
    /// Largest attachment count accepted on a binary packet (reference: 10).
    std::size_t max_attachments = 10;
    /// Refused CONNECTs (bad token, unknown namespace) one session may send; the next refusal
    /// closes the session, so one connection cannot try tokens at line rate. 0: no limit.
    unsigned max_failed_connects = 3;
};

/// Routes Engine.IO sessions to namespaces. Register namespaces, then hand session_factory() to
/// engineio::server::add_endpoint. Namespaces are fixed after the first session opens.
class server {
public:
    explicit server(options opts = {});
    ~server();
    server(server const&) = delete;
    server& operator=(server const&) = delete;

    /// Serves namespace `nsp` ("/", "/custom") with `handler` (shared by every socket; must be thread-safe
    /// if shards > 1 — calls for one socket are serialized, calls for different sockets may be concurrent).
    void of(std::string nsp, std::shared_ptr<namespace_handler> handler);

    /// The factory to give the Engine.IO endpoint.
    engineio::session_factory session_factory();

private:
    struct state;
    std::shared_ptr<state> state_;
};

} // namespace tradepush::socketio
