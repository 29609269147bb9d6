#include "socketio/server.hpp"

#include "socketio/client.hpp"
#include "socketio/registry.hpp"

#include <boost/assert.hpp>

#include <utility>

namespace tradepush::socketio {

struct server::state : namespace_registry {};

server::server(options opts)
    : state_(std::make_shared<state>())
{
    state_->opts = opts;
}

server::~server() = default;

void
server::of(std::string nsp, std::shared_ptr<namespace_handler> handler)
{
    // Sessions on other shards read the map without locks once the first one exists.
    BOOST_ASSERT_MSG(!state_->frozen.load(std::memory_order_acquire),
        "socketio::server::of() called after sessions were opened");
    if(state_->frozen.load(std::memory_order_acquire) || !handler)
        return;
    state_->handlers.insert_or_assign(std::move(nsp), std::move(handler));
}

engineio::session_factory
server::session_factory()
{
    return [st = state_](engineio::session_ptr const& session) -> std::shared_ptr<engineio::session_handler> {
        st->frozen.store(true, std::memory_order_release);
        auto c = std::make_shared<client>(std::shared_ptr<namespace_registry const>(st), session);
        c->start();
        return c;
    };
}

} // namespace tradepush::socketio
