#pragma once
// What the daemon plugs into the admin server: a command's handler, the caller it receives and
// the responder it completes.

#include "admin/level.hpp"

#include <boost/assert/source_location.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace tradepush::admin {

/// A failed command: a wire code (admin::errc, or a command-specific one) and a sentence for the
/// operator that names what failed.
struct command_error {
    std::string code;
    std::string message;
};

/// Found by ADL from command_result::value(): throws std::runtime_error(message).
[[noreturn]] void throw_exception_from_error(command_error const& e, boost::source_location const& loc);

/// The outcome of a command: any JSON value on success. Arrays of objects show as tables in
/// tradepushctl, objects as `key: value` lines.
using command_result = boost::system::result<boost::json::value, command_error>;

/// Who sent a request.
struct caller {
    peer_credentials peer;
    admin::level level = level::read;
    /// Per-server connection number, for log correlation.
    std::uint64_t connection = 0;
};

/// Completes one request. Copyable and thread-safe: call it from any thread, at any time. The
/// first call wins; later calls, and calls after the deadline answered `timeout`, are ignored.
/// Dropping every copy without calling leaves the request to the deadline.
class responder {
public:
    /// Delivers the result to `deliver` (at most once). The server builds these; tests of a
    /// daemon handler can build one around a lambda.
    explicit responder(std::function<void(command_result)> deliver);

    /// Completes with `r`.
    void operator()(command_result r) const;
    /// Completes with success and `result` (null when the command has nothing to say).
    void ok(boost::json::value result = nullptr) const;
    /// Completes with an error.
    void fail(std::string code, std::string message) const;

private:
    struct state {
        std::atomic<bool> used{false};
        std::function<void(command_result)> deliver;
    };
    std::shared_ptr<state> state_;
};

/// Runs a command on the admin thread. It must not block: post the work to where the state lives
/// (control strand, shards) and call `reply` from there. Throwing is answered with `internal`.
/// `args` is the request's args object (empty when absent), owned by the handler.
using command_handler = std::function<void(boost::json::object args, caller const& who, responder reply)>;

/// One registered command.
struct command {
    /// Words separated by single spaces, e.g. "user flush".
    std::string name;
    /// Callers below this level get `forbidden`. Anything above read is audit-logged.
    level min_level = level::read;
    /// One line for `help`.
    std::string help;
    command_handler handler;
    /// The arguments as tradepushctl takes them, e.g. "<user> [--exchange X]" (for `help`).
    std::string usage = {};
    /// Overrides the server's command deadline (e.g. a long reload); zero keeps the default.
    std::chrono::milliseconds deadline{0};
};

} // namespace tradepush::admin
