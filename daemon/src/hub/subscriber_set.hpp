#pragma once
// The subscribers of one stream, grouped by shard, with a frozen copy per shard for fan-out.

#include "hub/shard_port.hpp"

#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

namespace tradepush::hub {

/// Connections subscribed to one stream. Fan-out hands each shard one immutable list; the list is
/// rebuilt (copy-on-write) only on the first fan-out after a change, so a burst of subscriptions
/// costs one copy and a shard may keep reading an old list while the set changes. Sparse: a
/// stream with two devices on one shard stores one slot, not one per shard.
class subscriber_set {
public:
    /// The frozen list handed to a shard.
    using list_ptr = std::shared_ptr<std::vector<conn_id> const>;

    /// Adds `conn` of `shard`; the caller guarantees it is not already present.
    void insert(conn_id conn, std::size_t shard);
    /// Removes `conn` of `shard`; false when it was not there.
    bool erase(conn_id conn, std::size_t shard);
    /// Number of subscribed connections.
    std::size_t size() const noexcept { return size_; }
    /// True when nobody is subscribed.
    bool empty() const noexcept { return size_ == 0; }

    /// Calls `fn(shard, list_ptr const&)` once per shard with subscribers.
    template<class Fn>
    void
    for_each_shard(Fn&& fn) const
    {
        for(auto const& s : slots_)
            fn(s.shard, frozen(s));
    }

    /// Calls `fn(conn, shard)` for every subscriber.
    template<class Fn>
    void
    for_each(Fn&& fn) const
    {
        for(auto const& s : slots_)
            for(auto c : s.members)
                fn(c, s.shard);
    }

private:
    struct slot {
        std::size_t shard = 0;
        std::vector<conn_id> members;
        mutable list_ptr frozen; // null after a change until the next fan-out
    };

    static list_ptr const& frozen(slot const& s);

    std::vector<slot> slots_;
    std::size_t size_ = 0;
};

} // namespace tradepush::hub
