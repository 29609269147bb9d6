#include "app/daemon.hpp"

#include "app/account_book.hpp"
#include "app/metrics.hpp"
#include "admin/post_to.hpp"
#include "admin/server.hpp"
#include "auth/jwt_verifier.hpp"
#include "config/credentials.hpp"
#include "config/listener.hpp"
#include "engineio/drain_schedule.hpp"
#include "engineio/server.hpp"
#include "feed/provider_router.hpp"
#include "feed/scripted_feed.hpp"
#include "gateway/gateway.hpp"
#include "hub/hub.hpp"
#include "plugin_host/http_client.hpp"
#include "plugin_host/instance_io.hpp"
#include "plugin_host/plugin_set.hpp"
#include "plugin_host/ws_client.hpp"
#include "service/notifier.hpp"
#include "service/watchdog.hpp"
#include "service/watchdog_interval.hpp"
#include "socketio/server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/serialize.hpp>

#include <spdlog/spdlog.h>

#include <charconv>
#include <condition_variable>
#include <future>
#include <limits>
#include <mutex>
#include <unordered_map>
#include <thread>

#include <malloc.h>

namespace tradepush::app {

namespace net = boost::asio;
namespace json = boost::json;

namespace {

// Resident set size in bytes, from /proc (0 if unavailable).
std::size_t
resident_bytes()
{
    std::FILE* f = std::fopen("/proc/self/statm", "r");
    if(!f)
        return 0;
    unsigned long pages = 0, resident = 0;
    int const n = std::fscanf(f, "%lu %lu", &pages, &resident);
    std::fclose(f);
    return n == 2 ? resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE)) : 0;
}

} // namespace

struct daemon::impl {
    config::daemon_config cfg;

    // io_contexts first: they are destroyed last, after everything that posts to them.
    net::io_context control{1};
    std::vector<std::unique_ptr<net::io_context>> shard_contexts;
    std::vector<std::thread> threads;
    std::optional<net::executor_work_guard<net::io_context::executor_type>> control_work;
    std::vector<net::executor_work_guard<net::io_context::executor_type>> shard_work;

    std::vector<std::unique_ptr<gateway::shard_registry>> registries;
    std::optional<auth::jwt_verifier> verifier;
    std::unique_ptr<account_book> accounts;
    std::unique_ptr<feed::scripted_feed> feed;

    // Exchange plugins (images, instances, providers) behind one router, with the HTTP/WS clients
    // they use.
    net::ssl::context tls{net::ssl::context::tls_client};
    std::unique_ptr<plugin_host::http_client> http;
    std::unique_ptr<plugin_host::ws_client> ws;
    std::unique_ptr<plugin_host::client_io> io;
    std::unique_ptr<plugin_host::plugin_set> plugins;
    std::unique_ptr<feed::provider_router> router;
    std::unique_ptr<hub::hub> hub;
    std::shared_ptr<gateway::gateway> gate;
    std::unique_ptr<socketio::server> sio;
    std::unique_ptr<engineio::server> eio;
    net::signal_set signals{control};
    /// SIGUSR1: reload every plugin (blue/green), on the control thread.
    net::signal_set reload_signals{control};
    /// SIGHUP: re-read the config file, all or nothing, on the control thread.
    net::signal_set hup_signals{control};
    /// systemd: READY / RELOADING / STOPPING / STATUS, and WATCHDOG while every loop turns.
    service::notifier notify;
    std::unique_ptr<service::watchdog> dog;
    /// The operators' socket (null when disabled).
    std::unique_ptr<admin::server> admin_server;
    std::chrono::steady_clock::time_point started_at = std::chrono::steady_clock::now();
    net::steady_timer trim_timer{control};
    std::size_t sessions_at_last_trim = 0;
    std::promise<void> stopped;
    std::atomic<bool> stopping{false};
    /// The drain's window, written before `stopped` is set (SIGTERM: the config's; admin `drain`: its
    /// grace) and read by shutdown() on the main thread.
    std::chrono::milliseconds drain_spread{0};
    /// True while the drain runs (admin `status` says "draining").
    std::atomic<bool> draining{false};
    /// Set by a second SIGTERM/SIGINT: the drain stops waiting and closes what is left at once.
    std::atomic<bool> hurry{false};
    std::mutex hurry_mutex;
    std::condition_variable hurry_cv;

