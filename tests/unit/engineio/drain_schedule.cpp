// Test that header file is self-contained.
#include "engineio/drain_schedule.hpp"

#include <catch2/catch.hpp>

#include <numeric>

using namespace std::chrono_literals;
using tradepush::engineio::drain_batch;
using tradepush::engineio::drain_min_rate;
using tradepush::engineio::drain_plan;
using tradepush::engineio::drain_tick;
using tradepush::engineio::plan_drain;

namespace {

// Runs the plan the way a shard does: one batch per tick, and returns each batch's size.
std::vector<std::size_t>
batches(std::size_t sessions, drain_plan const& p)
{
    std::vector<std::size_t> out;
    std::size_t remaining = sessions;
    for(std::size_t left = p.ticks; remaining > 0; --left) {
        auto const n = drain_batch(remaining, left);
        out.push_back(n);
        remaining -= n;
    }
    return out;
}

} // namespace

TEST_CASE("no session or no window: one batch at once", "[engineio][drain]")
{
    for(auto p : {plan_drain(0, 5000ms), plan_drain(1000, 0ms), plan_drain(10, -5ms)}) {
        CHECK(p.spread == 0ms);
        CHECK(p.tick == 0ms);
        CHECK(p.ticks == 1);
    }
    CHECK(batches(1000, plan_drain(1000, 0ms)) == std::vector<std::size_t>{1000});
}

TEST_CASE("1000 sessions over 5 s: evenly in 50 ms steps, first at 0 and last at 5 s", "[engineio][drain]")
{
    auto const p = plan_drain(1000, 5000ms);
    CHECK(p.spread == 5000ms);
    CHECK(p.ticks == 101);
    CHECK(p.tick == 50ms);
    CHECK(p.tick * static_cast<long>(p.ticks - 1) == p.spread);
    auto const b = batches(1000, p);
    CHECK(b.size() == p.ticks);
    CHECK(std::accumulate(b.begin(), b.end(), std::size_t{0}) == 1000);
    // Even: no batch is more than one above another (no burst at either end).
    auto const [lo, hi] = std::minmax_element(b.begin(), b.end());
    CHECK(*hi - *lo <= 1);
}

TEST_CASE("a small drain goes at the minimum rate instead of taking the whole window", "[engineio][drain]")
{
    CHECK(drain_min_rate == 200);
    // 10 clients at 200 per second: 50 ms, not 5 s.
    auto const small = plan_drain(10, 5000ms);
    CHECK(small.spread == 50ms);
    CHECK(small.ticks == 2);
    // One client: at once (rounding up to 5 ms is less than a tick).
    auto const one = plan_drain(1, 5000ms);
    CHECK(one.spread == 5ms);
    CHECK(one.ticks == 1);
    CHECK(batches(1, one) == std::vector<std::size_t>{1});
    // Exactly at the rate: 1000 clients fill 5 s; more clients keep the 5 s window.
    CHECK(plan_drain(100000, 5000ms).spread == 5000ms);
    CHECK(plan_drain(100000, 5000ms).ticks == 101);
}

TEST_CASE("never more batches than sessions", "[engineio][drain]")
{
    auto const p = plan_drain(3, 30000ms);
    CHECK(p.ticks <= 3);
    auto const b = batches(3, p);
    CHECK(std::accumulate(b.begin(), b.end(), std::size_t{0}) == 3);
    for(auto n : b)
        CHECK(n >= 1);
}

TEST_CASE("drain_batch: an even share rounded up, the last batch takes the rest", "[engineio][drain]")
{
    CHECK(drain_batch(10, 3) == 4);
    CHECK(drain_batch(6, 2) == 3);
    CHECK(drain_batch(7, 1) == 7);
    CHECK(drain_batch(7, 0) == 7);
    CHECK(drain_batch(0, 5) == 0);
    CHECK(drain_batch(1, 100) == 1);
    CHECK(drain_tick == 50ms);
}
