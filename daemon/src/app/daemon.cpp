#include "app/daemon.hpp"

#include "app/account_book.hpp"
#include "auth/jwt_verifier.hpp"
#include "config/listener.hpp"
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

#include <future>
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
    net::steady_timer trim_timer{control};
    std::size_t sessions_at_last_trim = 0;
    std::promise<void> stopped;
    std::atomic<bool> stopping{false};

    std::string stats_json();
    json::object plugins_json() const;
    boost::system::result<void, std::string> load_plugins();
    void reload_plugins();
    void await_reload_signal();
    void await_hup();
    void reload_config();
    void start_service_notifications(unsigned workers);
    void unload_plugins();
    void arm_trim();
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

std::string
daemon::impl::stats_json()
{
    // Read the hub's sizes on the control strand; the caller (a shard thread) waits briefly.
    // The plugin figures are read in the same visit to the control strand.
    using figures = std::pair<hub::hub_stats, json::object>;
    auto promise = std::make_shared<std::promise<figures>>();
    auto future = promise->get_future();
    hub->stats([this, promise](hub::hub_stats s) { promise->set_value({s, plugins_json()}); });
    json::object o;
    if(future.wait_for(std::chrono::seconds(2)) == std::future_status::ready) {
        auto const [s, p] = future.get();
        o["hub"] = json::object{{"connections", s.connections}, {"users", s.users},
            {"account_streams", s.account_streams}, {"ticker_streams", s.ticker_streams},
            {"subscriptions", s.subscriptions}, {"open_accounts", s.open_accounts}, {"pushes", s.pushes},
            {"dedup_skips", s.dedup_skips}, {"stale_epoch_drops", s.stale_epoch_drops}, {"resets", s.resets}};
        o["plugins"] = p;
    }
    auto const es = eio->stats();
    o["engine"] = json::object{{"sessions", es.sessions}, {"http_connections", es.http_connections}};
    o["rss_bytes"] = resident_bytes();
    return json::serialize(o);
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
        reload_config();
        await_hup();
    });
}

// All or nothing: a config that fails validation changes nothing. What applies while running is the
// log level and the credentials store (new upstream sessions use the new keys; open ones keep theirs
// until the user's next session); everything else is read at the next start.
void
daemon::impl::reload_config()
{
    spdlog::info("SIGHUP: reloading {}", cfg.source.string());
    static_cast<void>(notify.reloading("reloading " + cfg.source.string()));
    auto next = config::load_file(cfg.source);
    if(!next) {
        spdlog::error("SIGHUP: {} refused, the running config stays: {}", cfg.source.string(), next.error().message);
        static_cast<void>(notify.ready("config reload refused: " + next.error().message));
        return;
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
    spdlog::info("tradepushd started: {} worker shard(s), feed '{}'", workers, cfg.feed.kind);
    d.start_service_notifications(workers);
    return {};
}

void
daemon::run()
{
    auto& d = *impl_;
    d.signals.async_wait([this](boost::system::error_code ec, int sig) {
        if(!ec)
            spdlog::info("signal {}: shutting down", sig);
        stop();
    });
    d.stopped.get_future().wait();
    d.shutdown();
}

void
daemon::stop()
{
    if(!impl_->stopping.exchange(true))
        impl_->stopped.set_value();
}

void
daemon::impl::shutdown()
{
    if(threads.empty())
        return;
    boost::system::error_code ec;
    signals.cancel(ec);
    reload_signals.cancel(ec);
    hup_signals.cancel(ec);
    static_cast<void>(notify.stopping("closing client transports"));
    net::post(control, [this] { trim_timer.cancel(); });
    // Close every client transport so clients reconnect elsewhere, let the disconnects reach the
    // hub, then stop the loops.
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
