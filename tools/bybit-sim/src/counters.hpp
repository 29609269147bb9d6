#pragma once
// What the simulator saw, so tests can assert what an adapter did (how often it re-authed, polled...).

#include <boost/json/object.hpp>

#include <cstdint>
#include <map>
#include <string>

namespace tradepush::bybit_sim {

/// Monotonic counters (reset only through the control API) plus live gauges.
struct counters {
    std::map<std::string, std::int64_t> rest_calls;        ///< by path, every request incl. failures
    std::map<std::string, std::int64_t> rest_calls_by_key; ///< by X-BAPI-API-KEY as sent
    std::map<std::string, std::int64_t> rest_errors;       ///< by retCode (or "http<status>")
    std::map<std::string, std::int64_t> ws_auth_attempts;  ///< by api key
    std::map<std::string, std::int64_t> ws_auth_ok;        ///< by api key
    std::map<std::string, std::int64_t> ws_connections;    ///< by path, accepted upgrades
    std::map<std::string, std::int64_t> ws_subscribes;     ///< by topic
    std::int64_t ws_pings = 0;
    std::int64_t ws_idle_closes = 0;
    std::int64_t ws_drops = 0;
    std::int64_t connections_refused = 0;
    std::int64_t ws_connects_refused = 0; ///< upgrades over the new-connection limit (HTTP 429)
    std::int64_t open_connections = 0; ///< gauge: TCP connections (HTTP + WS)
    std::int64_t open_ws = 0;          ///< gauge: WebSocket sessions

    /// Zeroes the monotonic counters, keeps the gauges.
    void
    reset()
    {
        auto const open = open_connections;
        auto const ws = open_ws;
        *this = counters{};
        open_connections = open;
        open_ws = ws;
    }

    /// All counters as JSON.
    boost::json::object
    to_json() const
    {
        auto map = [](std::map<std::string, std::int64_t> const& m) {
            boost::json::object o;
            for (auto const& [k, v] : m)
                o[k] = v;
            return o;
        };
        boost::json::object o;
        o["restCalls"] = map(rest_calls);
        o["restCallsByKey"] = map(rest_calls_by_key);
        o["restErrors"] = map(rest_errors);
        o["wsAuthAttempts"] = map(ws_auth_attempts);
        o["wsAuthOk"] = map(ws_auth_ok);
        o["wsConnections"] = map(ws_connections);
        o["wsSubscribes"] = map(ws_subscribes);
        o["wsPings"] = ws_pings;
        o["wsIdleCloses"] = ws_idle_closes;
        o["wsDrops"] = ws_drops;
        o["connectionsRefused"] = connections_refused;
        o["wsConnectsRefused"] = ws_connects_refused;
        o["openConnections"] = open_connections;
        o["openWs"] = open_ws;
        return o;
    }
};

} // namespace tradepush::bybit_sim
