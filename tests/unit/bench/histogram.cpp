// The load generator's latency histogram: bucket layout and percentiles.

#include "loadgen/histogram.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>

using tradepush::bench::histogram;

TEST_CASE("histogram: small values have exact buckets, larger ones keep 7 significant bits")
{
    for(std::uint64_t v = 0; v < 256; ++v)
        CHECK(histogram::upper_edge(histogram::index_of(v)) == v);
    // 1000 = 0b1111101000: the bucket covers [1000, 1003].
    CHECK(histogram::upper_edge(histogram::index_of(1000)) == 1003);
    CHECK(histogram::index_of(1000) == histogram::index_of(1003));
    CHECK(histogram::index_of(1004) == histogram::index_of(1000) + 1);
    // Every bucket's upper edge is within 1/128 of any value in it, and indexes grow with values.
    std::size_t last = 0;
    for(std::uint64_t v = 1; v < (std::uint64_t{1} << 36); v = v * 3 / 2 + 1)
    {
        auto const i = histogram::index_of(v);
        CHECK(i >= last);
        last = i;
        auto const edge = histogram::upper_edge(i);
        CHECK(edge >= v);
        CHECK(static_cast<double>(edge - v) <= static_cast<double>(v) / 128.0);
    }
    // Huge values land in the last bucket instead of out of bounds.
    CHECK(histogram::index_of(~std::uint64_t{0}) == histogram::bucket_count - 1);
}

TEST_CASE("histogram: percentiles of 1..10000")
{
    histogram h;
    for(int v = 1; v <= 10000; ++v)
        h.record(v);
    CHECK(h.count() == 10000);
    CHECK(h.min() == 1);
    CHECK(h.max() == 10000);
    CHECK(h.mean() == Approx(5000.5));
    auto near = [](std::int64_t got, double want) { return std::abs(static_cast<double>(got) - want) <= want / 128.0 + 1; };
    CHECK(near(h.percentile(0.5), 5000));
    CHECK(near(h.percentile(0.9), 9000));
    CHECK(near(h.percentile(0.99), 9900));
    CHECK(near(h.percentile(0.999), 9990));
    CHECK(h.percentile(1.0) == 10000);
}

TEST_CASE("histogram: empty, negative values, merge")
{
    histogram a;
    CHECK(a.percentile(0.99) == 0);
    CHECK(a.max() == 0);
    a.record(-5); // a clock step: counted as 0, not dropped
    CHECK(a.count() == 1);
    CHECK(a.percentile(0.5) == 0);

    histogram b;
    for(int i = 0; i < 99; ++i)
        b.record(100);
    b.record(50000);
    a.merge(b);
    CHECK(a.count() == 101);
    CHECK(a.max() == 50000);
    CHECK(a.min() == 0);
    CHECK(a.percentile(0.5) == 100);
    // The top value's bucket edge is capped at the true maximum.
    CHECK(a.percentile(1.0) == 50000);
}
