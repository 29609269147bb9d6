#include "engineio/session_impl.hpp"

#include "common/base64.hpp"
#include "engineio/http_connection.hpp"
#include "engineio/payload.hpp"
#include "engineio/server_core.hpp"
#include "engineio/ws_transport.hpp"


namespace tradepush::engineio {

namespace {

// Control packets are the same bytes for every session: build them once.
outbound_ptr const&
ping_packet()
{
    static outbound_ptr const p = outbound_message::text("2");
    return p;
}

outbound_ptr const&
probe_answer()
{
    static outbound_ptr const p = outbound_message::text("3probe");
    return p;
}

// At most this much goes into one gathered write, so one busy session cannot hog its shard.
constexpr std::size_t batch_items = 64;
constexpr std::size_t batch_bytes = 256 * 1024;

} // namespace

session_impl::session_impl(server_core& server, shard_state& shard, options const& opts, std::string sid,
    handshake_info hs, bool websocket)
    : websocket_(websocket)
    , server_(server)
    , shard_(shard)
    , opts_(opts)
    , sid_(std::move(sid))
    , handshake_(std::move(hs))
    , heartbeat_(shard.ioc)
{
}

session_impl::~session_impl() = default;

net::any_io_executor
session_impl::get_executor() const
{
    return shard_.ioc.get_executor();
}

std::string
session_impl::open_packet() const
{
    std::string p = "0{\"sid\":\"";
    p += sid_;
    p += "\",\"upgrades\":";
    p += (!websocket_ && opts_.allow_upgrades && opts_.allow_websocket) ? "[\"websocket\"]" : "[]";
    p += ",\"pingInterval\":";
    p += std::to_string(opts_.ping_interval.count());
    p += ",\"pingTimeout\":";
    p += std::to_string(opts_.ping_timeout.count());
    p += ",\"maxPayload\":";
    p += std::to_string(opts_.max_payload);
    p += '}';
    return p;
}

void
session_impl::start(std::shared_ptr<session_handler> handler)
{
    handler_ = std::move(handler);
    server_.note_unauthenticated(shard_, shared_from_this(), ++unauthenticated_generation_);
    arm_ping();
}

void
session_impl::set_authenticated(bool authenticated) noexcept
{
    if(closed_ || authenticated == authenticated_)
        return;
    authenticated_ = authenticated;
    if(authenticated)
        server_.unauthenticated_count.fetch_sub(1, std::memory_order_relaxed);
    else {
        server_.unauthenticated_count.fetch_add(1, std::memory_order_relaxed);
        server_.note_unauthenticated(shard_, shared_from_this(), ++unauthenticated_generation_);
    }
}

session_stats
session_impl::stats() const noexcept
{
    auto s = stats_;
    s.pending_bytes = queue_.bytes();
    return s;
}

//------------------------------------------------------------------------------
// Sending

void
session_impl::send(outbound_ptr msg, std::uint64_t conflate_key)
{
    if(closed_)
        return;
    bool const windowed = opts_.flush_window.count() > 0;
    if(websocket_ && ws_ && !ws_->writing() && queue_.empty() && !windowed) {
        // Nothing is waiting and the socket is free: straight to the transport, which usually
        // completes the write at once. Conflation only matters for pushes that must wait.
        ++stats_.messages_sent;
        ++stats_.writes;
        shard_.ws_writes.fetch_add(1, std::memory_order_relaxed);
        ws_->write_one(std::move(msg));
        return;
    }
    if(queue_.push(std::move(msg), conflate_key)) {
        ++stats_.messages_conflated;
        shard_.conflations.fetch_add(1, std::memory_order_relaxed);
    }
    if(windowed && websocket_ && ws_) {
        // Hold the push until the shard's window ends, so whatever else reaches this session
        // meanwhile (other streams of the same tick, acks) leaves in the same write. A write in
        // progress flushes the queue when it completes anyway.
        if(!flush_scheduled_ && !ws_->writing()) {
            flush_scheduled_ = true;
            server_.schedule_flush(shard_, shared_from_this(), opts_.flush_window);
        }
        return;
    }
    flush();
}

void
session_impl::on_flush_window()
{
    flush_scheduled_ = false;
    flush();
}

void
session_impl::send_text(std::string_view message)
{
    std::string packet;
    packet.reserve(message.size() + 1);
    packet += '4';
    packet += message;
    send(outbound_message::text(packet));
}

void
session_impl::send_binary(std::string_view bytes)
{
    send(outbound_message::binary(bytes));
}

void
session_impl::flush()
{
    if(closed_ || queue_.empty())
        return;
    if(websocket_) {
        // A write the kernel takes at once completes inside write() without a callback, so keep
        // going until the queue is empty or a write has to wait for the socket.
        while(ws_ && !ws_->writing() && !queue_.empty()) {
            batch_.clear();
            queue_.pop_batch(batch_, batch_items, batch_bytes);
            stats_.messages_sent += batch_.size();
            ++stats_.writes;
        shard_.ws_writes.fetch_add(1, std::memory_order_relaxed);
            ws_->write(batch_);
        }
        return;
    }
    // Polling: the whole queue goes out with the next GET, unless an upgrade is under way (the
    // packets then wait for the WebSocket).
    if(upgrading_ || pending_get_.expired())
        return;
    batch_.clear();
    queue_.pop_all(batch_);
    stats_.messages_sent += batch_.size();
    std::string body;
    for(auto const& m : batch_) {
        if(!body.empty())
            body += record_separator;
        if(m->is_binary()) {
            body += 'b';
            body += base64_encode(m->payload());
        } else {
            body += m->payload();
        }
    }
    batch_.clear();
    respond_poll(std::move(body));
}

void
session_impl::respond_poll(std::string body)
{
    auto conn = pending_get_.lock();
    pending_get_.reset();
    if(conn)
        conn->respond_poll(std::move(body));
}

//------------------------------------------------------------------------------
// Receiving

void
session_impl::handle_packet(std::string_view pkt)
{
    if(pkt.empty())
        return close("parse error");
    switch(pkt.front()) {
    case '1':
        return finish_close("transport close", true);
    case '2':
        // In v4 pings go server to client; a client ping is an error (the reference's
        // "invalid heartbeat direction").
        return close("transport error");
    case '3':
        if(awaiting_pong_) {
            awaiting_pong_ = false;
            arm_ping();
        }
        return;
    case '4':
        if(handler_)
            handler_->on_message(pkt.substr(1), false);
        return;
    case '5':
    case '6':
        return;
    default:
        return close("parse error");
    }
}

void
session_impl::on_poll_get(std::shared_ptr<http_connection> const& conn)
{
    if(closed_)
        return conn->respond_poll("1");
    if(!pending_get_.expired()) {
        // Overlapping GETs: the reference answers the new one with 400 and closes the session,
        // which releases the pending one with a close packet.
        close("transport error");
        return conn->respond_error(request_error::bad_request);
    }
    pending_get_ = conn;
    if(upgrading_)
        return respond_poll("6");
    if(!queue_.empty())
        return flush();
    conn->park();
}

void
session_impl::on_poll_post(std::string_view body)
{
    auto self = shared_from_this();
    bool const ok = for_each_polling_packet(
        body, [this](std::string_view packet) { handle_packet(packet); },
        [this](std::string& bytes) {
            if(handler_)
                handler_->on_message(bytes, true);
        },
        [this] { return !closed_; });
    if(!ok)
        close("parse error");
}

void
session_impl::on_poll_aborted(http_connection* conn)
{
    auto pending = pending_get_.lock();
    if(pending.get() != conn)
        return;
    pending_get_.reset();
    // The reference treats a poll connection closed before its answer as the end of the session.
    close("transport close");
}

void
session_impl::attach_websocket(std::shared_ptr<ws_transport> t)
{
    ws_ = std::move(t);
}

void
session_impl::attach_probe(std::shared_ptr<ws_transport> t)
{
    // One upgrade at a time, never a second WebSocket.
    if(closed_ || websocket_ || probe_ || !opts_.allow_upgrades)
        return t->abort();
    probe_ = std::move(t);
    upgrade_timer_ = std::make_unique<net::steady_timer>(shard_.ioc, opts_.upgrade_timeout);
    upgrade_timer_->async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if(!ec && self->probe_)
            self->abort_upgrade();
    });
}

