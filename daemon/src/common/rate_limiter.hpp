#pragma once
// A token bucket: client events per connection (a subscribe flood costs the flooder, not others),
// handshakes per client address, log lines per call site.

#include <algorithm>
#include <chrono>

namespace tradepush {

/// A token bucket: `burst` events at once, refilled at `per_second`. Not thread-safe.
class rate_limiter {
public:
    using clock = std::chrono::steady_clock;

    rate_limiter(double per_second, double burst) : rate_(per_second), burst_(burst), tokens_(burst) {}

    /// Takes one token; false when the bucket is empty.
    bool try_take(clock::time_point now = clock::now()) noexcept
    {
        if(last_ != clock::time_point{}) {
            auto const dt = std::chrono::duration<double>(now - last_).count();
            tokens_ = std::min(burst_, tokens_ + dt * rate_);
        }
        last_ = now;
        if(tokens_ < 1.0)
            return false;
        tokens_ -= 1.0;
        return true;
    }

private:
    double rate_;
    double burst_;
    double tokens_;
    clock::time_point last_{};
};

} // namespace tradepush
