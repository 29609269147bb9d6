#include "gateway/login_backoff.hpp"

#include <algorithm>

namespace tradepush::gateway {

login_backoff::clock::duration
login_backoff::wait_for(address_key const& key, clock::time_point now)
{
    if(opts_.free_failures == 0)
        return clock::duration::zero();
    std::lock_guard lock(mutex_);
    auto const it = entries_.find(key);
    if(it == entries_.end() || it->second.wait_until <= now)
        return clock::duration::zero();
    return it->second.wait_until - now;
}

bool
login_backoff::failed(address_key const& key, clock::time_point now)
{
    if(opts_.free_failures == 0)
        return false;
    std::lock_guard lock(mutex_);
    auto it = entries_.find(key);
    if(it == entries_.end()) {
        if(entries_.size() >= opts_.max_tracked)
            prune(now);
        if(entries_.size() >= opts_.max_tracked)
            return false; // full of active addresses: this one goes untracked rather than evict one
        it = entries_.emplace(key, entry{now, now}).first;
    }
    auto& e = it->second;
    if(idle(e, now)) {
        // A quiet window forgives the past: the next burst starts from the free allowance again.
        e = entry{now, now};
    } else if(now - e.window_start > opts_.window && e.wait_until <= now) {
        e.window_start = now;
        e.failures = 0;
    }
    if(++e.failures <= opts_.free_failures)
        return false;
    auto const first = std::chrono::duration_cast<clock::duration>(opts_.first_wait);
    auto const most = std::chrono::duration_cast<clock::duration>(opts_.max_wait);
    e.wait = e.wait == clock::duration::zero() ? first : std::min(e.wait * 2, most);
    e.wait_until = now + e.wait;
    return true;
}

std::size_t
login_backoff::tracked() const
{
    std::lock_guard lock(mutex_);
    return entries_.size();
}

bool
login_backoff::idle(entry const& e, clock::time_point now) const noexcept
{
    // Nothing to remember once the wait is over and a whole window has passed since.
    return e.wait_until <= now && now - std::max(e.window_start, e.wait_until) > opts_.window;
}

void
login_backoff::prune(clock::time_point now)
{
    std::erase_if(entries_, [&](auto const& kv) { return idle(kv.second, now); });
}

} // namespace tradepush::gateway
