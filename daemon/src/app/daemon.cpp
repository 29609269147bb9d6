#include "app/daemon.hpp"

#include "app/connection_cap.hpp"
#include "app/daemon_impl.hpp"
#include "app/metrics.hpp"
#include "config/credentials.hpp"
#include "config/listener.hpp"
#include "engineio/drain_schedule.hpp"
#include "service/watchdog_interval.hpp"

#include <boost/asio/post.hpp>
#include <boost/json/serialize.hpp>

#include <spdlog/spdlog.h>

#include <cstdio>

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

// The handshake verifier for the `[auth]` section; an error names the offending key.
boost::system::result<std::shared_ptr<auth::jwt_verifier const>, std::string>
make_verifier(config::auth_config const& auth_cfg)
{
    auth::verifier_options vo;
    for(auto const& k : auth_cfg.keys) {
        auto alg = auth::parse_alg(k.alg);
        if(!alg)
            return {boost::system::in_place_error, std::string("auth key '") + k.kid + "': unsupported alg " + k.alg};
        vo.keys.push_back(auth::key_config{k.kid, *alg, k.material});
    }
    vo.issuer = auth_cfg.issuer;
    vo.audience = auth_cfg.audience;
    vo.leeway = auth_cfg.leeway;
    vo.require_exp = auth_cfg.require_exp;
    vo.max_lifetime = auth_cfg.max_lifetime;
    auto verifier = auth::jwt_verifier::create(std::move(vo));
    if(!verifier)
        return {boost::system::in_place_error, verifier.error().message};
    return {boost::system::in_place_value, std::make_shared<auth::jwt_verifier const>(std::move(*verifier))};
}

} // namespace

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

namespace {

// Runs `produce(done)`, which calls `done(T)` on the control strand, and waits on the calling (shard)
// thread at most `timeout` for it; nullopt when the control strand did not answer in time (the late
// answer then goes nowhere).
template<class T, class Produce>
std::optional<T>
wait_for_control(Produce produce, std::chrono::milliseconds timeout)
{
    auto promise = std::make_shared<std::promise<T>>();
    auto future = promise->get_future();
    produce([promise](T v) { promise->set_value(std::move(v)); });
    if(future.wait_for(timeout) != std::future_status::ready)
        return std::nullopt;
    return future.get();
}

constexpr std::chrono::milliseconds control_wait{2000};

} // namespace

