#include "rate_limit.hpp"

namespace tradepush::bybit_sim {

limit_status
rate_limiter::admit(std::string const& bucket, std::int64_t now_ms, int limit, std::int64_t window_ms)
{
    auto& q = buckets_[bucket];
    while (!q.empty() && q.front() <= now_ms - window_ms)
        q.pop_front();
    limit_status st;
    st.limit = limit;
    if (static_cast<int>(q.size()) >= limit) {
        st.allowed = false;
        st.remaining = 0;
        st.reset_ms = q.front() + window_ms;
        return st;
    }
    q.push_back(now_ms);
    st.remaining = limit - static_cast<int>(q.size());
    st.reset_ms = now_ms;
    return st;
}

} // namespace tradepush::bybit_sim
