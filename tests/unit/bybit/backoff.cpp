// Reconnect backoff: bounds, growth, jitter range, determinism.
#include "backoff.hpp"

#include <catch2/catch.hpp>

using namespace tradepush::bybit;
using std::chrono::milliseconds;

TEST_CASE("backoff grows exponentially, jitter lowers each delay by at most the jitter fraction, max caps it")
{
    backoff_config cfg;
    cfg.initial = milliseconds(500);
    cfg.max = milliseconds(30000);
    cfg.multiplier = 2.0;
    cfg.jitter = 0.25;
    backoff b(cfg, 42);
    double expected = 500;
    for(int i = 0; i < 20; ++i) {
        auto const d = b.next().count();
        auto const cap = std::min(expected, 30000.0);
        CHECK(d <= static_cast<long long>(cap));
        CHECK(d >= static_cast<long long>(cap * 0.75) - 1);
        expected *= 2;
    }
    CHECK(b.attempts() == 20);
    b.reset();
    CHECK(b.attempts() == 0);
    CHECK(b.next() <= milliseconds(500));
}

TEST_CASE("backoff without jitter is exact - the same seed gives the same delays")
{
    backoff_config cfg;
    cfg.initial = milliseconds(100);
    cfg.max = milliseconds(1000);
    cfg.jitter = 0;
    backoff b(cfg, 1);
    CHECK(b.next() == milliseconds(100));
    CHECK(b.next() == milliseconds(200));
    CHECK(b.next() == milliseconds(400));
    CHECK(b.next() == milliseconds(800));
    CHECK(b.next() == milliseconds(1000));
    CHECK(b.next() == milliseconds(1000));

    cfg.jitter = 1.0;
    backoff x(cfg, 7), y(cfg, 7), z(cfg, 8);
    bool differs = false;
    for(int i = 0; i < 10; ++i) {
        auto const a = x.next();
        CHECK(a == y.next());
        CHECK(a >= milliseconds(1));
        differs |= a != z.next();
    }
    CHECK(differs);
}

TEST_CASE("many failures never overflow")
{
    backoff_config cfg;
    cfg.multiplier = 10;
    backoff b(cfg, 3);
    for(int i = 0; i < 1000; ++i)
        CHECK(b.next() <= cfg.max);
}

TEST_CASE("splitmix64 unit values lie in the half-open unit interval")
{
    splitmix64 r(0);
    for(int i = 0; i < 1000; ++i) {
        auto const u = r.next_unit();
        CHECK(u >= 0.0);
        CHECK(u < 1.0);
    }
}
