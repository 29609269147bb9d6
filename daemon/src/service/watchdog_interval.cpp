#include "service/watchdog_interval.hpp"

#include <boost/system/errc.hpp>

#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include <unistd.h>

namespace tradepush::service {

namespace {

/// Parses a whole decimal unsigned number; anything else (sign, spaces, suffix, overflow) fails.
template<class T>
bool
parse_whole(char const* text, T& out) noexcept
{
    auto const* end = text + std::strlen(text);
    auto const [ptr, ec] = std::from_chars(text, end, out);
    return ec == std::errc() && ptr == end && ptr != text;
}

} // namespace

boost::system::result<std::optional<std::chrono::microseconds>>
parse_watchdog_interval(char const* watchdog_usec, char const* watchdog_pid, pid_t self)
{
    auto const invalid = boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
    if(!watchdog_usec)
        return std::optional<std::chrono::microseconds>();
    std::uint64_t usec = 0;
    // Zero is as meaningless as garbage: a 0 s watchdog would have to be pinged continuously.
    if(!parse_whole(watchdog_usec, usec) || usec == 0 ||
        usec > static_cast<std::uint64_t>(std::chrono::microseconds::max().count()))
        return invalid;
    if(watchdog_pid) {
        long long pid = 0;
        if(!parse_whole(watchdog_pid, pid) || pid <= 0)
            return invalid;
        // Set for someone else: we inherited the environment of the watched process.
        if(pid != static_cast<long long>(self))
            return std::optional<std::chrono::microseconds>();
    }
    return std::optional<std::chrono::microseconds>(static_cast<std::chrono::microseconds::rep>(usec));
}

boost::system::result<std::optional<std::chrono::microseconds>>
watchdog_interval_from_environment()
{
    return parse_watchdog_interval(std::getenv("WATCHDOG_USEC"), std::getenv("WATCHDOG_PID"), ::getpid());
}

} // namespace tradepush::service
