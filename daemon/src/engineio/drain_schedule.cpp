#include "engineio/drain_schedule.hpp"

#include <algorithm>

namespace tradepush::engineio {

drain_plan
plan_drain(std::size_t sessions, std::chrono::milliseconds max_spread) noexcept
{
    drain_plan p;
    if(sessions == 0 || max_spread <= std::chrono::milliseconds::zero())
        return p;
    // sessions / rate seconds, in milliseconds, rounded up.
    auto const by_rate = std::chrono::milliseconds((sessions * 1000 + drain_min_rate - 1) / drain_min_rate);
    p.spread = std::min(max_spread, by_rate);
    // One batch per tick over the window, plus the one at t = 0; never more batches than sessions.
    auto const steps = static_cast<std::size_t>(p.spread / drain_tick);
    p.ticks = std::clamp<std::size_t>(steps + 1, 1, sessions);
    p.tick = p.ticks > 1 ? p.spread / static_cast<long>(p.ticks - 1) : std::chrono::milliseconds::zero();
    return p;
}

std::size_t
drain_batch(std::size_t remaining, std::size_t ticks_left) noexcept
{
    if(ticks_left <= 1)
        return remaining;
    return (remaining + ticks_left - 1) / ticks_left;
}

} // namespace tradepush::engineio
