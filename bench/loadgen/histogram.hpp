// A log-linear latency histogram (HdrHistogram's bucket layout, fixed precision).
//
// Values are integers (microseconds here). Below 2^sub_bits every value has its own bucket; above,
// each power-of-two range is split into 2^sub_bits buckets, so a reported percentile is within
// 1/128 (0.8%) of the true value. Recording is an index computation and an increment: no
// allocation, so the load generator can record every message.

#pragma once

#include <array>
#include <cstdint>

namespace tradepush::bench {

class histogram
{
public:
    static constexpr int sub_bits = 7;
    static constexpr std::uint64_t sub_count = std::uint64_t{1} << sub_bits;
    // Values are clamped to 2^40 - 1 (about 12 days in µs).
    static constexpr int max_bits = 40;
    static constexpr std::size_t bucket_count = (max_bits - sub_bits + 1) * sub_count;

    /// Records one value; negative values count as 0.
    void
    record(std::int64_t v) noexcept;

    /// Adds another histogram's counts (merging the workers' histograms).
    void
    merge(histogram const& other) noexcept;

    /// The value at quantile q (0 < q <= 1): the upper edge of the bucket holding the
    /// ceil(q * count)-th smallest value, never above max(). 0 when empty.
    std::int64_t
    percentile(double q) const noexcept;

    std::uint64_t count() const noexcept { return count_; }
    std::int64_t max() const noexcept { return max_; }
    std::int64_t min() const noexcept { return count_ ? min_ : 0; }
    double mean() const noexcept { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0.0; }

    /// Bucket index of a value and the highest value of a bucket (exposed for the tests).
    static std::size_t index_of(std::uint64_t v) noexcept;
    static std::uint64_t upper_edge(std::size_t index) noexcept;

private:
    std::array<std::uint64_t, bucket_count> counts_{};
    std::uint64_t count_ = 0;
    std::int64_t max_ = 0;
    std::int64_t min_ = 0;
    // 2^63 µs never overflows for any realistic run.
    std::int64_t sum_ = 0;
};

} // namespace tradepush::bench
