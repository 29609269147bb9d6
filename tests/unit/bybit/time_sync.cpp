// Server-time offset: RTT midpoint and median of the last samples.
#include "time_sync.hpp"

#include <catch2/catch.hpp>

using namespace tradepush::bybit;

TEST_CASE("offset is server time minus the RTT midpoint")
{
    time_offset_estimator e;
    CHECK_FALSE(e.has_estimate());
    CHECK(e.offset_ms() == 0);
    // Sent at 1000, answered at 1100: the server said 3050 at the midpoint 1050 -> offset 2000.
    e.add_sample(1000, 1100, 3050);
    CHECK(e.has_estimate());
    CHECK(e.offset_ms() == 2000);
    CHECK(e.server_now(5000) == 7000);
}

TEST_CASE("the median ignores one slow answer - old samples roll out")
{
    time_offset_estimator e;
    e.add_sample(0, 10, 5 - 300);      // -300
    e.add_sample(0, 10, 5 - 310);      // -310
    e.add_sample(0, 2000, 1000 + 900); // a slow one: +900
    CHECK(e.offset_ms() == -300);
    e.add_sample(0, 10, 5 - 305);
    e.add_sample(0, 10, 5 - 295);
    e.add_sample(0, 10, 5 - 300);
    e.add_sample(0, 10, 5 - 300);
    e.add_sample(0, 10, 5 - 300);
    CHECK(e.offset_ms() == -300);
    e.clear();
    CHECK_FALSE(e.has_estimate());
}

TEST_CASE("negative server times clamp at zero - swapped local times are tolerated")
{
    time_offset_estimator e;
    e.add_sample(100, 50, 0);
    CHECK(e.offset_ms() == -100);
    CHECK(e.server_now(10) == 0);
}
