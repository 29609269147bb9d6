#include "backoff.hpp"

#include <algorithm>
#include <cmath>

namespace tradepush::bybit {

std::uint64_t
splitmix64::next() noexcept
{
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

double
splitmix64::next_unit() noexcept
{
    // 53 random bits: every double in [0, 1) with that spacing is equally likely.
    return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

std::chrono::milliseconds
backoff::next() noexcept
{
    auto const initial = static_cast<double>(cfg_.initial.count());
    auto const cap = static_cast<double>(cfg_.max.count());
    // pow of a capped exponent: no overflow however many attempts fail.
    auto const exponent = static_cast<double>(std::min(attempt_, 64u));
    auto const base = std::min(cap, initial * std::pow(cfg_.multiplier, exponent));
    ++attempt_;
    auto const jittered = base * (1.0 - cfg_.jitter * rng_.next_unit());
    return std::chrono::milliseconds{std::max<std::int64_t>(1, static_cast<std::int64_t>(jittered))};
}

} // namespace tradepush::bybit
