#pragma once
// The systemd watchdog fed by the event loops themselves (operations.md §1.2).
//
// A side thread that pings unconditionally proves nothing but that the side thread runs. Instead each
// io_context runs a heartbeat timer that stamps a per-loop atomic, and a check on the first loop sends
// WATCHDOG=1 at half the interval only while every stamp is recent. One stuck loop (a blocking call,
// a deadlock, an endless handler) stops the pings, and systemd kills and restarts the daemon after
// WatchdogSec.

#include "service/notifier.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

namespace tradepush::service {

/// Timing of the watchdog, derived from the interval systemd announced.
struct watchdog_timing {
    /// WatchdogSec as announced in WATCHDOG_USEC. Zero disables the watchdog.
    std::chrono::microseconds interval{0};
    /// How often each loop stamps its heartbeat, and how often the first loop checks. Default interval/8.
    std::chrono::microseconds heartbeat{0};
    /// A stamp older than this means the loop is stuck. Default interval/3 (10 s for WatchdogSec=30s).
    std::chrono::microseconds max_age{0};
    /// WATCHDOG=1 is sent at most this often. Default interval/2, as sd_watchdog_enabled(3) advises.
    std::chrono::microseconds ping_every{0};

    /// The defaults above for `interval`.
    static watchdog_timing for_interval(std::chrono::microseconds interval) noexcept;
};

/// Sends WATCHDOG=1 while every given event loop keeps turning.
///
/// `loops[0]` hosts the check and the pings: pass the control loop first, then the shard loops. The
/// pending handlers own the timers (Beast-style), so the watchdog may be destroyed before or after the
/// loops, and destroying an io_context with a timer still armed is fine. start() and stop() may be
/// called from any thread, one at a time.
class watchdog {
public:
    /// A watchdog over `loops` (non-empty, no nullptr: std::invalid_argument) that pings through
    /// `notify` (copied). A zero `timing.interval` makes start() a no-op. Throws std::invalid_argument
    /// on non-positive periods or a max_age not above the heartbeat period.
    watchdog(std::vector<boost::asio::io_context*> loops, notifier notify, watchdog_timing timing);

    /// Shorthand for watchdog_timing::for_interval(interval).
    watchdog(std::vector<boost::asio::io_context*> loops, notifier notify, std::chrono::microseconds interval);

    /// Calls stop().
    ~watchdog();

    watchdog(watchdog const&) = delete;
    watchdog& operator=(watchdog const&) = delete;

    /// Arms the heartbeat timers and the check (posted to the loops: they may or may not run yet). No
    /// ping is sent until every loop has stamped at least once. Call at most once.
    void start();

    /// Stops pinging at once. The timers end at their next expiry (within one heartbeat), so a loop that
    /// runs until it is out of work returns at most one heartbeat later. Idempotent.
    void stop();

    /// True between start() (with a non-zero interval and an enabled notifier) and stop().
    bool active() const noexcept;

    /// The timing in use.
    watchdog_timing const& timing() const noexcept { return timing_; }

    /// WATCHDOG=1 messages sent successfully so far.
    std::uint64_t pings() const noexcept;

    /// Checks that found at least one loop stale and withheld the ping.
    std::uint64_t stale_checks() const noexcept;

    struct state;

private:
    std::vector<boost::asio::io_context*> loops_;
    notifier notify_;
    watchdog_timing timing_;
    std::shared_ptr<state> state_;
};

} // namespace tradepush::service
