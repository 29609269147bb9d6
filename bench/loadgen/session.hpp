// One client connection: WebSocket to /socket.io/?EIO=4&transport=websocket, then the Socket.IO
// CONNECT with the JWT, the subscribes, Engine.IO pongs and reading pushes.
//
// A plain TCP socket with our own upgrade and framing (frame.hpp), not Beast's websocket stream:
// at 1000 clients × 10 Hz Beast's per-message machinery (its read op state machine, UTF-8
// validation, a flat_buffer copy per message) cost more CPU than the server spent sending. Here
// one read fills the session's buffer with whatever has arrived, every complete frame in it is
// handled in place, and the receipt time is read once per read (all those frames arrived
// together).
//
// Its lifetime rides on its handlers (and on its client while it is the client's current
// session), in the Beast idiom. Once finished (failed, dropped, or ended by the server) it reports
// at most once to its client and ignores every later completion.

#pragma once

#include "loadgen/client.hpp"
#include "loadgen/frame.hpp"
#include "loadgen/stats.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

#include <deque>
#include <memory>
#include <string>

namespace tradepush::bench {

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
    void on_connect(boost::system::error_code ec);
    void do_read();
    void on_read(boost::system::error_code ec, std::size_t n);
    bool upgrade();
    void on_frame(ws_frame const& f, std::int64_t now_us);
    void handle(std::string_view msg, std::int64_t now_us);
    void send(std::string_view msg, ws_opcode op = ws_opcode::text);
    void send_raw(std::string bytes);
    void do_write();
    void on_write(boost::system::error_code ec, std::size_t n);
    void fail(failure f);
    void close_socket();

    tcp::socket socket_;
    // Received bytes not handled yet: [0, size_) of capacity_. Starts small (idle clients are many)
    // and grows only for a frame that does not fit.
    std::unique_ptr<char[]> buffer_;
    std::size_t capacity_ = 0;
    std::size_t size_ = 0;
    // A fragmented message being reassembled (no server here fragments; supported anyway).
    std::string fragments_;
    std::deque<std::string> outq_;
    client& client_;
    shared_state const& shared_;
    tcp::endpoint endpoint_;
    std::chrono::steady_clock::time_point deadline_;
    std::uint32_t mask_;
    bool upgraded_ = false;
    bool writing_ = false;
    bool connect_sent_ = false;
    bool connected_ = false;
    bool finished_ = false;
};

} // namespace tradepush::bench
