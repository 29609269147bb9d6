#pragma once
// sd_watchdog_enabled(3) without libsystemd: WATCHDOG_USEC / WATCHDOG_PID from the environment.

#include <boost/system/result.hpp>

#include <chrono>
#include <optional>

#include <sys/types.h>

namespace tradepush::service {

/// The watchdog interval systemd expects a WATCHDOG=1 within (WatchdogSec=), or nullopt when the
/// watchdog is off for this process: WATCHDOG_USEC unset, or WATCHDOG_PID set to another pid (the
/// variables were inherited from a parent that systemd watches). Fails on malformed values
/// (`invalid_argument`). The environment is left unchanged.
boost::system::result<std::optional<std::chrono::microseconds>>
watchdog_interval_from_environment();

/// Same, from explicit values (nullptr = unset) and the pid to compare WATCHDOG_PID against.
boost::system::result<std::optional<std::chrono::microseconds>>
parse_watchdog_interval(char const* watchdog_usec, char const* watchdog_pid, pid_t self);

} // namespace tradepush::service
