// The admin socket's commands (docs/admin.md), registered on the daemon's admin::server. Split out of
// daemon.cpp; they run on the control strand and reach the daemon's state through daemon::impl.

#include "app/daemon_impl.hpp"

#include "app/config_view.hpp"
#include "admin/post_to.hpp"
#include "config/listener.hpp"
#include "engineio/drain_schedule.hpp"

#include <boost/asio/post.hpp>

#include <spdlog/spdlog.h>

#include <charconv>
#include <limits>
#include <unordered_map>

namespace tradepush::app {

namespace {

/// The string argument `key`, or an empty view when absent or not a string.
std::string_view
string_arg(json::object const& args, std::string_view key)
{
    auto const* v = args.if_contains(key);
    return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

/// A non-negative integer argument `key` (a JSON number, or a numeric string as a hand-written
/// request may send), `fallback` when absent; nullopt when present but not such a number.
std::optional<std::int64_t>
count_arg(json::object const& args, std::string_view key, std::int64_t fallback)
{
    auto const* v = args.if_contains(key);
    if(!v)
        return fallback;
    if(v->is_int64())
        return v->get_int64() >= 0 ? std::optional<std::int64_t>(v->get_int64()) : std::nullopt;
    if(v->is_uint64())
        return static_cast<std::int64_t>(std::min<std::uint64_t>(v->get_uint64(), std::numeric_limits<std::int64_t>::max()));
    if(v->is_double())
        return v->get_double() >= 0 && v->get_double() < 9e18 ? std::optional<std::int64_t>(
                                                                   static_cast<std::int64_t>(v->get_double()))
                                                             : std::nullopt;
    if(v->is_string()) {
        std::string_view const text = v->get_string();
        std::int64_t n = 0;
        auto const [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
        if(ec == std::errc() && end == text.data() + text.size() && n >= 0)
            return n;
    }
    return std::nullopt;
}

} // namespace

// `sessions list`: the hub knows who is attached and what they subscribed to; the shards know the
// transport, peer and age. Asks the hub on the control strand, then each shard that holds some of
// the connections, and answers once every shard did (a wedged shard leaves it to the deadline).
void
daemon::impl::list_sessions(std::string user, std::size_t limit, admin::responder reply)
{
    hub->connections(std::move(user), limit, [this, reply](std::vector<hub::connection_info> infos) {
        struct gather {
            std::vector<hub::connection_info> infos;
            std::unordered_map<hub::conn_id, gateway::connection_view> views;
            std::size_t pending = 0;
        };
        auto g = std::make_shared<gather>();
        g->infos = std::move(infos);
        std::vector<std::vector<hub::conn_id>> by_shard(registries.size());
        for(auto const& i : g->infos)
            if(i.shard < by_shard.size())
                by_shard[i.shard].push_back(i.id);
        auto finish = [g, reply] {
            auto const now = std::chrono::steady_clock::now();
            json::array rows;
            for(auto const& i : g->infos) {
                auto v = g->views.find(i.id);
                if(v == g->views.end())
                    continue; // gone between the two looks
                auto const age = std::chrono::duration_cast<std::chrono::seconds>(now - v->second.connected_at);
                rows.push_back(json::object{{"id", i.id}, {"sid", v->second.socket_id}, {"user", i.user},
                    {"shard", i.shard}, {"transport", v->second.transport}, {"remote", v->second.remote},
                    {"connected_s", age.count()}, {"account", i.trading_account}, {"trading", i.trading_types},
                    {"tickers", i.tickers}});
            }
            reply.ok(std::move(rows));
        };
        for(auto const& ids : by_shard)
            g->pending += ids.empty() ? 0 : 1;
        if(g->pending == 0)
            return finish();
        for(std::size_t shard = 0; shard < by_shard.size(); ++shard) {
            if(by_shard[shard].empty())
                continue;
            auto* reg = registries[shard].get();
            net::post(reg->executor(), [this, g, reg, finish, ids = std::move(by_shard[shard])] {
                auto views = reg->describe(ids);
                // Back to the control strand, which owns `g`.
                net::post(control, [g, finish, views = std::move(views)]() mutable {
                    for(auto& v : views)
                        g->views.emplace(v.id, std::move(v));
                    if(--g->pending == 0)
                        finish();
                });
            });
        }
    });
}

// The commands of docs/admin.md. Each runs on the control strand (admin::post_to), where the hub,
// plugins and config live, and answers through its responder; the server's deadline covers a wedged strand.
void
daemon::impl::add_admin_commands(admin::server& srv)
{
    using admin::level;
    using admin::responder;
    auto on_control = [this](auto f) { return admin::post_to(control.get_executor(), std::move(f)); };
    auto add = [&](admin::command c) {
        if(auto r = srv.add(std::move(c)); !r)
            spdlog::error("admin: {}", r.error());
    };

    add({.name = "status", .min_level = level::read, .help = "version, uptime, config, listeners, clients, plugins",
        .handler = on_control([this](json::object, admin::caller const&, responder reply) {
            json::array listeners;
            for(auto const& l : cfg.listeners)
                listeners.emplace_back(config::to_string(l));
            json::array loaded;
            if(plugins)
                for(auto const& p : plugins->status())
                    loaded.push_back(json::object{{"name", p.name}, {"version", p.version}, {"accounts", p.accounts},
                        {"tickers", p.tickers}, {"reloads", p.reloads}});
            auto const up = std::chrono::duration_cast<std::chrono::seconds>(
                std::chrono::steady_clock::now() - started_at);
            auto const state = draining.load() ? "draining" : stopping.load() ? "stopping" : "running";
            reply.ok(json::object{{"state", state}, {"version", TRADEPUSH_VERSION},
                {"uptime_s", up.count()}, {"config", cfg.source.string()}, {"listeners", std::move(listeners)},
                {"workers", shard_contexts.size()}, {"clients", eio->stats().sessions},
                {"credentials", cfg.credentials.file.string()}, {"log_level", cfg.log_level},
                {"plugins", std::move(loaded)}});
        })});
    add({.name = "stats", .min_level = level::read, .help = "counters: hub, engine, plugins, RSS",
        .handler = on_control([this](json::object, admin::caller const&, responder reply) {
            collect_stats([reply](json::object o) { reply.ok(std::move(o)); });
        })});
    add({.name = "plugins list", .min_level = level::read, .help = "loaded exchange plugins",
        .handler = on_control([this](json::object, admin::caller const&, responder reply) {
            json::array list;
            if(plugins)
                for(auto const& p : plugins->status())
                    list.push_back(json::object{{"name", p.name}, {"version", p.version}, {"file", p.file},
                        {"accounts", p.accounts}, {"tickers", p.tickers}, {"reloads", p.reloads},
                        {"overruns", p.counters.overruns}, {"stale_emits", p.counters.stale_emits}});
            reply.ok(std::move(list));
        })});
    add({.name = "plugins reload", .min_level = level::admin,
        .help = "hot-reload a plugin (blue/green); a failed load keeps the old one serving",
        .handler = on_control([this](json::object args, admin::caller const&, responder reply) {
            auto const name = string_arg(args, "name");
            auto const* all = args.if_contains("all");
            bool const every = all && all->is_bool() && all->get_bool();
            if(name.empty() && !every)
                return reply.fail("bad_request", "args.name (a plugin name) or args.all = true is required");
            if(!plugins)
                return reply.fail("failed", "no plugin is loaded");
            json::array done;
            for(auto const& n : every ? plugins->names() : std::vector<std::string>{std::string(name)}) {
                auto r = plugins->reload(n);
                if(!r)
                    return reply.fail("failed", r.error());
                done.push_back(json::object{{"name", r->name}, {"old_version", r->old_version},
                    {"new_version", r->new_version}, {"accounts", r->accounts}, {"tickers", r->tickers},
                    {"old_image_unmapped", r->old_unmapped}});
            }
            reply.ok(std::move(done));
        }),
        .usage = "<name> | --all", .deadline = std::chrono::seconds(60)});
    add({.name = "user flush", .min_level = level::operate,
        .help = "drop a user's cached state (of one exchange with --exchange), reset the upstream session, push "
                "fresh snapshots to the user's live connections",
        .handler = on_control([this](json::object args, admin::caller const&, responder reply) {
            auto const user = string_arg(args, "user");
            if(user.empty())
                return reply.fail("bad_request", "args.user is required");
            auto const* ex = args.if_contains("exchange");
            if(ex && !ex->is_string())
                return reply.fail("bad_request", "args.exchange must be a string");
            auto const exchange = string_arg(args, "exchange");
            if(ex && exchange.empty())
                return reply.fail("bad_request", "args.exchange must not be empty");
            if(!exchange.empty() && !router->has_exchange(exchange)) {
                std::string served;
                for(auto const& e : router->exchanges())
                    served += (served.empty() ? "" : ", ") + e;
                return reply.fail("not_found", "no exchange '" + std::string(exchange) + "' is served (served: " +
                        (served.empty() ? std::string("none") : served) + ")");
            }
            hub->flush_user(std::string(user), std::string(exchange),
                [reply, u = std::string(user), x = std::string(exchange)](std::optional<std::size_t> n) {
                    if(!n)
                        return reply.fail("not_found", "user " + u + " has no live connection");
                    json::object o{{"user", u}, {"flushed", true}, {"accounts", *n}};
                    if(!x.empty())
                        o["exchange"] = x;
                    reply.ok(std::move(o));
                });
        }),
        .usage = "<user> [--exchange X]"});
    add({.name = "sessions list", .min_level = level::read,
        .help = "live client sessions: user, transport, peer, age, subscriptions",
        .handler = on_control([this](json::object args, admin::caller const&, responder reply) {
            auto const limit = count_arg(args, "limit", 1000);
            if(!limit || *limit < 1 || *limit > 100000)
                return reply.fail("bad_request", "args.limit must be a number from 1 to 100000");
            list_sessions(std::string(string_arg(args, "user")), static_cast<std::size_t>(*limit), reply);
        }),
        .usage = "[--user U] [--limit N]"});
    add({.name = "user kick", .min_level = level::operate,
        .help = "disconnect every session of a user (clients reconnect and resubscribe)",
        .handler = on_control([this](json::object args, admin::caller const&, responder reply) {
            auto const user = string_arg(args, "user");
            if(user.empty())
                return reply.fail("bad_request", "args.user is required");
            hub->kick_user(std::string(user), "kicked by operator", [reply, u = std::string(user)](std::size_t n) {
                if(n == 0)
                    return reply.fail("not_found", "user " + u + " has no live connection");
                spdlog::info("admin: kicked user {} ({} session(s))", u, n);
                reply.ok(json::object{{"user", u}, {"closed", n}});
            });
        }),
        .usage = "<user>"});
    add({.name = "drain", .min_level = level::admin,
        .help = "close every client gracefully, spread over the grace time, then exit (as on SIGTERM)",
        .handler = on_control([this](json::object args, admin::caller const&, responder reply) {
            // Whatever the grace, every close must fit in the global deadline.
            auto const max_spread = cfg.drain.timeout - cfg.engineio.close_timeout;
            auto spread = cfg.drain.spread;
            if(auto const* g = args.if_contains("grace_s")) {
                double seconds = -1;
                if(g->is_number()) {
                    boost::system::error_code ec;
                    seconds = g->to_number<double>(ec);
                    if(ec)
                        seconds = -1;
                }
                else if(g->is_string()) {
                    std::string_view const text = g->get_string();
                    auto const [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
                    if(ec != std::errc() || end != text.data() + text.size())
                        seconds = -1;
                }
                auto const limit = std::chrono::duration<double>(max_spread).count();
                if(!(seconds >= 0 && seconds <= limit))
                    return reply.fail("bad_request", "args.grace_s must be a number of seconds from 0 to " +
                            std::to_string(static_cast<long>(limit)) + " (drain_timeout_ms - close_timeout_ms)");
                spread = std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
            }
            if(stopping.load())
                return reply.fail("busy", "the daemon is already stopping");
            auto const clients = eio->stats().sessions;
            auto const plan = engineio::plan_drain(clients, spread);
            // Answer first: the admin socket stays up through the drain, so the reply goes out.
            reply.ok(json::object{{"draining", clients}, {"spread_ms", plan.spread.count()},
                {"close_timeout_ms", cfg.engineio.close_timeout.count()}, {"deadline_ms", cfg.drain.timeout.count()},
                {"then", "exit"}});
            if(request_stop(spread))
                spdlog::info("admin: drain requested (grace {} ms), then stopping", spread.count());
        }),
        .usage = "[--grace SECONDS]", .deadline = std::chrono::seconds(10)});
    add({.name = "log level", .min_level = level::operate, .help = "show or set the log level",
        .handler = on_control([this](json::object args, admin::caller const&, responder reply) {
            auto const want = string_arg(args, "level");
            if(!want.empty()) {
                auto const lvl = spdlog::level::from_str(std::string(want));
                if(lvl == spdlog::level::off && want != "off")
                    return reply.fail("bad_request", "unknown level '" + std::string(want) +
                            "' (trace, debug, info, warn, error, critical, off)");
                spdlog::set_level(lvl);
                cfg.log_level = std::string(want);
            }
            reply.ok(json::object{{"level", cfg.log_level}});
        }),
        .usage = "[LEVEL]"});
    add({.name = "config check", .min_level = level::read, .help = "validate the config file on disk without applying it",
        .handler = on_control([this](json::object, admin::caller const&, responder reply) {
            auto r = config::load_file(cfg.source);
            if(!r)
                return reply.fail("invalid", r.error().message);
            reply.ok(json::object{{"config", cfg.source.string()}, {"valid", true}});
        })});
    // Read level: the view carries no secret (config_view redacts key material, plugin secrets and
    // the credentials store), and a monitoring agent on a read-only socket may want the limits.
    add({.name = "config show", .min_level = level::read,
        .help = "the running configuration, with every secret redacted",
        .handler = on_control([this](json::object, admin::caller const&, responder reply) {
            reply.ok(config_view(cfg));
        })});
    add({.name = "config reload", .min_level = level::admin,
        .help = "like SIGHUP: validate and apply the config file, or keep the running one and say why",
        .handler = on_control([this](json::object, admin::caller const&, responder reply) {
            auto r = reload_config();
            if(!r)
                return reply.fail("invalid", r.error());
            reply.ok(json::object{{"reloaded", *r}});
        })});
    add({.name = "credentials reload", .min_level = level::admin, .help = "re-read the credentials file",
        .handler = on_control([this](json::object, admin::caller const&, responder reply) {
            auto r = reload_credentials();
            if(!r)
                return reply.fail("invalid", r.error());
            reply.ok(json::object{{"reloaded", *r}});
        })});
}

} // namespace tradepush::app
