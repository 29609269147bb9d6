#include "engineio/server.hpp"

#include "engineio/drain_schedule.hpp"
#include "engineio/http_connection.hpp"
#include "engineio/server_core.hpp"
#include "engineio/session_impl.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/socket_base.hpp>

#include "common/log_limiter.hpp"

#include <spdlog/spdlog.h>

#include <openssl/rand.h>

#include <algorithm>
#include <random>

#include <sys/socket.h>

namespace tradepush::engineio {

namespace {

constexpr char sid_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::size_t sid_length = 20;
constexpr std::chrono::seconds sweep_period{1};

using reuse_port = net::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

// Failed accepts are logged, but never a line per attempt.
log_limiter accept_log{1, 5};

} // namespace

//------------------------------------------------------------------------------

server_core::server_core(std::vector<net::io_context*> const& ctxs)
{
    for(std::size_t i = 0; i < ctxs.size(); ++i)
        shards.push_back(std::make_unique<shard_state>(*ctxs[i], i));
}

endpoint_entry const*
server_core::find_endpoint(std::string_view path) const
{
    // Like the reference, the path is a prefix match (`/socket.io/` serves `/socket.io/anything`),
    // and the trailing slash may be left out.
    for(auto const& ep : endpoints) {
        std::string_view p = ep.opts.path;
        if(path.starts_with(p) || path == p.substr(0, p.size() - 1))
            return &ep;
    }
    return nullptr;
}

std::string
server_core::new_sid(std::size_t shard) const
{
    unsigned char bytes[sid_length];
    if(RAND_bytes(bytes, sizeof bytes) != 1) {
        // The CSPRNG failing is not something to serve through: a predictable sid is a session hijack.
        std::abort();
    }
    std::string sid(sid_length, '\0');
    for(std::size_t i = 0; i < sid_length; ++i)
        sid[i] = sid_alphabet[bytes[i] & 63];
    sid[0] = sid_alphabet[shard & 63];
    return sid;
}

std::optional<std::size_t>
server_core::shard_of(std::string_view sid) const
{
    if(sid.size() != sid_length)
        return std::nullopt;
    std::string_view alphabet(sid_alphabet, 64);
    auto const pos = alphabet.find(sid[0]);
    if(pos == std::string_view::npos || pos >= shards.size())
        return std::nullopt;
    return pos;
}

void
server_core::start_accept(shard_state& shard, net::ip::tcp::acceptor& acceptor)
{
    if(!acceptor.is_open())
        return;
    acceptor.async_accept(shard.ioc,
        [self = shared_from_this(), &shard, &acceptor](boost::system::error_code ec, net::ip::tcp::socket socket) {
            if(ec == net::error::operation_aborted || !acceptor.is_open())
                return;
            if(ec) {
                // Out of descriptors or similar: shed what has not authenticated, say so (rate
                // limited), and back off briefly instead of spinning.
                shard.accept_failures.fetch_add(1, std::memory_order_relaxed);
                std::size_t shed = 0;
                if(ec == net::error::no_descriptors || ec == boost::system::errc::too_many_files_open_in_system)
                    shed = self->shed_unestablished(shard, 8);
                if(auto const dropped = accept_log.admit())
                    spdlog::warn("accept failed: {}{}; {} similar suppressed", ec.message(),
                        shed ? fmt::format(" (closed {} connections that had not completed a handshake)", shed) : "",
                        *dropped);
                auto timer = std::make_shared<net::steady_timer>(shard.ioc, std::chrono::milliseconds(50));
                timer->async_wait([self, &shard, &acceptor, timer](boost::system::error_code) {
                    self->start_accept(shard, acceptor);
                });
                return;
            }
            self->on_accepted(shard, std::move(socket));
            self->start_accept(shard, acceptor);
        });
}

void
server_core::on_accepted(shard_state& shard, net::ip::tcp::socket socket)
{
    boost::system::error_code ec;
    auto const peer = socket.remote_endpoint(ec);
    if(ec)
        return; // gone already
    // A trusted proxy's connections carry many clients: they are limited by the client they name
    // (http_connection), not here by the proxy's own address.
    bool const via_proxy = conn_opts.trusted_proxies.contains(peer.address());
    address_limits::slot slot;
    if(!via_proxy) {
        auto s = limits->open_socket(address_key::of(peer.address()));
        if(!s) {
            shard.refused_address.fetch_add(1, std::memory_order_relaxed);
            if(auto const dropped = refusal_log.admit())
                spdlog::warn("connection from {} refused: its address has {} open connections "
                             "(max_sockets_per_address); {} similar suppressed",
                    peer.address().to_string(), conn_opts.max_sockets_per_address, *dropped);
            socket.close(ec);
            return;
        }
        slot = std::move(*s);
    }
    socket.set_option(net::ip::tcp::no_delay(true), ec);
    for(auto const& e : endpoints)
        if(e.opts.socket_send_buffer > 0) {
            socket.set_option(net::socket_base::send_buffer_size(e.opts.socket_send_buffer), ec);
            break;
        }
    std::make_shared<http_connection>(shared_from_this(), shard, std::move(socket), peer_info{peer, via_proxy},
        std::move(slot))->run();
}

std::size_t
server_core::shed_unestablished(shard_state& shard, std::size_t n)
{
    std::vector<http_connection*> candidates;
    for(auto* c : shard.connections)
        if(!c->established())
            candidates.push_back(c);
    auto const k = std::min(n, candidates.size());
    std::partial_sort(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(k), candidates.end(),
        [](auto* a, auto* b) { return a->accepted_at() < b->accepted_at(); });
    for(std::size_t i = 0; i < k; ++i)
        candidates[i]->abort();
    shard.shed.fetch_add(k, std::memory_order_relaxed);
    return k;
}

void
server_core::note_unauthenticated(shard_state& shard, std::shared_ptr<session_impl> const& s, std::uint16_t generation)
{
    auto const cap = conn_opts.max_unauthenticated_sessions;
    if(cap == 0)
        return;
    auto& q = shard.unauthenticated;
    // Entries go stale as sessions authenticate or close; dropping them when the queue is twice
    // what could be current keeps it bounded at an amortised O(1) per note.
    if(q.size() >= 2 * cap + 64)
        std::erase_if(q, [](unauthenticated_entry const& e) {
            auto const p = e.session.lock();
            return !p || !p->unauthenticated_since(e.generation);
        });
    q.push_back({std::chrono::steady_clock::now(), generation, s});
}

bool
server_core::evict_unauthenticated(shard_state& shard)
{
    auto& q = shard.unauthenticated;
    auto const now = std::chrono::steady_clock::now();
    while(!q.empty()) {
        auto const& e = q.front();
        auto const s = e.session.lock();
        if(!s || !s->unauthenticated_since(e.generation)) {
            q.pop_front();
            continue;
        }
        // A session younger than the grace may be a real client between its handshake and its
        // CONNECT: never evicted, so a flood can at worst refuse newcomers, never cut them off.
        auto const age = now - e.since;
        if(age < conn_opts.unauthenticated_grace)
            return false;
        q.pop_front(); // `e` is gone from here on
        shard.evicted_unauthenticated.fetch_add(1, std::memory_order_relaxed);
        if(auto const dropped = refusal_log.admit())
            spdlog::warn("closed the oldest unauthenticated session (from {}, {} ms old) to make way for a "
                         "handshake (max_unauthenticated_connections); {} similar suppressed",
                s->handshake().remote.address().to_string(),
                std::chrono::duration_cast<std::chrono::milliseconds>(age).count(), *dropped);
        s->close("evicted: too many unauthenticated sessions");
        return true;
    }
    return false;
}

void
shard_state::shut_down()
{
    boost::system::error_code ec;
    for(auto& a : acceptors)
        a->close(ec);
    acceptors.clear();
    sweeper.reset();
    drain_timer.reset();
    flush_timer.reset();
    flush_pending.clear();
    drain_order.clear();
    std::vector<std::shared_ptr<session_impl>> all;
    for(auto const& [sid, session] : sessions)
        all.push_back(session);
    for(auto const& session : all)
        session->close("server shutting down");
    sessions.clear();
    for(auto* conn : std::vector<http_connection*>(connections.begin(), connections.end()))
        conn->abort();
}

void
server_core::arm_sweeper(shard_state& shard)
{
    if(!shard.sweeper)
        return;
    shard.sweeper->expires_after(sweep_period);
    shard.sweeper->async_wait([self = shared_from_this(), &shard](boost::system::error_code ec) {
        if(ec)
            return;
        auto const now = std::chrono::steady_clock::now();
        // Collect first: sweeping may close sessions, which erases them from the map.
        std::vector<std::shared_ptr<session_impl>> all;
        all.reserve(shard.sessions.size());
        for(auto const& [sid, s] : shard.sessions)
            all.push_back(s);
        for(auto const& s : all)
            s->sweep(now);
        self->arm_sweeper(shard);
    });
}

void
server_core::schedule_flush(shard_state& shard, std::shared_ptr<session_impl> session, std::chrono::microseconds window)
{
    if(!shard.flush_timer)
        return; // shut down
    shard.flush_pending.push_back(std::move(session));
    if(shard.flush_armed)
        return;
    shard.flush_armed = true;
    shard.flush_timer->expires_after(window);
    shard.flush_timer->async_wait([self = shared_from_this(), &shard](boost::system::error_code ec) {
        if(ec || !shard.flush_timer)
            return;
        shard.flush_armed = false;
        // Swap out first: a flush may complete a write at once and the session may queue (and
        // schedule) again, which then belongs to the next window.
        auto due = std::move(shard.flush_pending);
        shard.flush_pending.clear();
        for(auto const& s : due)
            s->on_flush_window();
        // Keep the vector's storage for the next window.
        due.clear();
        if(shard.flush_pending.empty())
            shard.flush_pending.swap(due);
    });
}

void
server_core::drain_step(shard_state& shard, std::chrono::milliseconds tick)
{
    if(!shard.drain_timer)
        return; // shut down meanwhile
    auto n = drain_batch(shard.drain_order.size(), shard.drain_ticks_left);
    if(shard.drain_ticks_left > 0)
        --shard.drain_ticks_left;
    while(n-- > 0 && !shard.drain_order.empty()) {
        auto sid = std::move(shard.drain_order.back());
        shard.drain_order.pop_back();
        // Sessions that ended on their own meanwhile are simply gone from the map.
        if(auto it = shard.sessions.find(sid); it != shard.sessions.end()) {
            auto session = it->second;
            session->drain_close("server draining");
        }
    }
    if(shard.drain_order.empty())
        return;
    shard.drain_timer->expires_after(tick);
    shard.drain_timer->async_wait([self = shared_from_this(), &shard, tick](boost::system::error_code ec) {
        if(!ec)
            self->drain_step(shard, tick);
    });
}

//------------------------------------------------------------------------------

class server::impl {
public:
    std::shared_ptr<server_core> core;
};

server::server(std::vector<net::io_context*> shards)
    : impl_(std::make_shared<impl>())
{
    impl_->core = std::make_shared<server_core>(shards);
}

server::~server()
{
    auto& shards = impl_->core->shards;
    bool const stopped = std::all_of(shards.begin(), shards.end(), [](auto const& s) { return s->ioc.stopped(); });
    // Queued handlers keep the core alive, and the core owns I/O objects of every shard; if it were
    // freed while another shard's io_context is already gone, those would dangle. So the I/O objects
    // go now: directly when no shard runs any more, else on each shard.
    for(auto& shard : shards) {
        if(stopped)
            shard->shut_down();
        else
            net::post(shard->ioc, [core = impl_->core, s = shard.get()] { s->shut_down(); });
    }
}

void
server::add_endpoint(options opts, session_factory factory)
{
    if(opts.path.empty() || opts.path.back() != '/')
        opts.path += '/';
    impl_->core->endpoints.push_back(endpoint_entry{std::move(opts), std::move(factory)});
}

void
server::set_connection_options(connection_options opts)
{
    auto& core = *impl_->core;
    core.limits = std::make_shared<address_limits>(address_limit_options{opts.max_sockets_per_address,
        opts.handshakes_per_second_per_address, opts.handshake_burst_per_address});
    core.conn_opts = std::move(opts);
}

void
server::add_route(std::string path, http_route route)
{
    impl_->core->routes.emplace(std::move(path), std::move(route));
}

boost::system::result<void>
server::listen(net::ip::tcp::endpoint ep)
{
    auto& core = *impl_->core;
    for(auto& shard : core.shards) {
        boost::system::error_code ec;
        net::ip::tcp::acceptor acc(shard->ioc);
        acc.open(ep.protocol(), ec);
        if(!ec)
            acc.set_option(net::socket_base::reuse_address(true), ec);
        // One acceptor per shard on the same port: the kernel spreads connections over shards.
        if(!ec)
            acc.set_option(reuse_port(true), ec);
        if(!ec && ep.address().is_v6())
            acc.set_option(net::ip::v6_only(true), ec);
        if(!ec)
            acc.bind(ep, ec);
        if(!ec)
            acc.listen(net::socket_base::max_listen_connections, ec);
        if(ec)
            return ec;
        if(ep.port() == 0)
            ep.port(acc.local_endpoint().port());
        shard->acceptors.push_back(std::make_unique<net::ip::tcp::acceptor>(std::move(acc)));
    }
    if(core.port == 0)
        core.port = ep.port();
    bool const first = !listening_;
    listening_ = true;
    for(auto& shard : core.shards) {
        net::post(shard->ioc, [core = impl_->core, s = shard.get(), a = shard->acceptors.back().get()] {
            core->start_accept(*s, *a);
        });
        if(first)
            net::post(shard->ioc, [core = impl_->core, s = shard.get()] { core->arm_sweeper(*s); });
    }
    return {};
}

unsigned short
server::port() const noexcept
{
    return impl_->core->port;
}

void
server::stop_accepting()
{
    for(auto& shard : impl_->core->shards)
        net::post(shard->ioc, [s = shard.get()] {
            boost::system::error_code ec;
            for(auto& a : s->acceptors)
                a->close(ec);
        });
}

void
server::drain(std::chrono::milliseconds max_spread)
{
    // Every shard plans with the total, so the whole drain (not each shard) keeps the minimum rate.
    auto const total = impl_->core->session_count.load();
    auto const plan = plan_drain(total, max_spread);
    for(auto& shard : impl_->core->shards)
        net::post(shard->ioc, [core = impl_->core, s = shard.get(), plan] {
            boost::system::error_code ec;
            for(auto& a : s->acceptors)
                a->close(ec);
            if(s->draining)
                return;
            s->draining = true;
            s->drain_order.clear();
            s->drain_order.reserve(s->sessions.size());
            for(auto const& [sid, session] : s->sessions)
                s->drain_order.push_back(sid);
            // A random order: no group of clients (say, the oldest) always moves first.
            std::shuffle(s->drain_order.begin(), s->drain_order.end(), std::mt19937_64(std::random_device{}()));
            s->drain_ticks_left = plan.ticks;
            s->drain_timer.emplace(s->ioc);
            core->drain_step(*s, plan.tick);
        });
}

void
server::close_all()
{
    for(auto& shard : impl_->core->shards)
        net::post(shard->ioc, [s = shard.get()] {
            // A drain under way is over: whatever it has not closed yet goes now.
            s->draining = true;
            s->drain_timer.reset();
            s->drain_order.clear();
            std::vector<std::shared_ptr<session_impl>> all;
            for(auto const& [sid, session] : s->sessions)
                all.push_back(session);
            for(auto const& session : all)
                session->close("forced server close");
            for(auto* conn : std::vector<http_connection*>(s->connections.begin(), s->connections.end()))
                conn->abort();
        });
}

server_stats
server::stats() const
{
    server_stats s{impl_->core->session_count.load(), impl_->core->connection_count.load()};
    for(auto const& shard : impl_->core->shards) {
        s.sessions_opened += shard->sessions_opened.load(std::memory_order_relaxed);
        s.conflations += shard->conflations.load(std::memory_order_relaxed);
        s.ws_writes += shard->ws_writes.load(std::memory_order_relaxed);
        s.refused_full += shard->refused_full.load(std::memory_order_relaxed);
        s.slow_consumer_closes += shard->slow_consumer_closes.load(std::memory_order_relaxed);
        s.closing += shard->closing_transports->load(std::memory_order_relaxed);
        s.refused_address += shard->refused_address.load(std::memory_order_relaxed);
        s.refused_handshake_rate += shard->refused_handshake_rate.load(std::memory_order_relaxed);
        s.refused_unauthenticated += shard->refused_unauthenticated.load(std::memory_order_relaxed);
        s.refused_proxy += shard->refused_proxy.load(std::memory_order_relaxed);
        s.accept_failures += shard->accept_failures.load(std::memory_order_relaxed);
        s.shed += shard->shed.load(std::memory_order_relaxed);
        s.evicted_unauthenticated += shard->evicted_unauthenticated.load(std::memory_order_relaxed);
    }
    s.unauthenticated = impl_->core->unauthenticated_count.load(std::memory_order_relaxed);
    return s;
}

} // namespace tradepush::engineio
