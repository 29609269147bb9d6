#pragma once
// Runs a command handler on the executor that owns the state it touches (the control strand, a
// shard), instead of on the admin thread.

#include "admin/command.hpp"

#include <boost/asio/post.hpp>

#include <utility>

namespace tradepush::admin {

/// Wraps `f` (same signature as command_handler) so the admin thread only posts it to `ex`.
/// `f` then runs where the daemon's state lives and answers through its responder as usual; if
/// that executor is wedged, the server's deadline still answers `timeout`.
///
/// Example: `srv.add("user flush", level::operate, "...", admin::post_to(control.get_executor(), h));`
template<class Executor, class Handler>
command_handler
post_to(Executor ex, Handler f)
{
    return [ex = std::move(ex), f = std::move(f)](boost::json::object args, caller const& who, responder reply) {
        boost::asio::post(ex, [f, args = std::move(args), who, reply = std::move(reply)]() mutable {
            f(std::move(args), who, std::move(reply));
        });
    };
}

} // namespace tradepush::admin