void
session_impl::abort_upgrade()
{
    upgrading_ = false;
    upgrade_timer_.reset();
    if(probe_) {
        probe_->abort();
        probe_.reset();
    }
    // Packets held back during the probe go out by polling again.
    flush();
}

void
session_impl::on_ws_text(ws_transport* t, std::string& msg)
{
    if(closed_)
        return;
    if(t == ws_.get())
        return handle_packet(msg);
    if(t != probe_.get())
        return;
    if(msg == "2probe" && !upgrading_) {
        upgrading_ = true;
        std::vector<outbound_ptr> one{probe_answer()};
        probe_->write(one);
        // Release a parked GET so the client can pause polling.
        if(!pending_get_.expired())
            respond_poll("6");
        return;
    }
    if(msg == "5" && upgrading_) {
        upgrading_ = false;
        upgrade_timer_.reset();
        ws_ = std::move(probe_);
        websocket_ = true;
        if(!pending_get_.expired())
            respond_poll("6");
        if(!ws_->writing())
            flush();
        return;
    }
    abort_upgrade();
}

void
session_impl::on_ws_binary(ws_transport* t, std::string& msg)
{
    if(closed_)
        return;
    if(t == ws_.get()) {
        if(handler_)
            handler_->on_message(msg, true);
        return;
    }
    if(t == probe_.get())
        abort_upgrade();
}

