#pragma once
// Bybit's API limit: a rolling 1 s window per UID per endpoint, reported on every private response
// in X-Bapi-Limit / -Status / -Reset-Timestamp (spec §4). Also the 600 / 5 s per-IP limit.

#include <cstdint>
#include <deque>
#include <map>
#include <string>

namespace tradepush::bybit_sim {

/// Result of one admission.
struct limit_status {
    bool allowed = true;
    int limit = 0;
    int remaining = 0;
    std::int64_t reset_ms = 0; ///< when a slot frees up (≈ now when not exceeded)
};

/// Sliding-window counters keyed by an arbitrary string.
class rate_limiter {
public:
    /// Admits one request for `bucket` at `now_ms` if fewer than `limit` were admitted in the last
    /// `window_ms`. Rejected requests do not consume a slot (the real limiter behaves the same way
    /// from the client's point of view: waiting until reset is enough).
    limit_status
    admit(std::string const& bucket, std::int64_t now_ms, int limit, std::int64_t window_ms);

    /// Forgets everything.
    void
    clear()
    {
        buckets_.clear();
    }

private:
    std::map<std::string, std::deque<std::int64_t>> buckets_;
};

} // namespace tradepush::bybit_sim
