#pragma once
// The simulator's notion of "server time": the host clock plus a configurable skew, or a frozen
// instant. Skew exercises the adapter's offset logic (spec §6 item 3); freezing makes window-edge
// tests over real sockets exact.

#include <chrono>
#include <cstdint>
#include <optional>

namespace tradepush::bybit_sim {

/// Server clock in Unix milliseconds / nanoseconds. Not thread-safe: lives on the server's thread.
class sim_clock {
public:
    /// Server time in ms: frozen value, or host time + skew.
    std::int64_t
    now_ms() const
    {
        return now_ns() / 1'000'000;
    }

    /// Server time in ns (`timeNano` of /v5/market/time is consistent with `time`).
    std::int64_t
    now_ns() const
    {
        if (frozen_ms_)
            return *frozen_ms_ * 1'000'000;
        auto host = std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::chrono::system_clock::now().time_since_epoch())
                        .count();
        return host + skew_ms_ * 1'000'000;
    }

    /// Offsets server time from the host clock (positive: server ahead).
    void
    set_skew_ms(std::int64_t skew)
    {
        skew_ms_ = skew;
    }
    std::int64_t
    skew_ms() const
    {
        return skew_ms_;
    }

    /// Freezes server time at `ms`; nullopt resumes the host clock (+ skew).
    void
    freeze(std::optional<std::int64_t> ms)
    {
        frozen_ms_ = ms;
    }
    std::optional<std::int64_t>
    frozen_ms() const
    {
        return frozen_ms_;
    }

    /// Moves a frozen clock forward (tests of expiry and windows).
    void
    advance_ms(std::int64_t ms)
    {
        if (frozen_ms_)
            *frozen_ms_ += ms;
        else
            skew_ms_ += ms;
    }

private:
    std::int64_t skew_ms_ = 0;
    std::optional<std::int64_t> frozen_ms_;
};

} // namespace tradepush::bybit_sim
