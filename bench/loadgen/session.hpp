// One client connection: WebSocket to /socket.io/?EIO=4&transport=websocket, then the Socket.IO
// CONNECT with the JWT, the subscribes, Engine.IO pongs and reading pushes.
//
// Its lifetime rides on its handlers (and on its client while it is the client's current
// session), in the Beast idiom. Once finished (failed, dropped, or ended by the server) it reports
// at most once to its client and ignores every later completion.

#pragma once

#include "loadgen/client.hpp"
#include "loadgen/stats.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <deque>
#include <memory>
#include <string>

namespace tradepush::bench {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

class session : public std::enable_shared_from_this<session>
{
public:
    session(net::io_context& ioc, client& c, shared_state const& shared, tcp::endpoint ep,
            std::chrono::steady_clock::time_point deadline);

    void start();

    /// Closes the socket now without reporting (the storm's drop).
    void drop();

    /// Closes the socket now and reports `f` to the client.
    void abort(failure f);

    bool connected() const noexcept { return connected_; }
    bool finished() const noexcept { return finished_; }
    std::chrono::steady_clock::time_point deadline() const noexcept { return deadline_; }

private:
    void on_connect(beast::error_code ec);
    void on_handshake(beast::error_code ec);
    void do_read();
    void on_read(beast::error_code ec, std::size_t n);
    void handle(std::string_view msg);
    void send(std::string msg);
    void do_write();
    void on_write(beast::error_code ec, std::size_t n);
    void fail(failure f);
    void close_socket();

    websocket::stream<tcp::socket> ws_;
    beast::flat_buffer buffer_;
    std::deque<std::string> outq_;
    client& client_;
    shared_state const& shared_;
    tcp::endpoint endpoint_;
    std::chrono::steady_clock::time_point deadline_;
    bool writing_ = false;
    bool reading_ = false;
    bool connect_sent_ = false;
    bool connected_ = false;
    bool finished_ = false;
};

} // namespace tradepush::bench
