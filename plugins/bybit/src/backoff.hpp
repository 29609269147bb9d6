#pragma once
// Exponential reconnect backoff with jitter. Seedable and free of global state, so tests are
// deterministic and two instances never share a random stream.

#include "config.hpp"

#include <chrono>
#include <cstdint>

namespace tradepush::bybit {

/// splitmix64: a small, good, deterministic generator for jitter (not for secrets).
class splitmix64 {
public:
    /// Starts the sequence at `seed`.
    explicit splitmix64(std::uint64_t seed) noexcept : state_(seed) {}
    /// The next 64 random bits.
    std::uint64_t next() noexcept;
    /// A uniform double in [0, 1).
    double next_unit() noexcept;

private:
    std::uint64_t state_;
};

/// Delays for consecutive reconnect attempts: initial * multiplier^n capped at max, each reduced by a
/// random fraction up to `jitter` (so the result lies in [d * (1 - jitter), d]). Reset after success.
class backoff {
public:
    /// A backoff with the given bounds and jitter seed.
    backoff(backoff_config cfg, std::uint64_t seed) noexcept : cfg_(cfg), rng_(seed) {}

    /// The delay before the next attempt; advances the attempt count.
    std::chrono::milliseconds next() noexcept;
    /// Back to the initial delay (after a successful connection).
    void reset() noexcept { attempt_ = 0; }
    /// Attempts made since the last reset.
    unsigned attempts() const noexcept { return attempt_; }

private:
    backoff_config cfg_;
    splitmix64 rng_;
    unsigned attempt_ = 0;
};

} // namespace tradepush::bybit
