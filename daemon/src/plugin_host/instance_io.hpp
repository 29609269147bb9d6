#pragma once
// The I/O an instance needs from the host, as a narrow interface: the real one forwards to
// http_client / ws_client (client_io), tests plug in a fake that completes requests by hand.
// Keeping the instance off the concrete clients also keeps it linkable without their sources.

#include "plugin_host/http_client.hpp"
#include "plugin_host/ws_client.hpp"

#include <functional>
#include <memory>
#include <string_view>

namespace tradepush::plugin_host {

/// Starts HTTP requests and WebSockets for plugin instances. Called on the control executor;
/// handlers run there too and never after the returned handle was cancelled.
class instance_io {
public:
    virtual ~instance_io() = default;
    /// Starts a request; nullptr when refused (no handler then).
    virtual std::shared_ptr<cancel_handle> http_request(http_request_data req,
        std::function<void(http_response_data)> done) = 0;
    /// Opens a WebSocket; nullptr when refused (no event then).
    virtual std::shared_ptr<ws_connection> ws_open(ws_open_data req,
        std::function<void(ws_event_kind, std::string_view)> on_event) = 0;
};

/// The production instance_io over the host's clients; either may be null (its requests are refused).
class client_io : public instance_io {
public:
    client_io(http_client* http, ws_client* ws) noexcept : http_(http), ws_(ws) {}

    std::shared_ptr<cancel_handle> http_request(http_request_data req,
        std::function<void(http_response_data)> done) override;
    std::shared_ptr<ws_connection> ws_open(ws_open_data req,
        std::function<void(ws_event_kind, std::string_view)> on_event) override;

private:
    http_client* http_;
    ws_client* ws_;
};

} // namespace tradepush::plugin_host
