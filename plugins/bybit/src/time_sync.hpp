#pragma once
// Server-time offset estimation (spec §6): each /v5/market/time answer gives one sample
// offset = server_time - midpoint(local send, local receive); the estimate is the median of the last few
// samples, so one slow answer does not move the clock. Signed timestamps are local wall time + offset.

#include "envelope.hpp"

#include <cstdint>
#include <deque>
#include <optional>

namespace tradepush::bybit {

/// Keeps the latest samples of the local-to-server clock offset.
class time_offset_estimator {
public:
    /// How many samples the median is taken over.
    static constexpr std::size_t window = 5;

    /// Adds a sample: the request left at local `sent_ms`, the answer came at `received_ms`, and the
    /// server said `server_ms` (taken to be the midpoint, the RTT-midpoint rule).
    void add_sample(double sent_ms, double received_ms, double server_ms);
    /// Forgets every sample (after a 10002 the old ones are suspect).
    void clear() noexcept { samples_.clear(); }
    /// True once a sample exists.
    bool has_estimate() const noexcept { return !samples_.empty(); }
    /// Median offset in ms (server - local); 0 without samples.
    std::int64_t offset_ms() const;
    /// Server time for local wall time `local_ms`.
    std::uint64_t server_now(std::uint64_t local_ms) const;

private:
    std::deque<double> samples_;
};

/// The server time (ms, fractional) of a /v5/market/time answer: timeNano when present and sane, else
/// timeSecond, else the envelope's `time`. nullopt if none is usable.
std::optional<double>
parse_server_time(envelope const& env);

} // namespace tradepush::bybit
