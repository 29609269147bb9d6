#include "admin/core.hpp"

#include "admin/connection.hpp"
#include "admin/peer_credentials.hpp"
#include "admin/protocol.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace tradepush::admin::detail {

core::core(options o)
    : opts(std::move(o))
{
}

spdlog::logger&
core::log() const
{
    return opts.logger ? *opts.logger : *spdlog::default_logger_raw();
}

void
core::do_accept()
{
    acceptor.async_accept([this](boost::system::error_code ec, stream_protocol::socket s) {
        on_accept(ec, std::move(s));
    });
}

void
core::on_accept(boost::system::error_code ec, stream_protocol::socket s)
{
    if(stopping || ec == net::error::operation_aborted)
        return;
    if(ec) {
        // EMFILE and friends: keep serving the connections we have and try again.
        log().warn("admin socket: accept: {}", ec.message());
        do_accept();
        return;
    }
    do_accept();

    auto cred = read_peer_credentials(s.native_handle());
    if(!cred) {
        log().warn("admin socket: SO_PEERCRED: {}", cred.error().message());
        return;
    }
    auto const caller_level = std::min(level_for(*cred, policy), opts.max_level);
    // The last admin_reserved places (at most half of them) are kept for administrators.
    auto const reserved = std::min(opts.admin_reserved, opts.max_connections / 2);
    auto const cap = caller_level == level::admin ? opts.max_connections : opts.max_connections - reserved;
    if(connections.size() >= cap) {
        // One best-effort line (fits any socket buffer) instead of a silent close, then go.
        auto const line = error_line(nullptr, errc::busy,
            "too many admin connections (" + std::to_string(cap) + " for level " +
            std::string(to_string(caller_level)) + "); try again");
        boost::system::error_code wec;
        s.non_blocking(true, wec);
        s.write_some(net::buffer(line), wec);
        s.close(wec);
        if(auto const dropped = refusal_log.admit())
            log().warn("admin socket: refused uid={} pid={} (level {}): {} connections open; {} similar suppressed",
                cred->uid, cred->pid, to_string(caller_level), connections.size(), *dropped);
        return;
    }
    caller who;
    who.level = caller_level;
    who.peer = std::move(*cred);
    who.connection = next_connection++;
    auto c = std::make_shared<connection>(*this, std::move(s), std::move(who));
    connections.emplace(c->id(), c);
    connection_count.store(connections.size());
    c->start();
}

void
core::remove(std::uint64_t id)
{
    connections.erase(id);
    connection_count.store(connections.size());
}

void
core::close_all()
{
    stopping = true;
    boost::system::error_code ec;
    acceptor.close(ec);
    // close() removes each connection from the map: iterate over a copy.
    auto open = std::move(connections);
    connections.clear();
    for(auto& [id, c] : open)
        c->close();
    connection_count.store(0);
}

} // namespace tradepush::admin::detail
