#include "gateway/shard_registry.hpp"

#include <boost/asio/post.hpp>

namespace tradepush::gateway {

connection&
shard_registry::add(connection c)
{
    by_socket_[c.socket.get()] = c.id;
    auto const id = c.id;
    return sockets_.insert_or_assign(id, std::move(c)).first->second;
}

void
shard_registry::remove(hub::conn_id id)
{
    auto it = sockets_.find(id);
    if(it == sockets_.end())
        return;
    by_socket_.erase(it->second.socket.get());
    sockets_.erase(it);
}

connection*
shard_registry::find(hub::conn_id id) noexcept
{
    auto it = sockets_.find(id);
    return it == sockets_.end() ? nullptr : &it->second;
}

connection*
shard_registry::find(socketio::socket const* s) noexcept
{
    auto it = by_socket_.find(s);
    return it == by_socket_.end() ? nullptr : find(it->second);
}

std::vector<connection_view>
shard_registry::describe(std::vector<hub::conn_id> const& ids) const
{
    std::vector<connection_view> out;
    out.reserve(ids.size());
    for(auto id : ids) {
        auto it = sockets_.find(id);
        if(it == sockets_.end())
            continue;
        auto const& c = it->second;
        auto& session = c.socket->session();
        std::string remote;
        if(auto const& ep = session.handshake().remote; ep.port() != 0) {
            remote = ep.address().to_string();
            if(ep.address().is_v6())
                remote = "[" + remote + "]";
            remote += ":" + std::to_string(ep.port());
        }
        out.push_back(connection_view{c.id, c.user, c.socket->id(), std::string(session.transport()),
            std::move(remote), c.connected_at});
    }
    return out;
}

void
shard_registry::deliver(std::shared_ptr<std::vector<hub::conn_id> const> conns, outbound_ptr msg,
    std::uint64_t conflate_key)
{
    // One post per shard per update; the per-connection work is a lookup and a queue push.
    net::post(ioc_, [this, conns = std::move(conns), msg = std::move(msg), conflate_key] {
        for(auto id : *conns)
            if(auto* c = find(id))
                c->socket->send(msg, conflate_key);
    });
}

void
shard_registry::deliver_one(hub::conn_id conn, outbound_ptr msg, std::uint64_t conflate_key)
{
    net::post(ioc_, [this, conn, msg = std::move(msg), conflate_key] {
        if(auto* c = find(conn))
            c->socket->send(msg, conflate_key);
    });
}

void
shard_registry::post(std::function<void()> fn)
{
    net::post(ioc_, std::move(fn));
}

void
shard_registry::close(hub::conn_id conn, std::string reason)
{
    net::post(ioc_, [this, conn, reason = std::move(reason)] {
        if(auto* c = find(conn))
            c->socket->close_transport(reason);
    });
}

} // namespace tradepush::gateway
