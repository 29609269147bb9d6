#pragma once
// What /metrics shows: the daemon's figures gathered on the control strand, rendered as Prometheus
// text (DESIGN §8: connections, subscriptions by type, pushes, conflations, slow-consumer disconnects,
// upstream requests / errors / latency by plugin, reloads, resets).

#include "engineio/server.hpp"
#include "hub/hub.hpp"
#include "plugin_host/http_client.hpp"
#include "plugin_host/plugin_set.hpp"
#include "plugin_host/ws_client.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace tradepush::app {

/// One reading of every figure.
struct metrics_snapshot {
    hub::hub_stats hub;
    engineio::server_stats engine;
    std::vector<plugin_host::plugin_status> plugins;
    plugin_host::plugin_set_stats plugin_totals;
    /// The host's upstream connections, shared by every plugin.
    struct upstream_counts {
        plugin_host::http_client_stats http;
        plugin_host::ws_client_stats ws;
    } upstream;
    std::size_t rss_bytes = 0;
    double uptime_s = 0;
};

/// The Prometheus text exposition of `m` (metric names start with tradepushd_).
std::string render_metrics(metrics_snapshot const& m);

} // namespace tradepush::app
