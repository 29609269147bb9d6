#pragma once
// The concrete namespace connection behind socketio::socket.

#include "socketio/packet.hpp"
#include "socketio/server.hpp"
#include "socketio/socket.hpp"

#include <memory>
#include <string>

namespace tradepush::socketio {

class client;

/// One namespace connection of one Engine.IO session. Owned by its client (until the session
/// closes or the namespace disconnects) and by whoever the application gave the socket_ptr to.
class socket_impl final : public socket, public std::enable_shared_from_this<socket_impl> {
public:
    /// Lifecycle: pending (CONNECT seen, handler deciding) -> connected (accepted) -> closed.
    enum class state { pending, connected, closed };

    /// `owner` must stay valid until detach(); `handler` serves the namespace.
    socket_impl(std::string id, std::string nsp, engineio::session_ptr session, client* owner,
        namespace_handler* handler);

    // socketio::socket (documented there); every call is a no-op once the socket is closed.

    /// See socket::id().
    std::string const& id() const noexcept override { return id_; }
    /// See socket::nsp().
    std::string const& nsp() const noexcept override { return nsp_; }
    /// See socket::session(); valid for as long as this socket object lives.
    engineio::session& session() noexcept override { return *session_; }
    /// See socket::connected().
    bool connected() const noexcept override { return state_ == state::connected; }

    /// See socket::accept(); only a pending socket can be accepted.
    void accept() override;
    /// See socket::reject(); only a pending socket can be rejected.
    void reject(std::string_view message, json::value data = nullptr) override;
    /// See socket::emit(); BINARY_EVENT when `attachments` is not empty.
    void emit(std::string_view name, json::array args = {},
        std::vector<std::string> attachments = {}) override;
    /// See socket::ack(); BINARY_ACK when `attachments` is not empty.
    void ack(std::uint64_t id, json::array args = {},
        std::vector<std::string> attachments = {}) override;
    /// See socket::send().
    void send(outbound_ptr msg, std::uint64_t conflate_key = 0) override;
    /// See socket::disconnect(); on_disconnect("server namespace disconnect") follows if accepted.
    void disconnect() override;
    /// See socket::close_transport().
    void close_transport(std::string_view reason) override;

    /// Where the socket is in its lifecycle.
    state current_state() const noexcept { return state_; }
    /// The namespace's application handler.
    namespace_handler& handler() const noexcept { return *handler_; }
    /// Marks the socket closed and forgets the owner; every later call is a no-op. Returns true if
    /// it was connected (the caller then owes the handler an on_disconnect).
    bool detach() noexcept;

private:
    // Sends `p` as one text message plus its binary attachments.
    void send_packet(packet const& p);

    // What send() reads comes first, next to the vtable pointer: on the fan-out path this object is
    // cold (one cache line per push instead of two).
    state state_ = state::pending;
    // Strong so session() stays valid for as long as the application holds the socket; the cycle
    // session -> client -> socket -> session is cut when the client drops its sockets on close.
    engineio::session_ptr session_;
    std::string id_;
    std::string nsp_;
    client* owner_;
    namespace_handler* handler_;
};

} // namespace tradepush::socketio
