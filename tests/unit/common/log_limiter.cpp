// Test that header file is self-contained.
#include "common/log_limiter.hpp"

#include <catch2/catch.hpp>

using namespace tradepush;
using namespace std::chrono_literals;

TEST_CASE("log_limiter admits the burst, then counts what it drops", "[common][log]")
{
    log_limiter l(1, 3);
    auto const t = rate_limiter::clock::time_point{} + 1h;
    for(int i = 0; i < 3; ++i)
        CHECK(l.admit(t) == std::optional<std::uint64_t>(0));
    for(int i = 0; i < 1000; ++i)
        CHECK_FALSE(l.admit(t));
    // The next admitted line reports the 1000 dropped ones, once.
    CHECK(l.admit(t + 1s) == std::optional<std::uint64_t>(1000));
    CHECK(l.admit(t + 2s) == std::optional<std::uint64_t>(0));
}
