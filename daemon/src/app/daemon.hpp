#pragma once
// tradepushd assembled: worker shards, the control strand, feed, hub, gateway and listeners.

#include "config/config.hpp"

#include <boost/system/result.hpp>

#include <memory>
#include <string>

namespace tradepush::app {

/// The running daemon. Construct with a validated config, start(), then run() until a signal.
class daemon {
public:
    explicit daemon(config::daemon_config cfg);
    ~daemon();
    daemon(daemon const&) = delete;
    daemon& operator=(daemon const&) = delete;

    /// Builds every component, binds every listener and starts the threads. On error nothing keeps
    /// running and the message says what failed (e.g. "listen 127.0.0.1:8080: Address already in use").
    boost::system::result<void, std::string> start();
    /// Blocks until SIGINT or SIGTERM (or the admin `drain`), then drains: stops accepting, closes the
    /// clients spread over [server] drain_spread_ms within drain_timeout_ms (a second signal closes the
    /// rest at once), stops the threads and unloads the plugins.
    void run();
    /// Asks run() to drain and return, as SIGTERM does (thread-safe).
    void stop();
    /// The first listener's bound port (useful with port 0).
    unsigned short port() const noexcept;

    struct impl;

private:
    std::unique_ptr<impl> impl_;
};

} // namespace tradepush::app
