#include "engineio/ws_transport.hpp"

#include "engineio/server_core.hpp"
#include "engineio/session_impl.hpp"

#include <boost/asio/write.hpp>

#include <span>

namespace tradepush::engineio {

namespace {

// One turn of the event loop reads at most this many scratch buffers (16 KiB each) from one
// connection, then lets the shard's other connections run: a client that sends as fast as loopback
// allows must not monopolise its worker.
constexpr int reads_per_turn = 4;
// Pings answered by replacing a still unsent pong (see queue_pong): the pings of one read, and those
// that arrive while a write waits for the client. A client that sends more than this many in one
// go, or keeps pinging while it does not read what we write, is not a client worth the CPU or the
// buffer (stock clients send one ping at a time, seconds apart).
constexpr unsigned max_coalesced_pings = 64;

} // namespace

ws_transport::ws_transport(shard_state& shard, net::ip::tcp::socket socket, address_limits::slot slot,
    std::size_t max_message, std::chrono::milliseconds close_timeout)
    : shard_(shard)
    , socket_(std::move(socket))
    , parser_(max_message)
    , close_timeout_(close_timeout)
    , closing_count_(shard.closing_transports)
    , slot_(std::move(slot))
{
    boost::system::error_code ec;
    socket_.set_option(net::ip::tcp::no_delay(true), ec);
    socket_.non_blocking(true, ec);
}

void
ws_transport::start(std::weak_ptr<session_impl> owner, std::string preamble)
{
    owner_ = std::move(owner);
    preamble_ = std::move(preamble);
    do_write();
    do_wait_read();
}

//------------------------------------------------------------------------------
// Reading: idle connections hold no read buffer; a readable socket is drained into the shard's
// scratch buffer and parsed at once.

void
ws_transport::do_wait_read()
{
    socket_.async_wait(net::ip::tcp::socket::wait_read,
        [self = shared_from_this()](boost::system::error_code ec) { self->on_readable(ec); });
}

void
ws_transport::on_readable(boost::system::error_code ec)
{
    if(detached_)
        return;
    if(ec)
        return fail("transport error");
    auto& buf = shard_.read_buffer;
    for(int turn = 0; turn < reads_per_turn; ++turn) {
        auto const n = socket_.read_some(net::buffer(buf), ec);
        if(ec == net::error::would_block || ec == net::error::try_again)
            break;
        if(ec == net::error::eof)
            return fail("transport close");
        if(ec)
            return fail("transport error");
        std::string_view data(buf.data(), n);
        while(!data.empty()) {
            auto const ev = parser_.next(data);
            if(ev == ws_event::need_more)
                break;
            auto owner = owner_.lock();
            if(!owner || detached_)
                return abort();
            switch(ev) {
            case ws_event::text:
                owner->on_ws_text(this, parser_.message());
                break;
            case ws_event::binary:
                owner->on_ws_binary(this, parser_.message());
                break;
            case ws_event::ping:
                if(!queue_pong(parser_.control_payload())) {
                    auto o = owner_.lock();
                    close(1008);
                    if(o)
                        o->on_ws_closed(this, "transport error");
                    return;
                }
                break;
            case ws_event::pong:
                break;
            case ws_event::close: {
                // Echo the close (RFC 6455 §5.5.1), then the session ends as a transport close.
                auto o = owner_.lock();
                close(1000);
                if(o)
                    o->on_ws_closed(this, "transport close");
                return;
            }
            case ws_event::error: {
                // Tell the peer why (1002 protocol error, 1009 message too big), then end.
                auto const code = parser_.close_code();
                auto o = owner_.lock();
                close(code);
                if(o)
                    o->on_ws_closed(this, code == 1009 ? "transport error" : "parse error");
                return;
            }
            case ws_event::need_more:
                break;
            }
            if(detached_)
                return;
        }
        if(n < buf.size())
            break;
    }
    // The pings of this read get one pong between them, written here: a write per ping would
    // cost a system call for each 7-byte frame of a ping flood.
    if(pong_queued_)
        do_write();
    parser_.release();
    do_wait_read();
}

//------------------------------------------------------------------------------
// Writing

void
ws_transport::write(std::vector<outbound_ptr>& batch)
{
    for(auto& m : batch)
        waiting_.push_back(std::move(m));
    batch.clear();
    in_owner_write_ = true;
    do_write();
    in_owner_write_ = false;
}

void
ws_transport::write_one(outbound_ptr msg)
{
    // See writing_: when it is false nothing else is pending, so the frame may go out first.
    if(writing_ || closing_ || detached_) {
        waiting_.push_back(std::move(msg));
        in_owner_write_ = true;
        do_write();
        in_owner_write_ = false;
        return;
    }
    // One frame and nothing else: send it straight from the shared message. Per push this touches
    // only the transport and the socket, which matters because between two ticks the caches have
    // forgotten every connection.
    auto const frame = msg->ws_frame();
    boost::system::error_code ec;
    auto written = socket_.write_some(net::buffer(frame.data(), frame.size()), ec);
    if(ec)
        written = 0; // reported by the asynchronous write below
    if(written == frame.size())
        return;
    writing_ = true;
    write_started_ = std::chrono::steady_clock::now();
    out_buffers_.clear();
    out_buffers_.emplace_back(net::buffer(frame.data() + written, frame.size() - written));
    in_flight_.push_back(std::move(msg));
    net::async_write(socket_, std::span<net::const_buffer const>(out_buffers_),
        [self = shared_from_this()](boost::system::error_code ec, std::size_t) { self->on_write(ec); });
}

bool
ws_transport::queue_pong(std::string_view payload)
{
    // Until the pong is written (at the end of this read, or when the write in flight completes),
    // a new ping's pong replaces it: RFC 6455 §5.5.3 allows answering only the most recent ping,
    // and so what a client can make us queue by pinging is one frame, not one per ping.
    if(pong_queued_) {
        if(++coalesced_pings_ > max_coalesced_pings)
            return false;
        control_out_.clear();
    }
    pong_queued_ = true;
    append_control(0xA, payload);
    return true;
}

void
ws_transport::append_control(std::uint8_t opcode, std::string_view payload)
{
    control_out_ += static_cast<char>(0x80 | opcode);
    control_out_ += static_cast<char>(payload.size());
    control_out_ += payload;
}

void
ws_transport::do_write()
{
    if(writing_ || (preamble_.empty() && control_out_.empty() && waiting_.empty()))
        return;
    // The preamble (the 101 response) and the close path keep the plain asynchronous write: the
    // owner expects their completion as a callback.
    bool const try_now = preamble_.empty() && !closing_;
    control_in_flight_ = std::move(preamble_);
    preamble_.clear();
    control_in_flight_ += control_out_;
    control_out_.clear();
    pong_queued_ = false;
    in_flight_.swap(waiting_);
    waiting_.clear();

    // One gathered write: every frame is shared, nothing is copied per connection.
    out_buffers_.clear();
    out_buffers_.reserve(in_flight_.size() + 1);
    std::size_t total = 0;
    if(!control_in_flight_.empty())
        out_buffers_.emplace_back(net::buffer(control_in_flight_));
    for(auto const& m : in_flight_)
        out_buffers_.emplace_back(net::buffer(m->ws_frame().data(), m->ws_frame().size()));
    for(auto const& b : out_buffers_)
        total += b.size();

    std::size_t written = 0;
    if(try_now) {
        // Most pushes fit in the socket's send buffer: one sendmsg here completes them, without an
        // asynchronous operation, its completion handler and the owner's callback per push. A
        // partial write or EAGAIN continues below; an error is left to the asynchronous write to
        // report, so the owner never hears of it from inside its own write() call.
        boost::system::error_code ec;
        written = socket_.write_some(std::span<net::const_buffer const>(out_buffers_), ec);
        if(ec)
            written = 0;
        if(written == total) {
            // Written at once: the pings that shared this pong are answered (see on_write).
            coalesced_pings_ = 0;
            in_flight_.clear();
            release_control();
            // Whoever queued while an earlier write was in flight hears that the socket is free;
            // the owner calling write() itself does not need to.
            if(!in_owner_write_ && !detached_)
                if(auto owner = owner_.lock())
                    owner->on_ws_written(this);
            return;
        }
    }

    // The rest goes out asynchronously; the buffers stay in out_buffers_ until on_write.
    writing_ = true;
    write_started_ = std::chrono::steady_clock::now();
    auto first = out_buffers_.begin();
    while(written > 0 && written >= first->size()) {
        written -= first->size();
        ++first;
    }
    if(written > 0)
        *first += written;
    net::async_write(socket_, std::span<net::const_buffer const>(&*first, static_cast<std::size_t>(out_buffers_.end() - first)),
        [self = shared_from_this()](boost::system::error_code ec, std::size_t) { self->on_write(ec); });
}

void
ws_transport::on_write(boost::system::error_code ec)
{
    writing_ = false;
    // The client read what we wrote: pings it sends from now on are answered one by one again.
    coalesced_pings_ = 0;
    in_flight_.clear();
    release_control();
    out_buffers_.clear();
    if(ec) {
        if(!detached_)
            fail("transport error");
        else if(closing_)
            finish_close();
        return;
    }
    if(closing_ && control_out_.empty() && waiting_.empty()) {
        socket_.shutdown(net::ip::tcp::socket::shutdown_send, ec);
        if(linger_ && !ec)
            return do_linger();
        return finish_close();
    }
    if(!control_out_.empty() || !waiting_.empty())
        return do_write();
    if(detached_)
        return;
    if(auto owner = owner_.lock())
        owner->on_ws_written(this);
}

// The preamble (the 101 response and the open packet, a few hundred bytes) and control frames are
// written once and rarely: their buffer is freed rather than kept for the connection's lifetime.
void
ws_transport::release_control() noexcept
{
    std::string().swap(control_in_flight_);
}

//------------------------------------------------------------------------------
// Closing

void
ws_transport::close(std::uint16_t code, bool linger)
{
    if(detached_)
        return;
    detached_ = true;
    closing_ = true;
    linger_ = linger;
    closing_count_->fetch_add(1, std::memory_order_relaxed);
    // A write stuck on a client that stopped reading would otherwise hold the socket forever.
    close_timer_ = std::make_unique<net::steady_timer>(socket_.get_executor(), close_timeout_);
    close_timer_->async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if(!ec)
            self->finish_close();
    });
    char payload[2] = {static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
    append_control(0x8, std::string_view(payload, 2));
    do_write();
}

