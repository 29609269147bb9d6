#pragma once
// The Beast front end: one listener serving REST, the control API and the three WebSocket paths on
// one port, plus the market tick timer. Single-threaded: run the io_context on one thread.

#include "app.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>

namespace tradepush::bybit_sim {

namespace net = boost::asio;
using tcp = net::ip::tcp;

/// Accepts connections for `app` on `endpoint`. Throws on bind failure (start-up only).
class server {
public:
    server(net::io_context& ioc, std::shared_ptr<app> a, tcp::endpoint endpoint);
    ~server();
    server(server const&) = delete;
    server& operator=(server const&) = delete;

    /// The bound port (useful with port 0).
    unsigned short
    port() const
    {
        return port_;
    }

    /// Starts accepting and ticking.
    void
    run();

    /// Stops accepting and ticking and closes every WebSocket; idempotent.
    void
    stop();

    /// The simulator behind the sockets.
    std::shared_ptr<app> const&
    state() const
    {
        return app_;
    }

private:
    void
    do_accept();
    void
    on_accept(boost::system::error_code ec, tcp::socket socket);
    void
    do_tick();
    void
    on_tick(boost::system::error_code ec);

    net::io_context& ioc_;
    std::shared_ptr<app> app_;
    tcp::acceptor acceptor_;
    net::steady_timer tick_timer_;
    unsigned short port_ = 0;
    bool stopped_ = false;
};

} // namespace tradepush::bybit_sim
