#include "loadgen/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace tradepush::bench {

std::size_t
histogram::index_of(std::uint64_t v) noexcept
{
    v = std::min(v, (std::uint64_t{1} << max_bits) - 1);
    if(v < sub_count)
        return static_cast<std::size_t>(v);
    // v lies in [2^msb, 2^(msb+1)); keep its top sub_bits+1 bits.
    int const msb = 63 - std::countl_zero(v);
    int const shift = msb - sub_bits;
    return static_cast<std::size_t>((shift + 1) * sub_count + ((v >> shift) - sub_count));
}

std::uint64_t
histogram::upper_edge(std::size_t index) noexcept
{
    if(index < sub_count)
        return index;
    std::uint64_t const shift = index / sub_count - 1;
    std::uint64_t const sub = index % sub_count + sub_count;
    return ((sub + 1) << shift) - 1;
}

void
histogram::record(std::int64_t v) noexcept
{
    if(v < 0)
        v = 0;
    ++counts_[index_of(static_cast<std::uint64_t>(v))];
    if(count_ == 0 || v < min_)
        min_ = v;
    max_ = std::max(max_, v);
    sum_ += v;
    ++count_;
}

void
histogram::merge(histogram const& other) noexcept
{
    if(other.count_ == 0)
        return;
    for(std::size_t i = 0; i < bucket_count; ++i)
        counts_[i] += other.counts_[i];
    min_ = count_ ? std::min(min_, other.min_) : other.min_;
    max_ = std::max(max_, other.max_);
    sum_ += other.sum_;
    count_ += other.count_;
}

std::int64_t
histogram::percentile(double q) const noexcept
{
    if(count_ == 0)
        return 0;
    q = std::clamp(q, 0.0, 1.0);
    auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
    rank = std::clamp<std::uint64_t>(rank, 1, count_);
    std::uint64_t seen = 0;
    for(std::size_t i = 0; i < bucket_count; ++i)
    {
        seen += counts_[i];
        if(seen >= rank)
            return std::min(static_cast<std::int64_t>(upper_edge(i)), max_);
    }
    return max_;
}

} // namespace tradepush::bench
