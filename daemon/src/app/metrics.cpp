#include "app/metrics.hpp"

#include "app/prometheus.hpp"

#include <array>
#include <cstdio>
#include <string_view>

namespace tradepush::app {

namespace {

constexpr std::array<std::string_view, 5> stream_names{"balance", "positions", "pnl", "orders", "ticker"};

// One family with a single unlabelled sample.
void
single(prometheus_writer& w, std::string_view name, std::string_view type, std::string_view help, double v)
{
    w.family(name, type, help);
    w.sample(name, v);
}

// One family with a sample per plugin.
template<class F>
void
per_plugin(prometheus_writer& w, metrics_snapshot const& m, std::string_view name, std::string_view type,
    std::string_view help, F value)
{
    w.family(name, type, help);
    for(auto const& p : m.plugins)
        w.sample(name, static_cast<double>(value(p)), {{"plugin", p.name}});
}

} // namespace

std::string
render_metrics(metrics_snapshot const& m)
{
    prometheus_writer w;
    auto const& h = m.hub;
    auto const& e = m.engine;

    single(w, "tradepushd_uptime_seconds", "gauge", "Seconds since the daemon started.", m.uptime_s);
    single(w, "tradepushd_resident_memory_bytes", "gauge", "Resident set size.", static_cast<double>(m.rss_bytes));

    // Clients.
    single(w, "tradepushd_connections", "gauge", "Engine.IO sessions (connected clients).",
        static_cast<double>(e.sessions));
    single(w, "tradepushd_http_connections", "gauge", "Open HTTP connections (polling and handshakes).",
        static_cast<double>(e.http_connections));
    single(w, "tradepushd_sessions_opened_total", "counter", "Engine.IO sessions opened.",
        static_cast<double>(e.sessions_opened));
    single(w, "tradepushd_connections_refused_full_total", "counter",
        "Handshakes answered 503 because [limits] max_connections was reached.",
        static_cast<double>(e.refused_full));
    single(w, "tradepushd_unauthenticated_connections", "gauge",
        "Engine.IO sessions that have not authenticated (joined a namespace).", static_cast<double>(e.unauthenticated));
    w.family("tradepushd_connections_refused_total", "counter",
        "Connections and handshakes refused by an edge limit, by reason.");
    w.sample("tradepushd_connections_refused_total", static_cast<double>(e.refused_address),
        {{"reason", "max_sockets_per_address"}});
    w.sample("tradepushd_connections_refused_total", static_cast<double>(e.refused_handshake_rate),
        {{"reason", "handshakes_per_second_per_address"}});
    w.sample("tradepushd_connections_refused_total", static_cast<double>(e.refused_unauthenticated),
        {{"reason", "max_unauthenticated_connections"}});
    w.sample("tradepushd_connections_refused_total", static_cast<double>(e.refused_proxy),
        {{"reason", "bad_proxy_header"}});
    single(w, "tradepushd_accept_failures_total", "counter",
        "Accepts that failed (mostly EMFILE: out of descriptors).", static_cast<double>(e.accept_failures));
    single(w, "tradepushd_connections_shed_total", "counter",
        "Connections without a completed handshake closed to free descriptors.", static_cast<double>(e.shed));
    single(w, "tradepushd_unauthenticated_evicted_total", "counter",
        "Oldest unauthenticated sessions closed to make way for a new handshake (max_unauthenticated_connections).",
        static_cast<double>(e.evicted_unauthenticated));
    single(w, "tradepushd_users", "gauge", "Users with at least one attached connection.",
        static_cast<double>(h.users));
    w.family("tradepushd_subscriptions", "gauge", "Subscriptions (connection, stream) by stream type.");
    for(std::size_t i = 0; i < stream_names.size(); ++i)
        w.sample("tradepushd_subscriptions", static_cast<double>(h.subscriptions_by_stream[i]),
            {{"type", stream_names[i]}});
    single(w, "tradepushd_account_streams", "gauge", "Private (user, account, type) streams with state.",
        static_cast<double>(h.account_streams));
    single(w, "tradepushd_ticker_streams", "gauge", "Public ticker streams (one upstream each).",
        static_cast<double>(h.ticker_streams));
    single(w, "tradepushd_upstream_account_sessions", "gauge", "Upstream account sessions held open.",
        static_cast<double>(h.open_accounts));

    // Pushes.
    single(w, "tradepushd_pushes_total", "counter", "Messages handed to connections.", static_cast<double>(h.pushes));
    single(w, "tradepushd_ws_writes_total", "counter",
        "WebSocket writes carrying pushes; several pushes meeting in [server] flush_window_us share one.",
        static_cast<double>(e.ws_writes));
    single(w, "tradepushd_dedup_skips_total", "counter", "Unchanged payloads not pushed again.",
        static_cast<double>(h.dedup_skips));
    single(w, "tradepushd_conflations_total", "counter",
        "Queued pushes replaced by a newer state of the same stream (slow readers).",
        static_cast<double>(e.conflations));
    single(w, "tradepushd_slow_consumer_disconnects_total", "counter",
        "Clients disconnected for not reading past the slow-consumer timeout.",
        static_cast<double>(e.slow_consumer_closes));
    single(w, "tradepushd_stale_epoch_drops_total", "counter",
        "Upstream results dropped by the epoch fence (started before a reset).",
        static_cast<double>(h.stale_epoch_drops));
    single(w, "tradepushd_user_resets_total", "counter", "reset_user calls (disconnect, resubscribe, flush).",
        static_cast<double>(h.resets));

    // Plugins.
    single(w, "tradepushd_plugins", "gauge", "Loaded exchange plugins.", static_cast<double>(m.plugins.size()));
    single(w, "tradepushd_plugin_reloads_total", "counter", "Successful hot reloads.",
        static_cast<double>(m.plugin_totals.reloads));
    single(w, "tradepushd_plugin_reload_failures_total", "counter",
        "Refused hot reloads (the old plugin kept serving).", static_cast<double>(m.plugin_totals.reload_failures));
    single(w, "tradepushd_plugin_resident_after_unload_total", "counter",
        "Plugin images still mapped after their unload.", static_cast<double>(m.plugin_totals.resident_after_unload));
    using st = plugin_host::plugin_status;
    per_plugin(w, m, "tradepushd_plugin_calls_total", "counter", "Calls into the plugin.",
        [](st const& p) { return p.counters.plugin_calls; });
    per_plugin(w, m, "tradepushd_plugin_overruns_total", "counter", "Plugin calls over the time budget.",
        [](st const& p) { return p.counters.overruns; });
    per_plugin(w, m, "tradepushd_plugin_emits_total", "counter", "Data and status emits handed to the hub.",
        [](st const& p) { return p.counters.emits; });
    per_plugin(w, m, "tradepushd_plugin_dropped_emits_total", "counter",
        "Emits dropped (stale epoch or malformed).",
        [](st const& p) { return p.counters.stale_emits + p.counters.invalid_emits; });
    per_plugin(w, m, "tradepushd_upstream_requests_total", "counter", "Upstream HTTP requests answered with a status.",
        [](st const& p) { return p.counters.http_responses; });
    per_plugin(w, m, "tradepushd_upstream_request_errors_total", "counter",
        "Upstream HTTP requests that failed (no answer, or status >= 400).",
        [](st const& p) { return p.counters.http_failures + p.counters.http_error_status; });
    per_plugin(w, m, "tradepushd_upstream_websocket_opens_total", "counter", "Upstream WebSocket connections opened.",
        [](st const& p) { return p.counters.ws_opens; });
    per_plugin(w, m, "tradepushd_upstream_websocket_closes_total", "counter",
        "Upstream WebSocket connections ended (failed connects included).",
        [](st const& p) { return p.counters.ws_closes; });
    // The host's connections to exchanges, shared by every plugin ([plugins] upstream_connections).
    auto const& up = m.upstream;
    w.family("tradepushd_upstream_connections", "gauge",
        "Upstream HTTP connections open, serving a request (busy) or kept alive (idle).");
    w.sample("tradepushd_upstream_connections", static_cast<double>(up.http.busy), {{"state", "busy"}});
    w.sample("tradepushd_upstream_connections", static_cast<double>(up.http.idle), {{"state", "idle"}});
    single(w, "tradepushd_upstream_requests_waiting", "gauge",
        "Upstream HTTP requests waiting for a connection (the endpoint's bound is reached).",
        static_cast<double>(up.http.waiting));
    single(w, "tradepushd_upstream_websocket_connecting", "gauge",
        "Upstream WebSocket connection attempts in progress.", static_cast<double>(up.ws.connecting));
    single(w, "tradepushd_upstream_websocket_waiting", "gauge",
        "Upstream WebSocket connection attempts waiting for their turn.", static_cast<double>(up.ws.waiting));

    w.family("tradepushd_upstream_request_duration_seconds", "histogram",
        "Upstream HTTP request latency (answered requests).");
    for(auto const& p : m.plugins) {
        auto const& c = p.counters;
        std::size_t cumulative = 0;
        char le[32];
        for(std::size_t i = 0; i < plugin_host::http_latency_bounds_ms.size(); ++i) {
            cumulative += c.http_latency_buckets[i];
            std::snprintf(le, sizeof le, "%g", plugin_host::http_latency_bounds_ms[i] / 1000.0);
            w.sample("tradepushd_upstream_request_duration_seconds_bucket", static_cast<double>(cumulative),
                {{"plugin", p.name}, {"le", le}});
        }
        cumulative += c.http_latency_buckets.back();
        w.sample("tradepushd_upstream_request_duration_seconds_bucket", static_cast<double>(cumulative),
            {{"plugin", p.name}, {"le", "+Inf"}});
        w.sample("tradepushd_upstream_request_duration_seconds_sum", c.http_latency_sum_s, {{"plugin", p.name}});
        w.sample("tradepushd_upstream_request_duration_seconds_count", static_cast<double>(cumulative),
            {{"plugin", p.name}});
    }
    return w.take();
}

} // namespace tradepush::app
