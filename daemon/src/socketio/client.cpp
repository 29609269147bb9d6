#include "socketio/client.hpp"

#include "common/deadline_spread.hpp"

#include "socketio/socket_id.hpp"

#include <boost/json/serialize.hpp>
#include <boost/system/error_code.hpp>

#include <utility>

namespace tradepush::socketio {

namespace {

// The reference's Client.close() reports this when it drops the transport itself (invalid state,
// connect timeout); decode errors use "parse error" instead.
constexpr std::string_view forced_server_close = "forced server close";

} // namespace

client::client(std::shared_ptr<namespace_registry const> registry, engineio::session_ptr session)
    : registry_(std::move(registry))
    , session_(std::move(session))
    , decoder_(registry_->opts.max_attachments)
{
}

client::~client()
{
    // Normally on_close already did this; if the engine dropped us without it, sockets held by the
    // application must not reach a dead owner.
    for(auto& [nsp, s] : sockets_)
        s->detach();
}

void
client::start()
{
    arm_connect_timer();
}

void
client::arm_connect_timer()
{
    // Spread: sessions a client opened together (a flood that never sends CONNECT) are then not
    // closed in one burst that delays every other session's writes on this worker.
    auto const timeout = spread_deadline(registry_->opts.connect_timeout);
    if(timeout.count() <= 0)
        return;
    connect_timer_ = std::make_unique<net::steady_timer>(session_->get_executor(), timeout);
    // Weak: a pending timer must not keep a closed session's handler alive.
    connect_timer_->async_wait([weak = weak_from_this()](boost::system::error_code ec) {
        if(ec)
            return;
        if(auto self = weak.lock())
            self->on_connect_timeout();
    });
}

void
client::on_connect_timeout()
{
    // The v5 spec: a client that has not joined a namespace in time is closed.
    if(closed_ || joined_)
        return;
    close_session(forced_server_close);
}

void
client::close_session(std::string_view reason)
{
    if(closed_)
        return;
    // The engine may call on_close() from inside close(), which resets session_ and may release the
    // last reference to us.
    auto self = shared_from_this();
    auto session = session_;
    session->close(reason);
}

void
client::on_message(std::string_view data, bool binary)
{
    // Application callbacks below may close the session re-entrantly.
    auto self = shared_from_this();
    if(closed_)
        return;
    auto r = decoder_.feed(data, binary);
    if(!r) {
        close_session("parse error");
        return;
    }
    if(!*r)
        return; // waiting for attachments
    dispatch(std::move(**r));
}

void
client::dispatch(packet&& p)
{
    auto it = sockets_.find(p.nsp);
    if(p.type == packet_type::connect) {
        // A second CONNECT for a namespace that is connected or still deciding is invalid state.
        if(it != sockets_.end()) {
            close_session(forced_server_close);
            return;
        }
        on_connect_packet(std::move(p));
        return;
    }
    // Anything else needs an accepted socket; an EVENT racing a pending CONNECT closes the session
    // like the reference does (S4 Client.ondecoded). Clients never send CONNECT_ERROR.
    if(it == sockets_.end() || it->second->current_state() != socket_impl::state::connected ||
        p.type == packet_type::connect_error) {
        close_session(forced_server_close);
        return;
    }
    auto s = it->second;
    switch(p.type) {
    case packet_type::event:
    case packet_type::binary_event: {
        event ev;
        auto& args = p.data.get_array();
        auto& name = args.front();
        // Numeric names are legal on the wire (socket.io-parser accepts them); pass their text.
        ev.name = name.is_string() ? std::string(name.get_string()) : json::serialize(name);
        args.erase(args.begin());
        ev.args = std::move(args);
        ev.attachments = std::move(p.attachments);
        ev.ack_id = p.id;
        s->handler().on_event(s, std::move(ev));
        return;
    }
    case packet_type::disconnect: {
        sockets_.erase(it);
        if(s->detach())
            s->handler().on_disconnect(s, "client namespace disconnect");
        on_socket_gone();
        return;
    }
    case packet_type::ack:
    case packet_type::binary_ack:
        // The API has no server-side emit-with-ack yet, so every client ACK is for an unknown id;
        // the reference ignores those ("bad ack").
        return;
    default:
        return;
    }
}

void
client::on_connect_packet(packet&& p)
{
    auto* handler = registry_->find(p.nsp);
    if(!handler) {
        // Unknown namespace: refuse it, the session stays open.
        packet err;
        err.type = packet_type::connect_error;
        err.nsp = std::move(p.nsp);
        err.data = json::object{{"message", "Invalid namespace"}};
        session_->send_text(encode_packet(err));
        count_failed_connect();
        return;
    }
    auto id = make_socket_id();
    if(!id) {
        packet err;
        err.type = packet_type::connect_error;
        err.nsp = std::move(p.nsp);
        err.data = json::object{{"message", "id generation failure"}};
        session_->send_text(encode_packet(err));
        return;
    }
    auto s = std::make_shared<socket_impl>(std::move(*id), p.nsp, session_, this, handler);
    sockets_.emplace(std::move(p.nsp), s);
    json::object auth;
    if(p.data.is_object())
        auth = std::move(p.data.get_object());
    handler->on_connect(s, auth);
}

void
client::socket_accepted() noexcept
{
    if(joined_)
        return;
    joined_ = true;
    connect_timer_.reset();
    session_->set_authenticated(true);
}

void
client::socket_removed(socket_impl const& s)
{
    auto it = sockets_.find(s.nsp());
    if(it != sockets_.end() && it->second.get() == &s)
        sockets_.erase(it);
    on_socket_gone();
}

void
client::socket_rejected(socket_impl const& s)
{
    socket_removed(s);
    count_failed_connect();
}

void
client::count_failed_connect()
{
    auto const limit = registry_->opts.max_failed_connects;
    if(closed_ || limit == 0 || ++failed_connects_ <= limit)
        return;
    // The refusal just sent is still queued ahead of the close: the client learns why.
    close_session(forced_server_close);
}

void
client::on_socket_gone()
{
    // A session that left every namespace (its own DISCONNECT, a server disconnect such as the
    // per-user cap, a refused CONNECT) holds a slot and counts for no user: it gets the connect
    // deadline again, as at the start, and is closed unless it joins a namespace in time.
    if(closed_ || !sockets_.empty() || connect_timer_)
        return;
    joined_ = false;
    session_->set_authenticated(false);
    arm_connect_timer();
}

void
client::on_close(std::string_view reason)
{
    if(closed_)
        return;
    closed_ = true;
    connect_timer_.reset();
    decoder_.reset();
    // Detach everything first so handlers see a consistent picture (no socket of this session is
    // connected any more) whatever they call from on_disconnect.
    auto sockets = std::move(sockets_);
    sockets_.clear();
    std::vector<std::shared_ptr<socket_impl>> gone;
    gone.reserve(sockets.size());
    for(auto& [nsp, s] : sockets)
        if(s->detach())
            gone.push_back(s);
    for(auto& s : gone)
        s->handler().on_disconnect(s, reason);
    // Cut the session <-> client cycle. `reason` may point into the session: done using it.
    session_.reset();
}

} // namespace tradepush::socketio
