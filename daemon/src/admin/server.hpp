#pragma once
// The admin socket server: AF_UNIX, JSON Lines, caller levels from SO_PEERCRED/SO_PEERGROUPS, an
// audit log, deadlines and limits, on its own thread so it answers while the data plane is busy.

#include "admin/command.hpp"
#include "admin/options.hpp"

#include <boost/system/result.hpp>

#include <memory>
#include <string>
#include <thread>

namespace tradepush::admin {

namespace detail {
struct core;
}

/// The admin server. Register commands with add(), then start(); stop() (or the destructor)
/// closes every connection, joins the thread and removes the socket file.
///
/// Built in: `help` (commands available at the caller's level) and `ping`.
///
/// Threading: add/start/stop from one owner thread (not from a command handler). Handlers run on
/// the server's own thread; their responders may be called from any thread.
class server {
public:
    explicit server(options opts);
    ~server();
    server(server const&) = delete;
    server& operator=(server const&) = delete;

    /// Registers a command. Only before start(); refuses duplicates and empty names.
    boost::system::result<void, std::string> add(command c);
    /// Shorthand for add(command{name, min_level, help, handler}).
    boost::system::result<void, std::string> add(std::string name, level min_level, std::string help,
        command_handler handler);

    /// Resolves the groups, claims the path (refusing if a live daemon answers on it), binds,
    /// applies group and mode, listens and starts the thread. On error nothing is left behind and
    /// the message says what failed, e.g. "group 'tradepushd-admin' does not exist".
    boost::system::result<void, std::string> start();

    /// Stops accepting, closes every connection (in-flight requests are dropped), joins the thread
    /// and unlinks the socket file if it is still ours. Idempotent.
    void stop();

    /// The socket path.
    std::string const& path() const noexcept;

    /// Connections currently open. Thread-safe.
    std::size_t connection_count() const noexcept;

private:
    std::shared_ptr<detail::core> core_;
    std::thread thread_;
    bool started_ = false;
};

} // namespace tradepush::admin
