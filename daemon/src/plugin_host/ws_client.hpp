#pragma once
// The host's WebSocket client for plugins: ws:// and wss:// with Beast + OpenSSL on the caller's executor.

#include "plugin_host/http_client.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ssl/context.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace tradepush::plugin_host {

/// Events of one WebSocket connection, in order: open, then messages, then exactly one closed
/// (also when connecting fails), unless the connection is cancelled first.
enum class ws_event_kind { open, text, binary, closed };

/// What to connect to.
struct ws_open_data {
    std::string url; ///< ws:// or wss://
    header_list headers;
    std::chrono::milliseconds timeout{10000};
    std::size_t max_message_bytes = 16 * 1024 * 1024;
};

/// One WebSocket connection. Call members on the client's executor.
class ws_connection {
public:
    virtual ~ws_connection() = default;
    /// Queues a message; false when not open.
    virtual bool send(std::string payload, bool binary) = 0;
    /// Closes without any further event (the plugin cancelled it). Idempotent.
    virtual void cancel() = 0;
};

/// Limits of the WebSocket client.
struct ws_client_options {
    /// Connection attempts in progress per endpoint (resolve through upgrade; 0: unlimited); more wait
    /// in arrival order, their connect timeout running. Open sockets do not count.
    std::size_t max_connects_per_endpoint = 32;
    /// Attempts that may wait per endpoint; past it an open fails at once ("queue full").
    std::size_t max_queued_per_endpoint = 4096;
};

/// Connection attempts now, over all endpoints.
struct ws_client_stats {
    std::size_t connecting = 0; ///< attempts in progress
    std::size_t waiting = 0;    ///< attempts waiting for their turn
};

/// Opens WebSockets on one executor; every event handler runs there.
class ws_client {
public:
    /// `tls` must outlive the client; per-stream peer + host name verification is always enabled.
    ws_client(net::any_io_executor ex, net::ssl::context& tls, ws_client_options opts = {});
    /// Cancels every connection still alive: no further events.
    ~ws_client();

    /// Connects; `on_event(kind, data)` reports open, each message and the final close (data: reason).
    std::shared_ptr<ws_connection> open(ws_open_data req, std::function<void(ws_event_kind, std::string_view)> on_event);
    /// Connection attempts now (metrics).
    ws_client_stats stats() const;

    struct impl;

private:
    std::shared_ptr<impl> impl_;
};

} // namespace tradepush::plugin_host
