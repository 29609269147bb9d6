#include "hub/subscriber_set.hpp"

#include <algorithm>

namespace tradepush::hub {

void
subscriber_set::insert(conn_id conn, std::size_t shard)
{
    auto it = std::find_if(slots_.begin(), slots_.end(), [&](slot const& s) { return s.shard == shard; });
    if(it == slots_.end()) {
        slots_.push_back(slot{shard, {}, nullptr});
        it = std::prev(slots_.end());
    }
    it->members.push_back(conn);
    // Never mutate a list a shard may still be reading: drop it, rebuild on the next fan-out.
    it->frozen.reset();
    ++size_;
}

bool
subscriber_set::erase(conn_id conn, std::size_t shard)
{
    auto it = std::find_if(slots_.begin(), slots_.end(), [&](slot const& s) { return s.shard == shard; });
    if(it == slots_.end())
        return false;
    auto& m = it->members;
    auto pos = std::find(m.begin(), m.end(), conn);
    if(pos == m.end())
        return false;
    // Order within a shard does not matter, so swap-and-pop.
    *pos = m.back();
    m.pop_back();
    it->frozen.reset();
    --size_;
    if(m.empty()) {
        if(it != std::prev(slots_.end()))
            *it = std::move(slots_.back());
        slots_.pop_back();
    }
    return true;
}

subscriber_set::list_ptr const&
subscriber_set::frozen(slot const& s)
{
    if(!s.frozen)
        s.frozen = std::make_shared<std::vector<conn_id> const>(s.members);
    return s.frozen;
}

} // namespace tradepush::hub