void
session_impl::on_ws_written(ws_transport* t)
{
    if(t == ws_.get())
        flush();
}

void
session_impl::on_ws_closed(ws_transport* t, std::string_view reason)
{
    if(t == probe_.get()) {
        probe_.reset();
        upgrading_ = false;
        upgrade_timer_.reset();
        return flush();
    }
    if(t == ws_.get()) {
        ws_.reset();
        close(reason);
    }
}

//------------------------------------------------------------------------------
// Heartbeat, slow consumers, close

void
session_impl::arm_ping()
{
    if(closed_)
        return;
    heartbeat_.expires_after(opts_.ping_interval);
    heartbeat_.async_wait([self = shared_from_this()](boost::system::error_code ec) { self->on_ping_timer(ec); });
}

void
session_impl::on_ping_timer(boost::system::error_code ec)
{
    if(ec || closed_)
        return;
    if(awaiting_pong_)
        return close("ping timeout");
    awaiting_pong_ = true;
    pong_deadline_ = std::chrono::steady_clock::now() + opts_.ping_timeout;
    send(ping_packet());
    heartbeat_.expires_after(opts_.ping_timeout);
    heartbeat_.async_wait([self = shared_from_this()](boost::system::error_code ec) { self->on_ping_timer(ec); });
}

bool
session_impl::expire_if_due(std::chrono::steady_clock::time_point now)
{
    if(closed_)
        return true;
    // Checked when a request arrives too, so the boundary is exact even if the timer is late.
    if(awaiting_pong_ && now >= pong_deadline_) {
        close("ping timeout");
        return true;
    }
    return false;
}

void
session_impl::sweep(std::chrono::steady_clock::time_point now)
{
    if(closed_)
        return;
    if(ws_ && ws_->writing() && now - ws_->write_started() > opts_.slow_consumer_timeout) {
        shard_.slow_consumer_closes.fetch_add(1, std::memory_order_relaxed);
        return close("slow consumer");
    }
    if(queue_.bytes() > opts_.max_pending_bytes) {
        if(over_limit_since_ == std::chrono::steady_clock::time_point{})
            over_limit_since_ = now;
        else if(now - over_limit_since_ > opts_.slow_consumer_timeout) {
            shard_.slow_consumer_closes.fetch_add(1, std::memory_order_relaxed);
            return close("slow consumer");
        }
    } else {
        over_limit_since_ = {};
    }
    expire_if_due(now);
}

void
session_impl::close(std::string_view reason)
{
    finish_close(reason, false);
}

void
session_impl::drain_close(std::string_view reason)
{
    finish_close(reason, false, 1012, true);
}

void
session_impl::finish_close(std::string_view reason, bool release_get_with_noop, std::uint16_t ws_code, bool linger)
{
    if(closed_)
        return;
    // What the upper layer sent last (typically why it closes: `token_expired`) may be held by the
    // flush window: it leaves now, ahead of the close frame, if the socket takes it at once.
    if(ws_ && !queue_.empty())
        flush();
    closed_ = true;
    auto self = shared_from_this();
    heartbeat_.cancel();
    upgrade_timer_.reset();
    queue_.clear();
    // A parked GET learns the end: a close packet when the server closes, a noop when the client did.
    if(!pending_get_.expired())
        respond_poll(release_get_with_noop ? "6" : "1");
    if(ws_) {
        ws_->close(ws_code, linger);
        ws_.reset();
    }
    if(probe_) {
        probe_->abort();
        probe_.reset();
    }
    if(shard_.sessions.erase(sid_) > 0) {
        server_.session_count.fetch_sub(1, std::memory_order_relaxed);
        if(!authenticated_)
            server_.unauthenticated_count.fetch_sub(1, std::memory_order_relaxed);
    }
    if(auto h = std::move(handler_))
        h->on_close(reason);
}

} // namespace tradepush::engineio
