#include "gateway/shard_registry.hpp"

#include <boost/asio/post.hpp>
#include <boost/json/value.hpp>

namespace tradepush::gateway {

namespace {

// Lists shorter than this are looked up one id at a time: caching them would cost more than it
// saves (a private stream has one or a few subscribers).
constexpr std::size_t resolve_min_size = 16;
// Bound of the resolved lists kept; beyond it, lists the hub no longer holds are dropped.
constexpr std::size_t resolve_max_lists = 64;

} // namespace

connection&
shard_registry::add(connection c)
{
    ++generation_;
    by_socket_[c.socket.get()] = c.id;
    auto const id = c.id;
    auto& added = sockets_.insert_or_assign(id, std::move(c)).first->second;
    if(added.expires_at) {
        added.expiry = expiries_.emplace(*added.expires_at, id);
        arm_expiry();
    }
    return added;
}

void
shard_registry::remove(hub::conn_id id)
{
    auto it = sockets_.find(id);
    if(it == sockets_.end())
        return;
    ++generation_;
    by_socket_.erase(it->second.socket.get());
    // The schedule holds only live connections: reconnect churn must not grow it.
    if(it->second.expiry)
        expiries_.erase(*it->second.expiry);
    sockets_.erase(it);
}

void
shard_registry::arm_expiry()
{
    if(expiries_.empty())
        return;
    auto const first = expiries_.begin()->first;
    if(expiry_timer_ && expiry_armed_for_ == first)
        return;
    if(!expiry_timer_)
        expiry_timer_.emplace(ioc_);
    expiry_armed_for_ = first;
    // One timer per shard, not one per connection: idle connections cost no timer each.
    expiry_timer_->expires_at(first);
    expiry_timer_->async_wait([this](boost::system::error_code ec) { on_expiry(ec); });
}

void
shard_registry::on_expiry(boost::system::error_code ec)
{
    if(ec)
        return; // re-armed for an earlier expiry, or shutting down
    auto const now = std::chrono::steady_clock::now();
    std::vector<hub::conn_id> due;
    while(!expiries_.empty() && expiries_.begin()->first <= now) {
        auto const id = expiries_.begin()->second;
        expiries_.erase(expiries_.begin());
        if(auto* c = find(id)) {
            c->expiry.reset();
            due.push_back(id);
        }
    }
    for(auto id : due) {
        auto* c = find(id);
        if(!c)
            continue; // closed by an earlier one's close (same session)
        // Say why before closing: the client then tells an expired token from a network failure.
        // The transport close (not a namespace disconnect) makes stock clients reconnect, asking
        // their auth callback for a fresh token; the disconnect path unregisters the connection.
        auto socket = c->socket;
        socket->emit("error", socketio::json::array{socketio::json::object{{"code", "token_expired"},
            {"message", "the session's token expired; reconnect with a fresh token"}}});
        socket->close_transport("token expired");
    }
    expiry_armed_for_ = {};
    arm_expiry();
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
        // A client named by a proxy's X-Forwarded-For has no port.
        if(auto const& ep = session.handshake().remote; !ep.address().is_unspecified()) {
            remote = ep.address().to_string();
            if(ep.port() != 0) {
                if(ep.address().is_v6())
                    remote = "[" + remote + "]";
                remote += ":" + std::to_string(ep.port());
            }
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
    // One post per shard per update; the per-connection work is a send (or a queue push).
    net::post(ioc_, [this, conns = std::move(conns), msg = std::move(msg), conflate_key] {
        fan_out(conns, msg, conflate_key);
    });
}

void
shard_registry::fan_out(list_ptr const& conns, outbound_ptr const& msg, std::uint64_t conflate_key)
{
    if(conns->size() < resolve_min_size) {
        for(auto id : *conns)
            if(auto* c = find(id))
                c->socket->send(msg, conflate_key);
        return;
    }
    // A ticker's list is the same object tick after tick until its subscribers change, and between
    // two ticks the caches have forgotten the id map: walk a flat array of sockets instead of one
    // hash lookup (two cache misses) per connection.
    auto const& r = resolve(conns);
    auto const generation = generation_;
    auto const n = r.targets.size();
    for(std::size_t i = 0; i < n; ++i) {
        if(generation_ != generation) {
            // A send closed a connection (it does not today: errors are reported asynchronously).
            // The rest is looked up by id.
            for(auto it = conns->begin() + static_cast<std::ptrdiff_t>(i); it != conns->end(); ++it)
                if(auto* c = find(*it))
                    c->socket->send(msg, conflate_key);
            return;
        }
        // The next connection's objects load while this one's send runs in the kernel.
        if(i + 1 < n) {
            __builtin_prefetch(r.targets[i + 1].socket);
            __builtin_prefetch(r.targets[i + 1].session);
        }
        r.targets[i].socket->send(msg, conflate_key);
    }
}

shard_registry::resolved_list const&
shard_registry::resolve(list_ptr const& conns)
{
    auto it = resolved_.find(conns.get());
    if(it != resolved_.end() && it->second.generation == generation_)
        return it->second;
    if(it == resolved_.end()) {
        if(resolved_.size() >= resolve_max_lists)
            std::erase_if(resolved_, [](auto const& e) { return e.second.list.use_count() == 1; });
        if(resolved_.size() >= resolve_max_lists)
            resolved_.clear();
        it = resolved_.emplace(conns.get(), resolved_list{conns, 0, {}}).first;
    }
    auto& r = it->second;
    r.generation = generation_;
    r.targets.clear();
    r.targets.reserve(conns->size());
    for(auto id : *conns)
        if(auto* c = find(id))
            r.targets.push_back({c->socket.get(), &c->socket->session()});
    return r;
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
