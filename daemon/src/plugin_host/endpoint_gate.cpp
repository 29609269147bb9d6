#include "plugin_host/endpoint_gate.hpp"

#include <algorithm>

namespace tradepush::plugin_host {

gate_result
endpoint_gate::acquire(std::string const& key, std::weak_ptr<gate_waiter> w)
{
    auto& e = endpoints_[key];
    // Queued waiters come first even when a slot is free at this instant: no overtaking.
    if(limit_ == 0 || (e.in_use < limit_ && e.waiting.empty())) {
        ++e.in_use;
        ++in_use_;
        return gate_result::granted;
    }
    if(e.waiting.size() >= max_waiting_)
        purge_expired(e);
    if(e.waiting.size() >= max_waiting_)
        return gate_result::full;
    e.waiting.push_back(std::move(w));
    ++waiting_;
    return gate_result::queued;
}

void
endpoint_gate::release(std::string const& key)
{
    auto it = endpoints_.find(key);
    if(it == endpoints_.end() || it->second.in_use == 0)
        return; // not held: a bug in the caller, but never an underflow
    auto& e = it->second;
    --e.in_use;
    --in_use_;
    while(!e.waiting.empty() && (limit_ == 0 || e.in_use < limit_)) {
        auto next = e.waiting.front().lock();
        e.waiting.pop_front();
        --waiting_;
        if(!next)
            continue;
        // Counted before the call: the waiter starts its I/O with the slot already its own.
        ++e.in_use;
        ++in_use_;
        if(next->on_slot())
            break;
        --e.in_use;
        --in_use_;
    }
    if(e.in_use == 0 && e.waiting.empty())
        endpoints_.erase(it);
}

std::size_t
endpoint_gate::in_use(std::string const& key) const
{
    auto it = endpoints_.find(key);
    return it == endpoints_.end() ? 0 : it->second.in_use;
}

void
endpoint_gate::purge_expired(endpoint& e)
{
    auto const before = e.waiting.size();
    std::erase_if(e.waiting, [](auto const& w) {
        auto p = w.lock();
        return !p || !p->wants_slot();
    });
    waiting_ -= before - e.waiting.size();
}

} // namespace tradepush::plugin_host
