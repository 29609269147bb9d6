#include "time_sync.hpp"

#include <boost/json/object.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <vector>

namespace tradepush::bybit {

void
time_offset_estimator::add_sample(double sent_ms, double received_ms, double server_ms)
{
    if(received_ms < sent_ms)
        received_ms = sent_ms;
    samples_.push_back(server_ms - (sent_ms + received_ms) / 2.0);
    while(samples_.size() > window)
        samples_.pop_front();
}

std::int64_t
time_offset_estimator::offset_ms() const
{
    if(samples_.empty())
        return 0;
    std::vector<double> v(samples_.begin(), samples_.end());
    std::sort(v.begin(), v.end());
    auto const n = v.size();
    auto const median = (n % 2 == 1) ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
    return static_cast<std::int64_t>(std::llround(median));
}

std::uint64_t
time_offset_estimator::server_now(std::uint64_t local_ms) const
{
    auto const t = static_cast<std::int64_t>(local_ms) + offset_ms();
    return t < 0 ? 0 : static_cast<std::uint64_t>(t);
}

namespace {

std::optional<std::int64_t>
int_of_string(boost::json::value const* v)
{
    if(!v || !v->is_string())
        return std::nullopt;
    auto const& s = v->as_string();
    std::int64_t n = 0;
    auto const [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if(ec != std::errc{} || ptr != s.data() + s.size() || n <= 0)
        return std::nullopt;
    return n;
}

} // namespace

std::optional<double>
parse_server_time(envelope const& env)
{
    if(env.result.is_object()) {
        auto const& r = env.result.as_object();
        if(auto const ns = int_of_string(r.if_contains("timeNano")))
            return static_cast<double>(*ns / 1000) / 1000.0; // µs precision is plenty
        if(auto const s = int_of_string(r.if_contains("timeSecond")))
            return static_cast<double>(*s) * 1000.0;
    }
    if(env.time_ms > 0)
        return static_cast<double>(env.time_ms);
    return std::nullopt;
}

} // namespace tradepush::bybit
