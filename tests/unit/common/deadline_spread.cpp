// Test that header file is self-contained.
#include "common/deadline_spread.hpp"

#include <catch2/catch.hpp>

#include <set>

using tradepush::spread_deadline;
using namespace std::chrono_literals;

TEST_CASE("spread_deadline stays within the last eighth of the deadline and varies", "[common][deadline]")
{
    std::set<std::chrono::milliseconds::rep> seen;
    for(int i = 0; i < 1000; ++i) {
        auto const d = spread_deadline(8000ms);
        CHECK(d <= 8000ms);
        CHECK(d >= 7000ms);
        seen.insert(d.count());
    }
    // 1000 draws over 1001 values: a constant (or a handful) would mean no spread at all.
    CHECK(seen.size() > 300);
}

TEST_CASE("spread_deadline leaves deadlines too short to spread as they are", "[common][deadline]")
{
    CHECK(spread_deadline(0ms) == 0ms);
    CHECK(spread_deadline(7ms) == 7ms);
    CHECK(spread_deadline(-5ms) == -5ms);
    auto const d = spread_deadline(8ms);
    CHECK((d == 8ms || d == 7ms));
}