    std::string stats_json();
    std::optional<std::string> metrics_text();
    json::object plugins_json() const;
    boost::system::result<void, std::string> load_plugins();
    void reload_plugins();
    void await_reload_signal();
    void await_hup();
    /// Re-reads the config; returns what changed live, or why the file was refused.
    boost::system::result<std::string, std::string> reload_config();
    boost::system::result<std::string, std::string> reload_credentials();
    void collect_stats(std::function<void(json::object)> done);
    boost::system::result<void, std::string> start_admin();
    void add_admin_commands(admin::server& srv);
    /// The admin `sessions list`; runs on the control strand.
    void list_sessions(std::string user, std::size_t limit, admin::responder reply);
    void start_service_notifications(unsigned workers);
    void unload_plugins();
    void arm_trim();
    /// Waits for SIGTERM/SIGINT on the control thread: the first starts the drain, a later one hurries it.
    void await_stop_signal();
    /// Starts the stop with a drain over `spread`; false when a stop is already under way. Thread-safe.
    bool request_stop(std::chrono::milliseconds spread);
    /// Ends a drain now (second signal). Thread-safe.
    void hurry_drain();
    /// The graceful part of the stop (operations.md §5.2); main thread, loops still running.
    void drain();
    void shutdown();
};

daemon::daemon(config::daemon_config cfg)
    : impl_(std::make_unique<impl>())
{
    impl_->cfg = std::move(cfg);
}

daemon::~daemon()
{
    if(!impl_->threads.empty()) {
        impl_->shutdown();
        return;
    }
    // start() failed half-way (e.g. a port in use): nothing ran, so mark the loops stopped and the
    // server closes its I/O objects at once instead of posting to loops that never run.
    for(auto& ctx : impl_->shard_contexts)
        ctx->stop();
    impl_->control.stop();
}

unsigned short
daemon::port() const noexcept
{
    return impl_->eio ? impl_->eio->port() : 0;
}

// Builds the /stats object on the control strand and hands it to `done` there.
void
daemon::impl::collect_stats(std::function<void(json::object)> done)
{
    hub->stats([this, done = std::move(done)](hub::hub_stats s) {
        json::object o;
        o["hub"] = json::object{{"connections", s.connections}, {"users", s.users},
            {"account_streams", s.account_streams}, {"ticker_streams", s.ticker_streams},
            {"subscriptions", s.subscriptions}, {"open_accounts", s.open_accounts}, {"pushes", s.pushes},
            {"dedup_skips", s.dedup_skips}, {"stale_epoch_drops", s.stale_epoch_drops}, {"resets", s.resets}};
        o["plugins"] = plugins_json();
        auto const es = eio->stats();
        o["engine"] = json::object{{"sessions", es.sessions}, {"http_connections", es.http_connections}};
        o["rss_bytes"] = resident_bytes();
        done(std::move(o));
    });
}

std::string
daemon::impl::stats_json()
{
    // Called on a shard thread: wait briefly for the control strand, else say what this thread knows.
    auto promise = std::make_shared<std::promise<json::object>>();
    auto future = promise->get_future();
    collect_stats([promise](json::object o) { promise->set_value(std::move(o)); });
    if(future.wait_for(std::chrono::seconds(2)) == std::future_status::ready)
        return json::serialize(future.get());
    auto const es = eio->stats();
    json::object o;
    o["engine"] = json::object{{"sessions", es.sessions}, {"http_connections", es.http_connections}};
    o["rss_bytes"] = resident_bytes();
    return json::serialize(o);
}