// After our close frame and FIN: read (and drop) until the client's FIN, so the close completes
// from both sides instead of a reset hitting data the client has not read yet.
void
ws_transport::do_linger()
{
    socket_.async_wait(net::ip::tcp::socket::wait_read,
        [self = shared_from_this()](boost::system::error_code ec) { self->on_linger(ec); });
}

void
ws_transport::on_linger(boost::system::error_code ec)
{
    if(ec || !socket_.is_open())
        return finish_close();
    // What the client still sends (its close frame) is dropped; a small local buffer will do.
    char buf[2048];
    for(;;) {
        socket_.read_some(net::buffer(buf), ec);
        if(ec == net::error::would_block || ec == net::error::try_again)
            return do_linger();
        if(ec)
            return finish_close(); // eof: the client completed the close
    }
}

void
ws_transport::finish_close()
{
    if(!closing_)
        return;
    closing_ = false;
    boost::system::error_code ec;
    if(close_timer_)
        close_timer_->cancel();
    socket_.close(ec);
    closing_count_->fetch_sub(1, std::memory_order_relaxed);
}

void
ws_transport::abort()
{
    detached_ = true;
    boost::system::error_code ec;
    socket_.close(ec);
}

void
ws_transport::fail(std::string_view reason)
{
    if(detached_)
        return;
    auto owner = owner_.lock();
    detached_ = true;
    boost::system::error_code ec;
    socket_.close(ec);
    if(owner)
        owner->on_ws_closed(this, reason);
}

} // namespace tradepush::engineio
