#pragma once
// The WebSocket transport of one session (or an upgrade probe): our own RFC 6455 framing on a raw
// TCP socket, so pre-built frames shared by many connections go out with one gathered write.

#include "common/outbound.hpp"
#include "engineio/address_limits.hpp"
#include "engineio/ws_frame_parser.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace tradepush::engineio {

namespace net = boost::asio;
class session_impl;
struct shard_state;

/// One WebSocket connection after the HTTP upgrade. Lives on one shard; reports to its owner session
/// (held weakly: the session owns the transport, async operations keep the transport alive).
class ws_transport : public std::enable_shared_from_this<ws_transport> {
public:
    /// `close_timeout` bounds a server-side close (see close()).
    /// `slot` keeps the socket counted against its client's address while the transport lives.
    ws_transport(shard_state& shard, net::ip::tcp::socket socket, address_limits::slot slot, std::size_t max_message,
        std::chrono::milliseconds close_timeout);

    /// Starts reading; `preamble` (e.g. the 101 response) is written before anything else.
    void start(std::weak_ptr<session_impl> owner, std::string preamble);
    /// True while a write is in flight.
    bool writing() const noexcept { return writing_; }
    /// When the current write started (meaningful while writing()).
    std::chrono::steady_clock::time_point write_started() const noexcept { return write_started_; }
    /// Writes `batch` (moved from) with one gathered write. The write is tried at once (the socket is
    /// non-blocking): when the kernel takes all of it, it is done when this returns, writing() is
    /// false and no callback follows, so the owner may write again right away. Otherwise the rest
    /// goes out asynchronously and the owner's on_ws_written follows.
    void write(std::vector<outbound_ptr>& batch);
    /// write() of one message. The fan-out path: when nothing else is pending it is one send with no
    /// queue touched.
    void write_one(outbound_ptr msg);
    /// Sends a close frame with `code` after pending writes, then closes the socket. With `linger`
    /// it first waits for the client to answer (its close frame and FIN), as a drain does so that
    /// the client sees a clean close. Either way the socket is cut after the close timeout: a
    /// client that stopped reading cannot hold it. No owner callbacks follow.
    void close(std::uint16_t code = 1000, bool linger = false);
    /// Closes the socket at once. No owner callbacks follow.
    void abort();

private:
    void do_wait_read();
    void on_readable(boost::system::error_code ec);
    void do_write();
    void on_write(boost::system::error_code ec);
    void release_control() noexcept;
    /// Appends a control frame to control_out_ (the caller writes it).
    void append_control(std::uint8_t opcode, std::string_view payload);
    /// Queues the answer to a ping (written at the end of the read); false when the client pings
    /// too much at once or without reading.
    bool queue_pong(std::string_view payload);
    void fail(std::string_view reason);
    void do_linger();
    void on_linger(boost::system::error_code ec);
    void finish_close();

    shard_state& shard_;
    // The flags and the socket come first: write_one() reads nothing else, and on the fan-out
    // path this object is cold (one cache line per push).
    bool detached_ = false;      // close()/abort() called: no more owner callbacks
    bool closing_ = false;       // close frame queued; shut down after it is written
    /// A write is in flight. When false, nothing is pending either: preamble_, control_out_ and
    /// waiting_ are only filled right before do_write(), which sends them or sets this.
    bool writing_ = false;
    /// Inside the owner's write(): a write completed at once is not reported back (the owner
    /// loops instead, see write()).
    bool in_owner_write_ = false;
    bool linger_ = false;        // after the close frame, wait for the client's FIN
    bool pong_queued_ = false;   // control_out_ holds an unsent pong (and nothing else)
    /// Pings whose pong replaced an unsent one since the client last completed reading a write
    /// (in one read, or while a write waited; small: it sits in the flags' padding, bound 64).
    std::uint8_t coalesced_pings_ = 0;
    net::ip::tcp::socket socket_;
    ws_frame_parser parser_;
    std::weak_ptr<session_impl> owner_;
    std::chrono::milliseconds close_timeout_;
    /// Armed by close(); cuts the socket when the close takes too long.
    std::unique_ptr<net::steady_timer> close_timer_;
    /// The shard's count of closing transports; held here because nothing after close() may touch
    /// `shard_`, which can be gone before a lingering close ends.
    std::shared_ptr<std::atomic<std::size_t>> closing_count_;
    std::chrono::steady_clock::time_point write_started_{};
    std::string preamble_;
    std::string control_out_;    // pong/close frames waiting to be written
    std::vector<outbound_ptr> in_flight_;
    std::vector<outbound_ptr> waiting_; // batch handed over while a control write was in flight
    std::string control_in_flight_;
    /// The gathered buffers of the write in flight (kept here: the async write refers to them).
    std::vector<net::const_buffer> out_buffers_;
    address_limits::slot slot_;
};

} // namespace tradepush::engineio
