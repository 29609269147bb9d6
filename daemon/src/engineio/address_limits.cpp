#include "engineio/address_limits.hpp"

namespace tradepush::engineio {

address_limits::slot&
address_limits::slot::operator=(slot&& o) noexcept
{
    if(this != &o) {
        release();
        owner_ = std::move(o.owner_);
        entry_ = o.entry_;
    }
    return *this;
}

void
address_limits::slot::release() noexcept
{
    if(auto owner = std::move(owner_))
        owner->close_socket(entry_);
}

address_limits::entry*
address_limits::find_or_add(address_key const& key, clock::time_point now)
{
    if(auto it = entries_.find(key); it != entries_.end())
        return &it->second;
    if(entries_.size() >= opts_.max_tracked) {
        // Forget what no longer limits anybody: no open socket, and a budget that has refilled.
        auto const refill = opts_.handshakes_per_second > 0
            ? std::chrono::duration_cast<clock::duration>(
                  std::chrono::duration<double>(opts_.handshake_burst / opts_.handshakes_per_second))
            : clock::duration::zero();
        std::erase_if(entries_, [&](auto const& kv) {
            return kv.second.sockets == 0 && now - kv.second.last_handshake >= refill;
        });
        if(entries_.size() >= opts_.max_tracked) {
            ++untracked_;
            return nullptr;
        }
    }
    auto const burst = opts_.handshake_burst > 0 ? opts_.handshake_burst : 1;
    return &entries_.emplace(key, entry{key, 0, rate_limiter(opts_.handshakes_per_second, burst), {}}).first->second;
}

std::optional<address_limits::slot>
address_limits::open_socket(address_key const& key)
{
    if(opts_.max_sockets == 0)
        return slot{};
    std::lock_guard lock(mutex_);
    auto* e = find_or_add(key, clock::now());
    if(!e)
        return slot{};
    if(e->sockets >= opts_.max_sockets)
        return std::nullopt;
    ++e->sockets;
    return slot{shared_from_this(), e};
}

void
address_limits::close_socket(void* counted) noexcept
{
    std::lock_guard lock(mutex_);
    // Entries counting a socket are never erased (prune skips them), so the pointer is valid.
    auto& e = *static_cast<entry*>(counted);
    if(e.sockets > 0)
        --e.sockets;
    // With no handshake limit there is nothing else to remember about an address without sockets.
    if(e.sockets == 0 && opts_.handshakes_per_second <= 0)
        entries_.erase(e.key);
}

bool
address_limits::allow_handshake(address_key const& key, clock::time_point now)
{
    if(opts_.handshakes_per_second <= 0)
        return true;
    std::lock_guard lock(mutex_);
    auto* e = find_or_add(key, now);
    if(!e)
        return true;
    e->last_handshake = now;
    return e->handshakes.try_take(now);
}

std::size_t
address_limits::sockets(address_key const& key) const
{
    std::lock_guard lock(mutex_);
    auto it = entries_.find(key);
    return it == entries_.end() ? 0 : it->second.sockets;
}

std::size_t
address_limits::tracked() const
{
    std::lock_guard lock(mutex_);
    return entries_.size();
}

std::uint64_t
address_limits::untracked() const
{
    std::lock_guard lock(mutex_);
    return untracked_;
}

} // namespace tradepush::engineio
