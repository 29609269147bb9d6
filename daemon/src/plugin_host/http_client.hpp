#pragma once
// The host's HTTP(S) client for plugins: Beast + OpenSSL on the caller's executor, keep-alive pool
// per (scheme, host, port), timeouts, cancellation. Never uses a proxy.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace tradepush::plugin_host {

namespace net = boost::asio;

/// Header list, in order (names as given).
using header_list = std::vector<std::pair<std::string, std::string>>;

/// A request to send; owned copies (the ABI's borrowed strings are copied before this).
struct http_request_data {
    std::string method = "GET";
    std::string url; ///< absolute http:// or https:// URL
    header_list headers;
    std::string body;
    std::chrono::milliseconds timeout{10000};
};

/// What came back. status 0 means no response; `error` then says why ("timeout", "connect: ...").
struct http_response_data {
    int status = 0;
    std::string error;
    header_list headers;
    std::string body;
    std::chrono::nanoseconds elapsed{0};
};

/// Cancels one request; after cancel() its handler is never called. Idempotent.
class cancel_handle {
public:
    virtual ~cancel_handle() = default;
    virtual void cancel() = 0;
};

/// Limits of the client.
struct http_client_options {
    std::size_t max_response_bytes = 16 * 1024 * 1024;
    std::size_t max_idle_per_endpoint = 8;
    std::chrono::seconds idle_timeout{30};
    /// Connections per endpoint, in use and idle together (0: unlimited); more requests wait in
    /// arrival order, their timeout running.
    std::size_t max_connections_per_endpoint = 32;
    /// Requests that may wait per endpoint; past it a request fails at once ("queue full").
    std::size_t max_queued_per_endpoint = 4096;
};

/// What the client holds now, over all endpoints.
struct http_client_stats {
    std::size_t busy = 0;    ///< connections serving (or opening for) a request
    std::size_t idle = 0;    ///< kept-alive connections waiting for the next request
    std::size_t waiting = 0; ///< requests waiting for a connection
};

/// HTTP(S) client bound to one executor (a strand or a single-threaded io_context): every handler
/// runs there, and every member must be called there.
class http_client {
public:
    /// `tls` must outlive the client; per-stream peer + host name verification is always enabled.
    http_client(net::any_io_executor ex, net::ssl::context& tls, http_client_options opts = {});
    /// Cancels every request still in flight (their handlers are not called) and closes idle connections.
    ~http_client();

    /// Starts `req`; `done` runs on the executor exactly once unless the handle is cancelled first.
    std::shared_ptr<cancel_handle> request(http_request_data req, std::function<void(http_response_data)> done);
    /// Idle pooled connections (for tests).
    std::size_t idle_connections() const;
    /// Connections and waiting requests now (metrics).
    http_client_stats stats() const;

    struct impl;

private:
    std::shared_ptr<impl> impl_;
};

} // namespace tradepush::plugin_host
