#pragma once
// Internal to the app module: daemon::impl, shared by daemon.cpp (start, reloads, drain, stop) and
// admin_commands.cpp (the admin socket's commands). Not a public header.

#include "app/account_book.hpp"
#include "app/daemon.hpp"
#include "admin/server.hpp"
#include "auth/jwt_verifier.hpp"
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
#include "socketio/server.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>
#include <boost/system/result.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace tradepush::app {

namespace net = boost::asio;
namespace json = boost::json;

struct daemon::impl {
    config::daemon_config cfg;

    // io_contexts first: they are destroyed last, after everything that posts to them.
    net::io_context control{1};
    std::vector<std::unique_ptr<net::io_context>> shard_contexts;
    std::vector<std::thread> threads;
    std::optional<net::executor_work_guard<net::io_context::executor_type>> control_work;
    std::vector<net::executor_work_guard<net::io_context::executor_type>> shard_work;

    std::vector<std::unique_ptr<gateway::shard_registry>> registries;
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
    std::uint64_t opened_at_last_trim = 0;
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

} // namespace tradepush::app