// The /metrics body, read on the control strand; nullopt when it does not answer within 2 s.
std::optional<std::string>
daemon::impl::metrics_text()
{
    auto promise = std::make_shared<std::promise<std::string>>();
    auto future = promise->get_future();
    hub->stats([this, promise](hub::hub_stats s) {
        metrics_snapshot m;
        m.hub = s;
        m.engine = eio->stats();
        if(plugins) {
            m.plugins = plugins->status();
            m.plugin_totals = plugins->stats();
        }
        m.rss_bytes = resident_bytes();
        m.uptime_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_at).count();
        promise->set_value(render_metrics(m));
    });
    if(future.wait_for(std::chrono::seconds(2)) != std::future_status::ready)
        return std::nullopt;
    return future.get();
}

// The plugins' figures; on the control strand.
json::object
daemon::impl::plugins_json() const
{
    json::object o;
    if(!plugins)
        return o;
    auto const st = plugins->stats();
    o["reloads"] = st.reloads;
    o["reload_failures"] = st.reload_failures;
    o["resident_after_unload"] = st.resident_after_unload;
    json::array list;
    for(auto const& p : plugins->status()) {
        list.push_back(json::object{{"name", p.name}, {"version", p.version}, {"file", p.file}, {"image", p.image},
            {"accounts", p.accounts}, {"tickers", p.tickers}, {"reloads", p.reloads},
            {"calls", p.counters.plugin_calls}, {"overruns", p.counters.overruns},
            {"stale_completions", p.counters.stale_completions}, {"emits", p.counters.emits},
            {"stale_emits", p.counters.stale_emits}, {"invalid_emits", p.counters.invalid_emits},
            {"refused_calls", p.counters.refused_calls}});
    }
    o["loaded"] = std::move(list);
    return o;
}

void
daemon::impl::arm_trim()
{
    // After a wave of disconnects, hand freed heap back to the kernel so RSS returns to baseline
    // (glibc keeps freed chunks otherwise). Cheap to check, done only when sessions dropped a lot.
    trim_timer.expires_after(std::chrono::seconds(5));
    trim_timer.async_wait([this](boost::system::error_code ec) {
        if(ec)
            return;
        auto const now = eio->stats().sessions;
        if(now + 1000 <= sessions_at_last_trim || now * 4 < sessions_at_last_trim * 3)
            ::malloc_trim(0);
        sessions_at_last_trim = now;
        arm_trim();
    });
}

boost::system::result<void, std::string>
daemon::impl::load_plugins()
{
    if(cfg.plugins.load.empty())
        return {};
    auto run_dir = cfg.plugins.run_dir;
    if(run_dir.empty())
        run_dir = std::filesystem::temp_directory_path() / ("tradepushd-plugins-" + std::to_string(::getpid()));
    tls.set_default_verify_paths();
    http = std::make_unique<plugin_host::http_client>(control.get_executor(), tls);
    ws = std::make_unique<plugin_host::ws_client>(control.get_executor(), tls);
    io = std::make_unique<plugin_host::client_io>(http.get(), ws.get());
    // The instances live on the control executor; the hub sets their sink when it is built.
    plugins = std::make_unique<plugin_host::plugin_set>(control.get_executor(), io.get(), run_dir);
    for(auto const& pc : cfg.plugins.load) {
        auto p = plugins->load({pc.file, pc.config_json});
        if(!p)
            return p.error();
        auto const names = plugins->names();
        router->add(names.back(), **p);
    }
    return {};
}

void
daemon::impl::reload_plugins()
{
    if(!plugins || plugins->names().empty()) {
        spdlog::warn("plugin reload requested, but no plugin is loaded");
        return;
    }
    // One at a time; a refusal (logged by the set) leaves that plugin serving and the others still reload.
    for(auto const& name : plugins->names())
        static_cast<void>(plugins->reload(name));
}

void
daemon::impl::await_reload_signal()
{
    reload_signals.async_wait([this](boost::system::error_code ec, int) {
        if(ec)
            return;
        spdlog::info("SIGUSR1: reloading plugins");
        reload_plugins();
        await_reload_signal();
    });
}

void
daemon::impl::await_hup()
{
    hup_signals.async_wait([this](boost::system::error_code ec, int) {
        if(ec)
            return;
        static_cast<void>(reload_config());
        await_hup();
    });
}

