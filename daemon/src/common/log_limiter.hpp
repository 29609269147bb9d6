#pragma once
// Rate-limits one kind of log line. What hostile clients cause (refused logins, refused
// connections) would otherwise let them fill the disk and bury what an operator needs to see.

#include "common/rate_limiter.hpp"

#include <cstdint>
#include <mutex>
#include <optional>

namespace tradepush {

/// Admits `burst` lines at once and `per_second` after that; counts what it drops. Thread-safe:
/// one per call site, shared by every shard.
class log_limiter {
public:
    log_limiter(double per_second, double burst) : bucket_(per_second, burst) {}

    /// Whether to log this line. When it returns a value, that is how many lines of this kind were
    /// dropped since the last one logged: say so in the line ("(N similar suppressed)").
    std::optional<std::uint64_t> admit(rate_limiter::clock::time_point now = rate_limiter::clock::now())
    {
        std::lock_guard lock(mutex_);
        if(!bucket_.try_take(now)) {
            ++suppressed_;
            return std::nullopt;
        }
        auto const n = suppressed_;
        suppressed_ = 0;
        return n;
    }

private:
    std::mutex mutex_;
    rate_limiter bucket_;
    std::uint64_t suppressed_ = 0;
};

} // namespace tradepush
