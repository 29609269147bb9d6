#pragma once
// sd_notify(3) without libsystemd: one AF_UNIX datagram per message to the socket in $NOTIFY_SOCKET.
//
// The wire format is newline-separated KEY=VALUE pairs (operations.md §1.1). systemd learns the sender
// pid from SCM_CREDENTIALS, which the kernel attaches by itself when the receiver set SO_PASSCRED, so we
// never need to build the control message: every thread of this process reports the main pid (tgid),
// which is what `NotifyAccess=main` accepts.

#include <boost/system/result.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace tradepush::service {

namespace detail {
struct notify_socket;
} // namespace detail

/// A client of the service manager's notification socket.
///
/// Disabled (every call a successful no-op) when the daemon does not run under systemd, i.e. when
/// NOTIFY_SOCKET is unset or empty. The environment is never modified: children we might spawn and
/// code that reads NOTIFY_SOCKET later see it unchanged.
///
/// Copies share one datagram socket. Thread-safe: any thread may send, sends never block (a full
/// notification queue returns `would_block` instead of stalling an event loop).
class notifier {
public:
    /// A disabled notifier.
    notifier() = default;

    /// A notifier for $NOTIFY_SOCKET (disabled when unset or empty). Fails when the variable holds
    /// something other than "/path" or "@abstract", or when no socket can be created.
    static boost::system::result<notifier> from_environment();

    /// A notifier for an explicit address: "/absolute/path", "@abstract-name", or "" (disabled).
    static boost::system::result<notifier> for_address(std::string_view address);

    /// True when messages actually go somewhere.
    bool enabled() const noexcept { return socket_ != nullptr; }

    /// The address as given ("/run/systemd/notify", "@name"), empty when disabled.
    std::string const& address() const noexcept;

    /// Sends `message` verbatim as one datagram. Success without sending when disabled.
    boost::system::result<void> send(std::string_view message) const noexcept;

    /// `READY=1`, plus `STATUS=` when `status` is not empty. Startup (after bind + plugin load) or the end
    /// of a reload, successful or not.
    boost::system::result<void> ready(std::string_view status = {}) const;

    /// `STATUS=<text>`: free-form text shown by `systemctl status`.
    boost::system::result<void> status(std::string_view text) const;

    /// `WATCHDOG=1`: keep-alive. Normally sent by service::watchdog, not by hand.
    boost::system::result<void> watchdog() const;

    /// `WATCHDOG=trigger`: ask systemd to act as if the watchdog had expired (self-detected wedge).
    boost::system::result<void> watchdog_trigger() const;

    /// `RELOADING=1` + `MONOTONIC_USEC=<now>` (+ `STATUS=`). Must be followed by ready() once the reload
    /// finished, whether it succeeded or not.
    boost::system::result<void> reloading(std::string_view status = {}) const;

    /// `STOPPING=1` (+ `STATUS=`): the first thing to send on SIGTERM.
    boost::system::result<void> stopping(std::string_view status = {}) const;

    /// `EXTEND_TIMEOUT_USEC=<usec>`: the current start/stop/reload may take `by` longer from now.
    boost::system::result<void> extend_timeout(std::chrono::microseconds by) const;

private:
    explicit notifier(std::shared_ptr<detail::notify_socket const> socket) noexcept;

    std::shared_ptr<detail::notify_socket const> socket_;
};

/// CLOCK_MONOTONIC in microseconds: the clock systemd expects in MONOTONIC_USEC=.
std::uint64_t
monotonic_usec() noexcept;

} // namespace tradepush::service
