#pragma once
// The namespaces a socketio::server serves, shared read-only by every session once sessions exist.

#include "socketio/server.hpp"

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace tradepush::socketio {

/// Options plus namespace handlers. Written by server::of() before the first session, then frozen:
/// sessions on every shard read it without locks.
struct namespace_registry {
    options opts;
    std::map<std::string, std::shared_ptr<namespace_handler>, std::less<>> handlers;
    /// Set when the first session opens; of() after that is a programming error.
    std::atomic<bool> frozen{false};

    /// The handler serving `nsp`, or nullptr for an unknown namespace.
    namespace_handler* find(std::string_view nsp) const noexcept
    {
        auto it = handlers.find(nsp);
        return it == handlers.end() ? nullptr : it->second.get();
    }
};

} // namespace tradepush::socketio
