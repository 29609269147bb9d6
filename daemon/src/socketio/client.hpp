#pragma once
// One Engine.IO session seen from Socket.IO: decodes packets and multiplexes its namespaces.

#include "socketio/decoder.hpp"
#include "socketio/registry.hpp"
#include "socketio/socket_impl.hpp"

#include "engineio/session.hpp"

#include <boost/asio/steady_timer.hpp>

#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace tradepush::socketio {

namespace net = boost::asio;

/// The session_handler Socket.IO installs on each Engine.IO session (the reference's `Client`).
/// Owned by the Engine.IO session; owns its sockets until the session closes.
class client final : public engineio::session_handler, public std::enable_shared_from_this<client> {
public:
    /// Serves `session` with the namespaces of `registry`.
    client(std::shared_ptr<namespace_registry const> registry, engineio::session_ptr session);
    ~client() override;
    client(client const&) = delete;
    client& operator=(client const&) = delete;

    /// Arms the connect timeout; call once right after construction (needs shared_from_this).
    void start();

    /// Decodes one Engine.IO message and routes the packet; any decode error closes the session.
    void on_message(std::string_view data, bool binary) override;
    /// Reports `reason` to every accepted socket and releases everything the session kept alive.
    void on_close(std::string_view reason) override;

    /// A pending socket was accepted: the session has joined a namespace.
    void socket_accepted() noexcept;
    /// Forgets `s` (namespace-disconnected by the server).
    void socket_removed(socket_impl const& s);
    /// Forgets `s`, whose CONNECT was refused; past options::max_failed_connects refusals the
    /// session is closed.
    void socket_rejected(socket_impl const& s);
    /// Closes the whole Engine.IO session; on_close follows (maybe re-entrantly).
    void close_session(std::string_view reason);

    /// Number of namespace sockets (pending or connected); for tests.
    std::size_t socket_count() const noexcept { return sockets_.size(); }

private:
    void dispatch(packet&& p);
    void on_connect_packet(packet&& p);
    void on_connect_timeout();
    void arm_connect_timer();
    /// A connect refusal: counts it, and closes the session past the limit.
    void count_failed_connect();
    /// After a socket left: with no namespace joined any more, the connect deadline applies again.
    void on_socket_gone();

    std::shared_ptr<namespace_registry const> registry_;
    // Reset on close: the session owns us, so keeping it would be a cycle.
    engineio::session_ptr session_;
    decoder decoder_;
    /// Only until the first namespace is joined (destroying it cancels the wait).
    std::unique_ptr<net::steady_timer> connect_timer_;
    bool joined_ = false;
    bool closed_ = false;
    unsigned failed_connects_ = 0;
    std::map<std::string, std::shared_ptr<socket_impl>, std::less<>> sockets_;
};

} // namespace tradepush::socketio
