// Test that header file is self-contained.
#include "service/watchdog_interval.hpp"

#include "service/fake_notify_socket.hpp"

#include <catch2/catch.hpp>

#include <string>

#include <unistd.h>

using tradepush::service::parse_watchdog_interval;
using tradepush::service::watchdog_interval_from_environment;
using tradepush::test::scoped_env;
using namespace std::chrono_literals;

TEST_CASE("watchdog_interval: WATCHDOG_USEC without WATCHDOG_PID", "[service][watchdog_interval]")
{
    auto r = parse_watchdog_interval("30000000", nullptr, 1234);
    REQUIRE(r.has_value());
    REQUIRE(r->has_value());
    CHECK(**r == 30s);
}

TEST_CASE("watchdog_interval: WATCHDOG_PID must name this process", "[service][watchdog_interval]")
{
    auto mine = parse_watchdog_interval("200000", "1234", 1234);
    REQUIRE(mine.has_value());
    REQUIRE(mine->has_value());
    CHECK(**mine == 200ms);

    // Inherited from a watched parent: not ours to feed.
    auto other = parse_watchdog_interval("200000", "999", 1234);
    REQUIRE(other.has_value());
    CHECK_FALSE(other->has_value());
}

TEST_CASE("watchdog_interval: unset means off", "[service][watchdog_interval]")
{
    auto r = parse_watchdog_interval(nullptr, nullptr, 1234);
    REQUIRE(r.has_value());
    CHECK_FALSE(r->has_value());
}

TEST_CASE("watchdog_interval: malformed values are errors", "[service][watchdog_interval]")
{
    for(char const* bad : {"", "0", "-5", " 5", "5 ", "5s", "abc", "99999999999999999999999"}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_watchdog_interval(bad, nullptr, 1234).has_value());
    }
    for(char const* bad : {"", "0", "-1", "x1"}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_watchdog_interval("1000", bad, 1234).has_value());
    }
}

TEST_CASE("watchdog_interval: from the environment, left in place", "[service][watchdog_interval]")
{
    auto const pid = std::to_string(::getpid());
    scoped_env usec("WATCHDOG_USEC", "15000000");
    scoped_env wpid("WATCHDOG_PID", pid.c_str());
    auto r = watchdog_interval_from_environment();
    REQUIRE(r.has_value());
    REQUIRE(r->has_value());
    CHECK(**r == 15s);
    CHECK(std::getenv("WATCHDOG_USEC") != nullptr);
    CHECK(std::getenv("WATCHDOG_PID") != nullptr);
}
