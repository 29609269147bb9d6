// Test that header file is self-contained.
#include "gateway/login_backoff.hpp"

#include <catch2/catch.hpp>

using namespace tradepush;
using namespace tradepush::gateway;
using namespace std::chrono_literals;
namespace ip = boost::asio::ip;

namespace {

address_key
key(char const* a)
{
    return address_key::of(ip::make_address(a));
}

login_backoff_options
small()
{
    login_backoff_options o;
    o.free_failures = 3;
    o.window = 60s;
    o.first_wait = 1000ms;
    o.max_wait = 4000ms;
    o.max_tracked = 4;
    return o;
}

} // namespace

TEST_CASE("login_backoff: free failures, then a wait that doubles up to the cap", "[gateway][backoff]")
{
    login_backoff b(small());
    auto const t = login_backoff::clock::time_point{} + 1h;
    auto const a = key("192.0.2.1");
    for(int i = 0; i < 3; ++i)
        CHECK_FALSE(b.failed(a, t));
    CHECK(b.wait_for(a, t) == 0s);
    CHECK(b.failed(a, t));
    CHECK(b.wait_for(a, t) == 1000ms);
    CHECK(b.wait_for(a, t + 400ms) == 600ms);
    CHECK(b.failed(a, t));
    CHECK(b.wait_for(a, t) == 2000ms);
    b.failed(a, t);
    b.failed(a, t);
    CHECK(b.wait_for(a, t) == 4000ms); // capped
    // Another address is not affected.
    CHECK(b.wait_for(key("192.0.2.2"), t) == 0s);
    // A quiet window later the allowance is back.
    auto const later = t + 4s + 61s;
    CHECK(b.wait_for(a, later) == 0s);
    CHECK_FALSE(b.failed(a, later));
}

TEST_CASE("login_backoff: IPv6 addresses count by /64, IPv4-mapped as IPv4", "[gateway][backoff]")
{
    login_backoff b(small());
    auto const t = login_backoff::clock::time_point{} + 1h;
    for(auto const* a : {"2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::3", "2001:db8:1:2::4"})
        b.failed(key(a), t);
    CHECK(b.wait_for(key("2001:db8:1:2::99"), t) > 0s);
    CHECK(b.wait_for(key("2001:db8:1:3::1"), t) == 0s);
    CHECK(key("::ffff:192.0.2.1") == key("192.0.2.1"));
    CHECK(key("192.0.2.1").to_string() == "192.0.2.1");
    CHECK(key("2001:db8:1:2::1").to_string() == "2001:db8:1:2::/64");
}

TEST_CASE("login_backoff: the table is bounded, idle addresses make room", "[gateway][backoff]")
{
    login_backoff b(small());
    auto const t = login_backoff::clock::time_point{} + 1h;
    for(int i = 0; i < 10; ++i)
        b.failed(key(("198.51.100." + std::to_string(i)).c_str()), t);
    CHECK(b.tracked() == 4);
    b.failed(key("203.0.113.1"), t + 120s);
    CHECK(b.tracked() == 1);
}

TEST_CASE("login_backoff: free_failures = 0 disables it", "[gateway][backoff]")
{
    auto o = small();
    o.free_failures = 0;
    login_backoff b(o);
    for(int i = 0; i < 100; ++i)
        CHECK_FALSE(b.failed(key("192.0.2.1")));
    CHECK(b.wait_for(key("192.0.2.1")) == 0s);
    CHECK(b.tracked() == 0);
}
