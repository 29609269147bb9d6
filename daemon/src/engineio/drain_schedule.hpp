#pragma once
// When each session of a drain closes: spread evenly over a window, in small batches per tick, so
// that clients reconnect elsewhere at a steady rate instead of all at once (operations.md §5.2).

#include <chrono>
#include <cstddef>

namespace tradepush::engineio {

/// The timing of one shard's drain.
struct drain_plan {
    /// From the first batch to the last.
    std::chrono::milliseconds spread{0};
    /// Time between two batches.
    std::chrono::milliseconds tick{0};
    /// Number of batches (at least 1); the first one goes at once, the last at `spread`.
    std::size_t ticks = 1;
};

/// Batches are at least this far apart: finer steps buy no smoothness worth a timer wake-up.
inline constexpr std::chrono::milliseconds drain_tick{50};
/// A drain never closes slower than this many sessions per second: a few clients gain nothing from
/// being spread over the whole window (there is no herd to avoid) and would only delay the stop.
inline constexpr std::size_t drain_min_rate = 200;

/// Plans the drain of `sessions` sessions with at most `max_spread` between the first and the last
/// close: the window shrinks to sessions / drain_min_rate when that is shorter, and is cut into
/// drain_tick steps. No session or a zero window gives one batch at once.
drain_plan plan_drain(std::size_t sessions, std::chrono::milliseconds max_spread) noexcept;

/// How many of the `remaining` sessions to close now when `ticks_left` batches (this one included)
/// remain: an even share, rounded up so that the last batch takes whatever is left.
std::size_t drain_batch(std::size_t remaining, std::size_t ticks_left) noexcept;

} // namespace tradepush::engineio
