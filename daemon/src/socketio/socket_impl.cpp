#include "socketio/socket_impl.hpp"

#include "socketio/client.hpp"

#include <boost/json/string.hpp>

#include <utility>

namespace tradepush::socketio {

socket_impl::socket_impl(std::string id, std::string nsp, engineio::session_ptr session, client* owner,
    namespace_handler* handler)
    : session_(std::move(session))
    , id_(std::move(id))
    , nsp_(std::move(nsp))
    , owner_(owner)
    , handler_(handler)
{
}

void
socket_impl::send_packet(packet const& p)
{
    session_->send_text(encode_packet(p));
    // The attachments must follow their header in order; the session queue preserves it.
    for(auto const& a : p.attachments)
        session_->send_binary(a);
}

void
socket_impl::accept()
{
    if(state_ != state::pending)
        return;
    state_ = state::connected;
    packet p;
    p.type = packet_type::connect;
    p.nsp = nsp_;
    p.data = json::object{{"sid", id_}};
    send_packet(p);
    owner_->socket_accepted();
}

void
socket_impl::reject(std::string_view message, json::value data)
{
    if(state_ != state::pending)
        return;
    packet p;
    p.type = packet_type::connect_error;
    p.nsp = nsp_;
    json::object err;
    err["message"] = message;
    if(!data.is_null())
        err["data"] = std::move(data);
    p.data = std::move(err);
    send_packet(p);
    // Keep ourselves alive: the owner's map may hold the last reference.
    auto self = shared_from_this();
    auto* owner = owner_;
    detach();
    owner->socket_rejected(*this);
}

void
socket_impl::emit(std::string_view name, json::array args, std::vector<std::string> attachments)
{
    if(state_ != state::connected)
        return;
    packet p;
    p.type = attachments.empty() ? packet_type::event : packet_type::binary_event;
    p.nsp = nsp_;
    args.insert(args.begin(), json::string(name));
    p.data = std::move(args);
    p.attachments = std::move(attachments);
    send_packet(p);
}

void
socket_impl::ack(std::uint64_t id, json::array args, std::vector<std::string> attachments)
{
    if(state_ != state::connected)
        return;
    packet p;
    p.type = attachments.empty() ? packet_type::ack : packet_type::binary_ack;
    p.nsp = nsp_;
    p.id = id;
    p.data = std::move(args);
    p.attachments = std::move(attachments);
    send_packet(p);
}

void
socket_impl::send(outbound_ptr msg, std::uint64_t conflate_key)
{
    // The fan-out path: no encoding, no allocation, just the state check.
    if(state_ != state::connected)
        return;
    session_->send(std::move(msg), conflate_key);
}

void
socket_impl::disconnect()
{
    if(state_ == state::closed)
        return;
    packet p;
    p.type = packet_type::disconnect;
    p.nsp = nsp_;
    send_packet(p);
    auto self = shared_from_this();
    auto* owner = owner_;
    bool const was_connected = detach();
    owner->socket_removed(*this);
    // The reference reports "server namespace disconnect" for socket.disconnect().
    if(was_connected)
        handler_->on_disconnect(self, "server namespace disconnect");
}

void
socket_impl::close_transport(std::string_view reason)
{
    if(state_ == state::closed)
        return;
    // on_close of the client then reports `reason` to every accepted socket, this one included,
    // possibly before close_session() returns; the client's map may hold our last reference.
    auto self = shared_from_this();
    owner_->close_session(reason);
}

bool
socket_impl::detach() noexcept
{
    bool const was_connected = state_ == state::connected;
    state_ = state::closed;
    owner_ = nullptr;
    return was_connected;
}

} // namespace tradepush::socketio
