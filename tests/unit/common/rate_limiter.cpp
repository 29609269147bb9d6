// Test that header file is self-contained.
#include "common/rate_limiter.hpp"

#include <catch2/catch.hpp>

using tradepush::rate_limiter;
using namespace std::chrono_literals;

TEST_CASE("rate_limiter allows the burst, then the sustained rate", "[common][rate]")
{
    rate_limiter r(20, 50);
    auto t = rate_limiter::clock::time_point{} + 1h;
    int ok = 0;
    for(int i = 0; i < 100; ++i)
        ok += r.try_take(t);
    CHECK(ok == 50);
    // 20 per second refill: after 500 ms, 10 more.
    t += 500ms;
    ok = 0;
    for(int i = 0; i < 100; ++i)
        ok += r.try_take(t);
    CHECK(ok == 10);
    // Never more than the burst, however long the pause.
    t += 1h;
    ok = 0;
    for(int i = 0; i < 100; ++i)
        ok += r.try_take(t);
    CHECK(ok == 50);
}