// All or nothing: a config that fails validation changes nothing. What applies while running is the
// log level and the credentials store (new upstream sessions use the new keys; open ones keep theirs
// until the user's next session); everything else is read at the next start.
boost::system::result<std::string, std::string>
daemon::impl::reload_config()
{
    spdlog::info("config reload: reading {}", cfg.source.string());
    static_cast<void>(notify.reloading("reloading " + cfg.source.string()));
    auto next = config::load_file(cfg.source);
    if(!next) {
        spdlog::error("SIGHUP: {} refused, the running config stays: {}", cfg.source.string(), next.error().message);
        static_cast<void>(notify.ready("config reload refused: " + next.error().message));
        return {boost::system::in_place_error, next.error().message};
    }
    cfg.log_level = next->log_level;
    spdlog::set_level(spdlog::level::from_str(cfg.log_level));
    cfg.credentials = next->credentials;
    accounts->set_store(cfg.credentials.store);
    std::string summary = "log level " + cfg.log_level + ", ";
    summary += cfg.credentials.store ? std::to_string(cfg.credentials.store->users.size()) + " user(s) in " +
            cfg.credentials.file.string()
                                     : std::string("no credentials store");
    spdlog::info("SIGHUP: config reloaded ({}); listeners, workers, auth keys, limits and plugins apply at the "
                 "next start",
        summary);
    static_cast<void>(notify.ready("config reloaded: " + summary));
    return {boost::system::in_place_value, std::move(summary)};
}

// The credentials file alone (the admin `credentials reload`), all or nothing like the config.
boost::system::result<std::string, std::string>
daemon::impl::reload_credentials()
{
    if(cfg.credentials.file.empty())
        return {boost::system::in_place_error, std::string("no [credentials] file is configured")};
    auto store = config::load_credentials_file(cfg.credentials.file);
    if(!store) {
        spdlog::error("credentials reload: refused, the loaded store stays: {}", store.error().message);
        return {boost::system::in_place_error, store.error().message};
    }
    cfg.credentials.store = std::make_shared<config::credentials const>(std::move(*store));
    accounts->set_store(cfg.credentials.store);
    auto summary = std::to_string(cfg.credentials.store->users.size()) + " user(s), " +
        std::to_string(cfg.credentials.store->accounts()) + " account(s) from " + cfg.credentials.file.string();
    spdlog::info("credentials reload: {}", summary);
    return {boost::system::in_place_value, std::move(summary)};
}

// READY once listeners are bound and plugins loaded (not waiting for exchanges), and the watchdog
// when systemd asked for one. Without NOTIFY_SOCKET all of it is a no-op.
void
daemon::impl::start_service_notifications(unsigned workers)
{
    if(auto n = service::notifier::from_environment())
        notify = *n;
    else
        spdlog::warn("NOTIFY_SOCKET: {}", n.error().message());
    if(auto wd = service::watchdog_interval_from_environment(); !wd)
        spdlog::warn("WATCHDOG_USEC: {}", wd.error().message());
    else if(*wd) {
        std::vector<net::io_context*> loops{&control}; // the control loop first: it sends the pings
        for(auto& c : shard_contexts)
            loops.push_back(c.get());
        dog = std::make_unique<service::watchdog>(std::move(loops), notify, **wd);
        dog->start();
    }
    static_cast<void>(notify.ready(std::to_string(workers) + " worker shard(s), " +
        std::to_string(plugins ? plugins->names().size() : 0) + " plugin(s)"));
}

