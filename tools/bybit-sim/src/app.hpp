#pragma once
// The simulator as a whole minus the sockets: engine, clock, faults, counters, limiters and the set
// of live WebSocket endpoints. The Beast server feeds it requests and frames; tests can too.

#include "clock.hpp"
#include "counters.hpp"
#include "engine.hpp"
#include "faults.hpp"
#include "rate_limit.hpp"

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace tradepush::bybit_sim {

namespace http = boost::beast::http;

/// Start-up settings (CLI).
struct sim_config {
    std::uint64_t seed = 1;
    int tick_ms = 500;                          ///< 0: prices move only on /sim/tick
    int ws_idle_timeout_s = 600;                ///< no ping and no data for this long: cut (docs: 10 min)
    std::size_t max_connections = 512;          ///< TCP connections (HTTP + WS)
    std::size_t max_request_bytes = 64 * 1024;  ///< HTTP body
    std::size_t max_header_bytes = 16 * 1024;   ///< HTTP header block
    std::size_t max_ws_message_bytes = 64 * 1024;
    std::size_t ws_send_queue_limit = 4096;     ///< frames; a client this far behind is dropped
};

/// A reply before it becomes an HTTP response.
struct http_reply {
    unsigned status = 200;
    std::string content_type = "application/json";
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::chrono::milliseconds delay{0}; ///< "slow responses" fault
};

class ws_conn;

/// A live WebSocket connection as the app sees it (implemented by the server's session).
class ws_endpoint {
public:
    virtual ~ws_endpoint() = default;
    /// Protocol state of the connection.
    virtual ws_conn&
    conn() = 0;
    /// Queues a text frame.
    virtual void
    send(std::string frame) = 0;
    /// Closes the connection: a clean close frame, or an abrupt TCP reset.
    virtual void
    drop(bool abrupt) = 0;
};

//------------------------------------------------------------------------------

/// Everything the simulator knows. Single-threaded: lives on the server's io_context thread.
class app {
public:
    explicit app(sim_config cfg);
    ~app();
    app(app const&) = delete;
    app& operator=(app const&) = delete;

    sim_config const&
    config() const
    {
        return config_;
    }
    sim_clock&
    clock()
    {
        return clock_;
    }
    engine&
    eng()
    {
        return engine_;
    }
    fault_state&
    faults()
    {
        return faults_;
    }
    counters&
    stats()
    {
        return counters_;
    }
    rate_limiter&
    api_limiter()
    {
        return api_limiter_;
    }
    rate_limiter&
    ip_limiter()
    {
        return ip_limiter_;
    }
    /// New WebSocket connections per address (Bybit: 500 per 5 min per domain; one domain here).
    rate_limiter&
    ws_connect_limiter()
    {
        return ws_connect_limiter_;
    }

    /// Answers a REST or control request. `remote` is the peer address (IP limit bucket).
    http_reply
    handle_http(http::request<http::string_body> const& req, std::string const& remote);

    /// One market step: move prices, push tickers, deliver the resulting private events.
    void
    tick();

    /// Delivers queued engine events to the private WebSocket connections of their users.
    void
    flush_events();

    /// Closes matching WebSocket connections ("all", "private", "linear", "spot"; user "" = any).
    /// Returns how many were dropped.
    int
    drop_ws(std::string const& channel, std::string const& user, bool abrupt);

    /// A new connection id in Bybit's style.
    std::string
    make_conn_id();

    /// Registry of live WebSocket connections.
    void
    add_endpoint(ws_endpoint* ep)
    {
        endpoints_.insert(ep);
    }
    void
    remove_endpoint(ws_endpoint* ep)
    {
        endpoints_.erase(ep);
    }
    std::set<ws_endpoint*> const&
    endpoints() const
    {
        return endpoints_;
    }

private:
    sim_config config_;
    sim_clock clock_;
    engine engine_;
    fault_state faults_;
    counters counters_;
    rate_limiter api_limiter_;
    rate_limiter ip_limiter_;
    rate_limiter ws_connect_limiter_;
    std::set<ws_endpoint*> endpoints_;
    std::uint64_t conn_seq_ = 0;
};

/// REST routes (/v5/...). Defined in rest_api.cpp.
http_reply
handle_rest(app& a, http::request<http::string_body> const& req, std::string const& remote);

/// Control routes (/sim/...). Defined in control_api.cpp.
http_reply
handle_control(app& a, http::request<http::string_body> const& req);

/// Installs the demo market and the demo user (key `demo-key` / secret `demo-secret`).
void
install_demo_preset(app& a);

} // namespace tradepush::bybit_sim