std::string
daemon::impl::stats_json()
{
    // Called on a shard thread: wait briefly for the control strand, else say what this thread knows.
    auto full = wait_for_control<json::object>(
        [this](std::function<void(json::object)> done) { collect_stats(std::move(done)); }, control_wait);
    if(full)
        return json::serialize(*full);
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
    return wait_for_control<std::string>(
        [this](std::function<void(std::string)> done) {
            // The hub answers on the control strand, where the plugins and the upstream clients live:
            // everything but the hub's own figures is read there (this lambda runs on the caller's
            // thread).
            hub->stats([this, done = std::move(done)](hub::hub_stats s) {
                metrics_snapshot m;
                m.hub = s;
                if(http)
                    m.upstream.http = http->stats();
                if(ws)
                    m.upstream.ws = ws->stats();
                m.engine = eio->stats();
                if(plugins) {
                    m.plugins = plugins->status();
                    m.plugin_totals = plugins->stats();
                }
                m.rss_bytes = resident_bytes();
                m.uptime_s =
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - started_at).count();
                done(render_metrics(m));
            });
        },
        control_wait);
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
    // Hand freed heap back to the kernel (glibc keeps freed chunks otherwise) after a wave of
    // disconnects, so RSS returns to baseline, and after a wave of handshakes: each one's HTTP
    // request and upgrade buffers are freed once its session runs, but a storm's worth of them
    // would stay resident (about 0.6 KB per connection after 1000 at once). Cheap to check, done
    // only after such a wave.
    trim_timer.expires_after(std::chrono::seconds(5));
    trim_timer.async_wait([this](boost::system::error_code ec) {
        if(ec)
            return;
        auto const st = eio->stats();
        auto const now = st.sessions;
        bool const dropped = now + 1000 <= sessions_at_last_trim || now * 4 < sessions_at_last_trim * 3;
        bool const opened = st.sessions_opened >= opened_at_last_trim + 500;
        if(dropped || opened)
            ::malloc_trim(0);
        sessions_at_last_trim = now;
        opened_at_last_trim = st.sessions_opened;
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
    // One bound per exchange endpoint for every plugin instance: a reconnect storm waits in line
    // instead of opening a connection per request.
    plugin_host::http_client_options http_opts;
    http_opts.max_connections_per_endpoint = cfg.plugins.upstream_connections;
    http = std::make_unique<plugin_host::http_client>(control.get_executor(), tls, http_opts);
    plugin_host::ws_client_options ws_opts;
    ws_opts.max_connects_per_endpoint = cfg.plugins.upstream_connections;
    ws = std::make_unique<plugin_host::ws_client>(control.get_executor(), tls, ws_opts);
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
// log level, the auth keys (handshakes from now on; connected clients stay), and the credentials
// store (new upstream sessions use the new keys; open ones keep theirs until the user's next
// session); everything else is read at the next start.
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
    auto verifier = make_verifier(next->auth);
    if(!verifier) {
        spdlog::error("SIGHUP: {} refused, the running config stays: {}", cfg.source.string(), verifier.error());
        static_cast<void>(notify.ready("config reload refused: " + verifier.error()));
        return {boost::system::in_place_error, verifier.error()};
    }
    gate->set_verifier(std::move(*verifier));
    cfg.auth = next->auth;
    cfg.log_level = next->log_level;
    spdlog::set_level(spdlog::level::from_str(cfg.log_level));
    cfg.credentials = next->credentials;
    accounts->set_store(cfg.credentials.store);
    std::string summary = "log level " + cfg.log_level + ", " + std::to_string(cfg.auth.keys.size()) +
        " auth key(s), ";
    summary += cfg.credentials.store ? std::to_string(cfg.credentials.store->users.size()) + " user(s) in " +
            cfg.credentials.file.string()
                                     : std::string("no credentials store");
    spdlog::info("SIGHUP: config reloaded ({}); listeners, workers, limits and plugins apply at the "
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

    auto verifier = make_verifier(cfg.auth);
    if(!verifier)
        return verifier.error();

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
    gateway::gateway_options gopts;
    gopts.login.free_failures = cfg.failed_logins_per_address;
    d.gate = std::make_shared<gateway::gateway>(*d.hub, std::move(*verifier), registries, gopts);
    socketio::options so;
    so.connect_timeout = cfg.connect_timeout;
    so.max_failed_connects = cfg.max_failed_connects;
    d.sio = std::make_unique<socketio::server>(so);
    d.sio->of("/", d.gate);
    d.eio = std::make_unique<engineio::server>(shard_ptrs);
    auto eio_opts = cfg.engineio;
    auto const nofile = open_file_limit();
    eio_opts.max_sessions = connection_cap(cfg.engineio.max_sessions, nofile);
    if(cfg.engineio.max_sessions == 0 && eio_opts.max_sessions != 0)
        spdlog::info("max_connections {} (open-file limit {} minus {} kept for exchanges, plugins and "
            "admin; set [limits] max_connections when many users' exchange connections share it)",
            eio_opts.max_sessions, *nofile, reserved_descriptors);
    else if(nofile && eio_opts.max_sessions + reserved_descriptors > *nofile)
        spdlog::warn("max_connections {} is close to or above the open-file limit {}: expect accept "
            "failures (EMFILE) before the cap; raise LimitNOFILE or lower the cap",
            eio_opts.max_sessions, *nofile);
    d.eio->set_connection_options(cfg.connection);
    d.eio->add_endpoint(eio_opts, d.sio->session_factory());
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