boost::system::result<void, std::string>
daemon::impl::start_admin()
{
    auto const& a = cfg.admin;
    if(a.socket.empty()) {
        spdlog::info("admin socket disabled ([admin] socket = \"\")");
        return {};
    }
    std::error_code ec;
    if(!std::filesystem::is_directory(a.socket.parent_path(), ec)) {
        // A developer machine without systemd's RuntimeDirectory=: run, and say how to get the socket.
        spdlog::warn("admin socket disabled: directory {} does not exist (systemd's RuntimeDirectory= creates "
                     "it; or set [admin] socket)",
            a.socket.parent_path().string());
        return {};
    }
    admin::options o;
    o.path = a.socket.string();
    o.mode = a.mode;
    o.group = a.group;
    o.admin_group = a.admin_group;
    o.operate_group = a.operate_group;
    o.max_connections = a.max_connections;
    o.max_line = a.max_request_bytes;
    o.idle_timeout = a.idle_timeout;
    o.command_deadline = a.command_timeout;
    o.version = TRADEPUSH_VERSION;
    admin_server = std::make_unique<admin::server>(std::move(o));
    add_admin_commands(*admin_server);
    if(auto r = admin_server->start(); !r) {
        admin_server.reset();
        return "admin socket " + a.socket.string() + ": " + r.error();
    }
    spdlog::info("admin socket on {}", a.socket.string());
    return {};
}

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
        .help = "drop a user's cached state, call reset_user, push fresh snapshots to the user's live connections",
        .handler = on_control([this](json::object args, admin::caller const&, responder reply) {
            auto const user = string_arg(args, "user");
            if(user.empty())
                return reply.fail("bad_request", "args.user is required");
            hub->flush_user(std::string(user), [reply, u = std::string(user)](bool found) {
                if(found)
                    reply.ok(json::object{{"user", u}, {"flushed", true}});
                else
                    reply.fail("not_found", "user " + u + " has no live connection");
            });
        }),
        .usage = "<user>"});
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

void
daemon::impl::unload_plugins()
{
    // Instances first (their operations are cancelled), then the images: no plugin code may run once
    // its image is gone. Then the clients. Runs with every loop stopped.
    if(plugins)
        plugins->unload_all();
    plugins.reset();
    http.reset();
    ws.reset();
}

