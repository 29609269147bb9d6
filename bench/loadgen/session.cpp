#include "loadgen/session.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>

#include <cstring>
#include <ctime>

namespace tradepush::bench {

namespace beast = boost::beast;

namespace {

// Enough for the upgrade response and a burst of pushes; a frame that does not fit grows it.
constexpr std::size_t initial_capacity = 4096;
// The upgrade response must fit in this (it is about 200 bytes from every server).
constexpr std::size_t max_response_head = 16 * 1024;
// Nothing legitimate is larger (Beast's read_message_max was the same).
constexpr std::size_t max_frame = 16 * 1024 * 1024;

std::int64_t
realtime_us() noexcept
{
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

} // namespace

session::session(net::io_context& ioc, client& c, shared_state const& shared, tcp::endpoint ep,
                 std::chrono::steady_clock::time_point deadline)
    : socket_(ioc)
    , buffer_(new char[initial_capacity])
    , capacity_(initial_capacity)
    , client_(c)
    , shared_(shared)
    , endpoint_(ep)
    , deadline_(deadline)
    // Servers require client frames to be masked but never check the key's unpredictability (that
    // protects proxies from cache poisoning, RFC 6455 10.3; there are none on loopback).
    , mask_(static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(this) >> 4) * 2654435761u)
{
}

void
session::start()
{
    boost::system::error_code ec;
    socket_.open(endpoint_.protocol(), ec);
    if(ec)
    {
        // Out of descriptors, typically. Reported from the loop, not from here: the report starts
        // the next connection, which would fail the same way, recursing once per client.
        net::post(socket_.get_executor(), [self = shared_from_this()] { self->fail(failure::connect); });
        return;
    }
    // A slow client must push back on the server quickly: with the default (autotuned, megabytes)
    // receive buffer the kernel would absorb the backlog and the server would never see it.
    if(client_.slow())
        socket_.set_option(net::socket_base::receive_buffer_size(4096), ec);
    socket_.set_option(tcp::no_delay(true), ec);
    // A server limits connections per source address: spreading the clients over loopback
    // addresses lets a benchmark run with those limits at their defaults.
    if(auto const n = shared_.opt.source_addresses; n > 1)
    {
        auto const host = 0x7f000001u + static_cast<unsigned>(client_.index() % n);
        socket_.bind(tcp::endpoint(net::ip::address_v4(host), 0), ec);
        if(ec)
        {
            net::post(socket_.get_executor(), [self = shared_from_this()] { self->fail(failure::connect); });
            return;
        }
    }
    socket_.async_connect(endpoint_, beast::bind_front_handler(&session::on_connect, shared_from_this()));
}

void
session::on_connect(boost::system::error_code ec)
{
    if(finished_)
        return;
    if(ec)
        return fail(failure::connect);
    auto const host = shared_.opt.host + ':' + std::to_string(shared_.opt.port);
    send_raw(upgrade_request(host, "/socket.io/?EIO=4&transport=websocket"));
    // The CONNECT goes out when the Engine.IO open packet arrives, as stock clients do.
    do_read();
}

void
session::do_read()
{
    socket_.async_read_some(net::buffer(buffer_.get() + size_, capacity_ - size_),
                            beast::bind_front_handler(&session::on_read, shared_from_this()));
}

bool
session::upgrade()
{
    std::string_view const data(buffer_.get(), size_);
    auto const end = data.find("\r\n\r\n");
    if(end == std::string_view::npos)
    {
        if(size_ >= max_response_head)
            fail(failure::connect);
        else if(size_ == capacity_)
        {
            // A long response head: make room and keep reading.
            auto bigger = std::make_unique<char[]>(capacity_ * 2);
            std::memcpy(bigger.get(), buffer_.get(), size_);
            buffer_ = std::move(bigger);
            capacity_ *= 2;
        }
        return false;
    }
    if(!upgrade_accepted(data.substr(0, end + 4)))
    {
        fail(failure::connect);
        return false;
    }
    // Frames may follow the head in the same read (the Engine.IO open packet, typically).
    size_ -= end + 4;
    std::memmove(buffer_.get(), buffer_.get() + end + 4, size_);
    upgraded_ = true;
    return true;
}

void
session::on_read(boost::system::error_code ec, std::size_t n)
{
    if(finished_)
        return;
    if(ec)
        return fail(connected_ ? failure::closed : failure::connect);
    size_ += n;
    if(!upgraded_ && !upgrade())
    {
        if(!finished_)
            do_read();
        return;
    }

    // Every frame of this read arrived at once: one clock read for all of them.
    auto const now_us = realtime_us();
    std::size_t at = 0;
    ws_frame f;
    for(;;)
    {
        auto const st = parse_frame(buffer_.get() + at, size_ - at, f);
        if(st == frame_status::bad)
            return fail(connected_ ? failure::closed : failure::connect);
        if(st == frame_status::incomplete)
            break;
        at += f.size;
        on_frame(f, now_us);
        if(finished_)
            return;
    }

    // Keep the partial frame at the front; grow when it cannot fit.
    size_ -= at;
    if(at != 0 && size_ != 0)
        std::memmove(buffer_.get(), buffer_.get() + at, size_);
    if(f.size > capacity_)
    {
        if(f.size > max_frame)
            return fail(connected_ ? failure::closed : failure::connect);
        auto bigger = std::make_unique<char[]>(f.size);
        std::memcpy(bigger.get(), buffer_.get(), size_);
        buffer_ = std::move(bigger);
        capacity_ = f.size;
    }

    if(client_.stop_reading())
        return;
    do_read();
}

void
session::on_frame(ws_frame const& f, std::int64_t now_us)
{
    switch(f.opcode)
    {
    case ws_opcode::text:
        if(f.fin)
            return handle(f.payload, now_us);
        fragments_.assign(f.payload);
        return;
    case ws_opcode::continuation:
        fragments_.append(f.payload);
        if(f.fin)
        {
            auto const msg = std::move(fragments_);
            fragments_.clear();
            handle(msg, now_us);
        }
        return;
    case ws_opcode::ping:
        return send(f.payload, ws_opcode::pong);
    case ws_opcode::close:
        // The server ends the connection; a TCP close is answer enough for a load generator.
        return fail(connected_ ? failure::closed : failure::connect);
    case ws_opcode::binary:
    case ws_opcode::pong:
        return;
    }
}

void
session::handle(std::string_view msg, std::int64_t now_us)
{
    auto const p = parse_packet(msg);
    switch(p.kind)
    {
    case packet_kind::eio_open:
        if(!connect_sent_)
        {
            connect_sent_ = true;
            send(client_.connect_packet());
        }
        break;
    case packet_kind::eio_ping:
        send("3");
        break;
    case packet_kind::eio_close:
    case packet_kind::sio_disconnect:
        fail(connected_ ? failure::closed : failure::connect);
        break;
    case packet_kind::sio_connect_error:
        fail(failure::refused);
        break;
    case packet_kind::sio_connect:
        if(connected_)
            break;
        connected_ = true;
        client_.on_connected();
        if(shared_.opt.sub_ticker)
            send(shared_.subscribe_ticker);
        if(shared_.opt.sub_trading)
            send(shared_.subscribe_trading);
        break;
    case packet_kind::sio_ack:
        if(p.ack_id == 1 || p.ack_id == 2)
            client_.on_ack(p.ack_ok);
        break;
    case packet_kind::sio_event:
        client_.on_event(p, now_us);
        break;
    case packet_kind::other:
        break;
    }
}

void
session::send(std::string_view msg, ws_opcode op)
{
    std::string frame;
    frame.reserve(msg.size() + 14);
    mask_ = mask_ * 1664525u + 1013904223u;
    append_client_frame(frame, op, msg, mask_);
    send_raw(std::move(frame));
}

void
session::send_raw(std::string bytes)
{
    outq_.push_back(std::move(bytes));
    if(!writing_)
        do_write();
}

void
session::do_write()
{
    writing_ = true;
    net::async_write(socket_, net::buffer(outq_.front()),
                     beast::bind_front_handler(&session::on_write, shared_from_this()));
}

void
session::on_write(boost::system::error_code ec, std::size_t)
{
    writing_ = false;
    if(finished_)
        return;
    if(ec)
        return fail(connected_ ? failure::closed : failure::connect);
    outq_.pop_front();
    if(!outq_.empty())
        do_write();
}

void
session::close_socket()
{
    // A TCP close, not a WebSocket close handshake: the storm is abrupt on purpose, and a failed
    // attempt has nothing left to say.
    boost::system::error_code ec;
    socket_.close(ec);
}

void
session::drop()
{
    if(finished_)
        return;
    finished_ = true;
    close_socket();
}

void
session::abort(failure f)
{
    fail(f);
}

void
session::fail(failure f)
{
    if(finished_)
        return;
    finished_ = true;
    // The client may release its reference while we are still on the stack.
    auto self = shared_from_this();
    close_socket();
    client_.on_end(f, connected_);
}

} // namespace tradepush::bench
