// client_io lives in its own translation unit: only code that constructs it pulls in the
// http_client / ws_client symbols, so the instance and its tests link without them.
#include "plugin_host/instance_io.hpp"

#include <utility>

namespace tradepush::plugin_host {

std::shared_ptr<cancel_handle>
client_io::http_request(http_request_data req, std::function<void(http_response_data)> done)
{
    if(!http_)
        return nullptr;
    return http_->request(std::move(req), std::move(done));
}

std::shared_ptr<ws_connection>
client_io::ws_open(ws_open_data req, std::function<void(ws_event_kind, std::string_view)> on_event)
{
    if(!ws_)
        return nullptr;
    return ws_->open(std::move(req), std::move(on_event));
}

} // namespace tradepush::plugin_host
