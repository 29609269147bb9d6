// One simulated app client: its identity, the streams it expects and what it has seen of them.
//
// A client outlives its connections: the storm closes every session and the client opens a new one
// (at most three attempts). The session (session.hpp) speaks the protocol; the client keeps the
// books (seq per stream, snapshots, the phase's outcome) and updates its worker's counters.

#pragma once

#include "loadgen/wire.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tradepush::bench {

namespace net = boost::asio;

class worker;
class session;

enum class phase : std::uint8_t
{
    initial, // the first connect
    storm    // reconnecting after the storm dropped everything
};

enum class failure : std::uint8_t
{
    connect, // TCP, WebSocket or Engine.IO did not get as far as the Socket.IO CONNECT answer
    refused, // 44: the server refused the CONNECT
    closed,  // the connection ended after the CONNECT was accepted
    timeout  // not connected within --handshake-timeout-s
};

class client
{
public:
    client(worker& w, int index, bool slow);
    ~client();

    client(client const&) = delete;
    client& operator=(client const&) = delete;

    /// Opens a new connection for `ph` (the previous one, if any, must have ended).
    void connect(phase ph);

    /// The storm: closes the connection at once (no close handshake) and reconnects after `delay`.
    void storm(std::chrono::milliseconds delay);

    /// Fails a connection attempt whose Socket.IO CONNECT has not been answered by `now`.
    void check_deadline(std::chrono::steady_clock::time_point now);

    // Session callbacks --------------------------------------------------------------------------

    /// The `40{"token":...}` packet of this client, with a freshly minted JWT.
    std::string connect_packet() const;
    void on_connected();
    void on_ack(bool ok);
    /// A pushed event received at `now_us` (CLOCK_REALTIME, taken once per socket read).
    void on_event(packet const& p, std::int64_t now_us);
    void on_end(failure f, bool was_connected);

    /// A slow client stops reading once it has its snapshots.
    bool stop_reading() const noexcept { return slow_ && ready_; }
    bool slow() const noexcept { return slow_; }
    /// This client's number (0 .. --clients - 1).
    int index() const noexcept { return index_; }

private:
    void settle_ready();
    void settle_failed();
    void retry_or_fail();

    worker& worker_;
    int index_;
    bool slow_;
    phase phase_ = phase::initial;
    int attempts_ = 0;
    bool ready_ = false; // has the first push of every stream it subscribed, this phase
    bool done_ = false;  // settled this phase (ready or failed)
    // One book per data stream this client subscribes to: the ticker symbols (0 .. --symbols - 1)
    // first, then balance, positions, pnl, orders.
    struct stream_book
    {
        std::int64_t last_seq = -1;
        bool seen = false; // its first push (the snapshot) arrived, this connection
    };
    std::vector<stream_book> books_;
    int seen_count_ = 0; // books with seen set
    int want_count_ = 0; // books that must be seen to be ready
    net::steady_timer timer_;
    std::shared_ptr<session> session_;
};

} // namespace tradepush::bench
