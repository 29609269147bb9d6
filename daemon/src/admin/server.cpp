#include "admin/server.hpp"

#include "admin/core.hpp"
#include "admin/protocol.hpp"
#include "admin/socket_file.hpp"

#include <boost/asio/post.hpp>
#include <boost/json/array.hpp>

#include <spdlog/spdlog.h>

#include <unistd.h>

namespace tradepush::admin {

namespace json = boost::json;
namespace net = boost::asio;

namespace {

// `help`: what the caller may run, as rows for a table.
void
add_builtins(detail::core& core)
{
    (void)core.registry.add(command{
        .name = "help",
        .min_level = level::read,
        .help = "list the commands available at your level",
        .handler = [&core](json::object, caller const& who, responder reply) {
            json::array rows;
            for(auto const* c : core.registry.available(who.level))
                rows.push_back(json::object{
                    {"command", c->name}, {"level", to_string(c->min_level)}, {"args", c->usage}, {"help", c->help}});
            reply.ok(std::move(rows));
        },
    });
    (void)core.registry.add(command{
        .name = "ping",
        .min_level = level::read,
        .help = "check that the daemon answers",
        .handler = [&core](json::object, caller const& who, responder reply) {
            reply.ok(json::object{{"pong", true}, {"version", core.opts.version}, {"level", to_string(who.level)}});
        },
    });
}

} // namespace

server::server(options opts)
    : core_(std::make_shared<detail::core>(std::move(opts)))
{
    add_builtins(*core_);
}

server::~server()
{
    stop();
}

boost::system::result<void, std::string>
server::add(command c)
{
    if(started_)
        return "admin command '" + c.name + "': register before start()";
    return core_->registry.add(std::move(c));
}

boost::system::result<void, std::string>
server::add(std::string name, level min_level, std::string help, command_handler handler)
{
    return add(command{std::move(name), min_level, std::move(help), std::move(handler)});
}

boost::system::result<void, std::string>
server::start()
{
    if(started_)
        return std::string("admin server already started");
    auto& c = *core_;
    auto const& o = c.opts;

    // Groups first: a typo in a group name is a config error, not something to find out when an
    // operator is locked out.
    c.policy.daemon_uid = ::geteuid();
    std::optional<gid_t> socket_gid;
    if(!o.group.empty()) {
        auto g = resolve_group(o.group);
        if(!g)
            return "admin socket group: " + g.error();
        socket_gid = *g;
    }
    if(!o.admin_group.empty()) {
        auto g = resolve_group(o.admin_group);
        if(!g)
            return "admin_group: " + g.error();
        c.policy.admin_gid = *g;
    }
    if(!o.operate_group.empty()) {
        auto g = resolve_group(o.operate_group);
        if(!g)
            return "operate_group: " + g.error();
        c.policy.operate_gid = *g;
    }

    if(auto r = claim_socket_path(o.path); !r)
        return r.error();

    boost::system::error_code ec;
    detail::stream_protocol::endpoint const ep(o.path);
    c.acceptor.open(ep.protocol(), ec);
    if(!ec)
        c.acceptor.bind(ep, ec);
    if(ec) {
        c.acceptor.close(ec);
        return "admin socket " + o.path + ": bind: " + ec.message();
    }
    c.bound_file = identify(o.path);
    // Until chmod the file has the umask's mode (0750 under UMask=0027 → the group cannot connect
    // yet), so there is no window where it is more open than configured.
    if(auto r = set_socket_permissions(o.path, o.mode, socket_gid); !r) {
        c.acceptor.close(ec);
        if(c.bound_file)
            remove_if_same(o.path, *c.bound_file);
        return r.error();
    }
    c.acceptor.listen(net::socket_base::max_listen_connections, ec);
    if(ec) {
        c.acceptor.close(ec);
        if(c.bound_file)
            remove_if_same(o.path, *c.bound_file);
        return "admin socket " + o.path + ": listen: " + ec.message();
    }

    started_ = true;
    c.do_accept();
    thread_ = std::thread([&c] { c.ioc->run(); });
    c.log().info("admin socket listening on {} (mode {:o}{}{})", o.path, o.mode, o.group.empty() ? "" : ", group ",
        o.group);
    return {};
}

void
server::stop()
{
    auto& c = *core_;
    if(started_) {
        started_ = false;
        net::post(*c.ioc, [&c] { c.close_all(); });
    }
    // From a handler (the admin thread itself) a join would deadlock: the close is queued and the
    // owner's later stop() or destructor joins.
    if(!thread_.joinable() || thread_.get_id() == std::this_thread::get_id())
        return;
    thread_.join();
    if(c.bound_file)
        remove_if_same(c.opts.path, *c.bound_file);
}

std::string const&
server::path() const noexcept
{
    return core_->opts.path;
}

std::size_t
server::connection_count() const noexcept
{
    return core_->connection_count.load();
}

} // namespace tradepush::admin
