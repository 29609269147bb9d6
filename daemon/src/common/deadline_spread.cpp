#include "common/deadline_spread.hpp"

#include <cstdint>
#include <random>

namespace tradepush {

namespace {

std::minstd_rand&
thread_generator() noexcept
{
    // Seeded from the clock and the thread's own address: distinct per thread and per run, without
    // std::random_device (which may throw, and this runs in handlers).
    thread_local std::minstd_rand gen([] {
        static thread_local char anchor;
        auto const t = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
        auto const a = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(&anchor));
        return static_cast<std::minstd_rand::result_type>((t ^ (a << 7) ^ (a >> 11)) % 2147483646u + 1u);
    }());
    return gen;
}

} // namespace

std::chrono::milliseconds
spread_deadline(std::chrono::milliseconds d) noexcept
{
    auto const span = d.count() / 8;
    if(span <= 0)
        return d;
    // Modulo bias over a span of at most 2^63/8 ms is irrelevant for spreading closes.
    auto const draw = static_cast<std::int64_t>(thread_generator()() % static_cast<std::uint64_t>(span + 1));
    return std::chrono::milliseconds{d.count() - draw};
}

} // namespace tradepush