boost::system::result<void, std::string>
daemon::start()
{
    auto& d = *impl_;
    auto const& cfg = d.cfg;
    // Catch SIGINT/SIGTERM before anything listens: a stop request that arrives while starting is
    // queued for run() instead of killing the process half-way.
    d.signals.add(SIGINT);
    d.signals.add(SIGTERM);
    d.reload_signals.add(SIGUSR1);
    d.hup_signals.add(SIGHUP);

    // Authentication keys.
    auth::verifier_options vo;
    for(auto const& k : cfg.auth.keys) {
        auto alg = auth::parse_alg(k.alg);
        if(!alg)
            return std::string("auth key '") + k.kid + "': unsupported alg " + k.alg;
        vo.keys.push_back(auth::key_config{k.kid, *alg, k.material});
    }
    vo.issuer = cfg.auth.issuer;
    vo.audience = cfg.auth.audience;
    vo.leeway = cfg.auth.leeway;
    auto verifier = auth::jwt_verifier::create(std::move(vo));
    if(!verifier)
        return verifier.error().message;
    d.verifier.emplace(std::move(*verifier));

    // Worker shards: one io_context and one thread each, owning their connections.
    unsigned workers = cfg.workers ? cfg.workers : std::max(1u, std::thread::hardware_concurrency());
    std::vector<net::io_context*> shard_ptrs;
    std::vector<hub::shard_port*> ports;
    std::vector<gateway::shard_registry*> registries;
    for(unsigned i = 0; i < workers; ++i) {
        d.shard_contexts.push_back(std::make_unique<net::io_context>(1));
        shard_ptrs.push_back(d.shard_contexts.back().get());
        d.registries.push_back(std::make_unique<gateway::shard_registry>(*d.shard_contexts.back(), i));
        ports.push_back(d.registries.back().get());
        registries.push_back(d.registries.back().get());
    }

    // The control strand: feed and hub.
    feed::scripted_options fo;
    fo.tick_interval = cfg.feed.tick_interval;
    fo.snapshot_delay = cfg.feed.snapshot_delay;
    fo.exchanges = cfg.feed.exchanges;
    d.feed = std::make_unique<feed::scripted_feed>(d.control.get_executor(), fo);
    d.router = std::make_unique<feed::provider_router>(d.control.get_executor());
    for(auto const& exchange : cfg.feed.exchanges)
        d.router->add(exchange, *d.feed);
    // Plugins come after the scripted feed: a plugin serving the same exchange replaces it.
    if(auto r = d.load_plugins(); !r)
        return r.error();
    auto const default_exchange = d.plugins && !d.plugins->names().empty() ? d.plugins->names().front()
        : cfg.feed.exchanges.empty()                  ? std::string("bybit")
                                                      : cfg.feed.exchanges.front();
    d.accounts = std::make_unique<account_book>(default_exchange);
    d.accounts->set_store(cfg.credentials.store);
    if(cfg.credentials.store)
        spdlog::info("credentials: {} user(s), {} account(s) from {}", cfg.credentials.store->users.size(),
            cfg.credentials.store->accounts(), cfg.credentials.file.string());
    d.hub = std::make_unique<hub::hub>(d.control.get_executor(), *d.router, *d.accounts, ports, cfg.limits);

    // Client protocol.
    d.gate = std::make_shared<gateway::gateway>(*d.hub, *d.verifier, registries);
    socketio::options so;
    so.connect_timeout = cfg.connect_timeout;
    d.sio = std::make_unique<socketio::server>(so);
    d.sio->of("/", d.gate);
    d.eio = std::make_unique<engineio::server>(shard_ptrs);
    d.eio->add_endpoint(cfg.engineio, d.sio->session_factory());
    d.eio->add_route("/healthz", [](std::string_view) {
        return engineio::http_reply{200, "text/plain; charset=utf-8", "ok\n"};
    });
    d.eio->add_route("/stats", [&d](std::string_view) {
        return engineio::http_reply{200, "application/json", d.stats_json()};
    });
    d.eio->add_route("/metrics", [&d](std::string_view) {
        if(auto text = d.metrics_text())
            return engineio::http_reply{200, "text/plain; version=0.0.4; charset=utf-8", std::move(*text)};
        return engineio::http_reply{503, "text/plain; charset=utf-8", "control loop busy, try again\n"};
    });

    for(auto const& l : cfg.listeners) {
        boost::system::error_code ec;
        auto const addr = net::ip::make_address(l.address, ec);
        if(ec)
            return "listen " + config::to_string(l) + ": " + ec.message();
        auto r = d.eio->listen(net::ip::tcp::endpoint(addr, l.port));
        if(!r)
            return "listen " + config::to_string(l) + ": " + r.error().message();
        spdlog::info("listening on {} (port {})", config::to_string(l), d.eio->port());
    }

    d.control_work.emplace(d.control.get_executor());
    for(auto& ctx : d.shard_contexts)
        d.shard_work.emplace_back(ctx->get_executor());
    net::post(d.control, [&d] {
        d.arm_trim();
        d.await_reload_signal();
        d.await_hup();
    });
    d.threads.emplace_back([&d] { d.control.run(); });
    for(auto& ctx : d.shard_contexts)
        d.threads.emplace_back([c = ctx.get()] { c->run(); });
    if(auto r = d.start_admin(); !r)
        return r.error();
    spdlog::info("tradepushd started: {} worker shard(s), feed '{}'", workers, cfg.feed.kind);
    d.start_service_notifications(workers);
    return {};
}

void
daemon::run()
{
    auto& d = *impl_;
    // The signal set lives on the control loop: arm it there.
    net::post(d.control, [&d] { d.await_stop_signal(); });
    d.stopped.get_future().wait();
    d.shutdown();
}

void
daemon::stop()
{
    static_cast<void>(impl_->request_stop(impl_->cfg.drain.spread));
}

void
daemon::impl::await_stop_signal()
{
    signals.async_wait([this](boost::system::error_code ec, int sig) {
        if(ec)
            return;
        if(request_stop(cfg.drain.spread)) {
            spdlog::info("signal {}: draining, then stopping (send it again to close everything at once)", sig);
        } else {
            spdlog::warn("signal {} during the stop: closing every connection now", sig);
            hurry_drain();
        }
        await_stop_signal();
    });
}

