#include "loadgen/session.hpp"

#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/websocket.hpp>

namespace tradepush::bench {

session::session(net::io_context& ioc, client& c, shared_state const& shared, tcp::endpoint ep,
                 std::chrono::steady_clock::time_point deadline)
    : ws_(ioc)
    , client_(c)
    , shared_(shared)
    , endpoint_(ep)
    , deadline_(deadline)
{
}

void
session::start()
{
    auto& sock = ws_.next_layer();
    beast::error_code ec;
    sock.open(endpoint_.protocol(), ec);
    if(ec)
    {
        // Out of descriptors, typically. Reported from the loop, not from here: the report starts
        // the next connection, which would fail the same way, recursing once per client.
        net::post(ws_.get_executor(), [self = shared_from_this()] { self->fail(failure::connect); });
        return;
    }
    // A slow client must push back on the server quickly: with the default (autotuned, megabytes)
    // receive buffer the kernel would absorb the backlog and the server would never see it.
    if(client_.slow())
        sock.set_option(net::socket_base::receive_buffer_size(4096), ec);
    sock.set_option(tcp::no_delay(true), ec);
    sock.async_connect(endpoint_, beast::bind_front_handler(&session::on_connect, shared_from_this()));
}

void
session::on_connect(beast::error_code ec)
{
    if(finished_)
        return;
    if(ec)
        return fail(failure::connect);

    // Pushes are small text frames; compression is off (the Beast default) like on the servers.
    ws_.read_message_max(16 * 1024 * 1024);
    auto const host = shared_.opt.host + ':' + std::to_string(shared_.opt.port);
    ws_.async_handshake(host, "/socket.io/?EIO=4&transport=websocket",
                        beast::bind_front_handler(&session::on_handshake, shared_from_this()));
}

void
session::on_handshake(beast::error_code ec)
{
    if(finished_)
        return;
    if(ec)
        return fail(failure::connect);
    ws_.text(true);
    // The CONNECT goes out when the Engine.IO open packet arrives, as stock clients do.
    do_read();
}

void
session::do_read()
{
    reading_ = true;
    ws_.async_read(buffer_, beast::bind_front_handler(&session::on_read, shared_from_this()));
}

void
session::on_read(beast::error_code ec, std::size_t)
{
    reading_ = false;
    if(finished_)
        return;
    if(ec)
        return fail(connected_ ? failure::closed : failure::connect);

    auto const data = buffer_.cdata();
    if(ws_.got_text())
        handle(std::string_view(static_cast<char const*>(data.data()), data.size()));
    buffer_.consume(buffer_.size());

    if(finished_ || client_.stop_reading())
        return;
    do_read();
}

void
session::handle(std::string_view msg)
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
        client_.on_event(p);
        break;
    case packet_kind::other:
        break;
    }
}

void
session::send(std::string msg)
{
    outq_.push_back(std::move(msg));
    if(!writing_)
        do_write();
}

void
session::do_write()
{
    writing_ = true;
    ws_.async_write(net::buffer(outq_.front()), beast::bind_front_handler(&session::on_write, shared_from_this()));
}

void
session::on_write(beast::error_code ec, std::size_t)
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
    beast::error_code ec;
    ws_.next_layer().close(ec);
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