bool
daemon::impl::request_stop(std::chrono::milliseconds spread)
{
    if(stopping.exchange(true))
        return false;
    drain_spread = spread;
    stopped.set_value();
    return true;
}

void
daemon::impl::hurry_drain()
{
    {
        std::lock_guard lock(hurry_mutex);
        hurry = true;
    }
    hurry_cv.notify_all();
}

// Stop accepting, close every client's transport spread over the window (engineio::server::drain),
// and wait until all of them are closed, the global deadline passes, or a second signal hurries us.
// What is left then is closed hard by shutdown(). The admin socket stays up meanwhile.
void
daemon::impl::drain()
{
    using clock = std::chrono::steady_clock;
    using std::chrono::duration_cast;
    using std::chrono::milliseconds;
    if(!eio) {
        static_cast<void>(notify.stopping("stopping"));
        return;
    }
    draining = true;
    auto const start = clock::now();
    auto const deadline = start + cfg.drain.timeout;
    auto const clients = eio->stats().sessions;
    auto const plan = engineio::plan_drain(clients, drain_spread);
    static_cast<void>(notify.stopping("draining " + std::to_string(clients) + " client(s)"));
    spdlog::info("drain: {} client(s), closing them over {} ms (close timeout {} ms each, deadline {} ms)", clients,
        plan.spread.count(), cfg.engineio.close_timeout.count(), cfg.drain.timeout.count());
    eio->drain(drain_spread);

    auto next_report = start + std::chrono::seconds(1);
    int quiet_polls = 0;
    char const* cut_by = nullptr;
    engineio::server_stats st;
    for(;;) {
        {
            std::unique_lock lock(hurry_mutex);
            hurry_cv.wait_for(lock, milliseconds(50), [this] { return hurry.load(); });
        }
        st = eio->stats();
        auto const now = clock::now();
        // Two polls in a row: the counters live on different shards and are read without a fence.
        quiet_polls = st.sessions == 0 && st.closing == 0 ? quiet_polls + 1 : 0;
        if(quiet_polls >= 2)
            break;
        if(hurry) {
            cut_by = "a second signal";
            break;
        }
        if(now >= deadline) {
            cut_by = "the deadline";
            break;
        }
        if(now >= next_report) {
            next_report += std::chrono::seconds(1);
            spdlog::info("drain: {} client(s) left, {} closing", st.sessions, st.closing);
            static_cast<void>(notify.status("draining: " + std::to_string(st.sessions) + " of " +
                std::to_string(clients) + " client(s) left"));
        }
    }
    auto const took = duration_cast<milliseconds>(clock::now() - start).count();
    if(cut_by) {
        spdlog::warn("drain: cut by {} after {} ms: {} client(s) and {} closing connection(s) are closed now",
            cut_by, took, st.sessions, st.closing);
    } else {
        spdlog::info("drain: {} client(s) closed in {} ms", clients, took);
    }
    static_cast<void>(notify.status("drained; stopping"));
    draining = false;
}

void
daemon::impl::shutdown()
{
    if(threads.empty())
        return;
    // SIGTERM/SIGINT stay armed during the drain: a second one hurries it.
    drain();
    boost::system::error_code ec;
    signals.cancel(ec);
    reload_signals.cancel(ec);
    hup_signals.cancel(ec);
    // No admin command may reach the data plane while it stops.
    if(admin_server)
        admin_server->stop();
    net::post(control, [this] { trim_timer.cancel(); });
    // Close whatever the drain left (hard), let the disconnects reach the hub, then stop the loops.
    if(eio) {
        eio->stop_accepting();
        eio->close_all();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    if(dog)
        dog->stop();
    for(auto& ctx : shard_contexts)
        ctx->stop();
    control.stop();
    for(auto& t : threads)
        t.join();
    threads.clear();
    eio.reset();
    sio.reset();
    gate.reset();
    hub.reset();
    unload_plugins();
    router.reset();
    feed.reset();
    spdlog::info("tradepushd stopped");
}

} // namespace tradepush::app
