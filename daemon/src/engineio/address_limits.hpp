#pragma once
// What one client address may hold and start: open sockets, and handshakes per second. Keyed by
// address_key (IPv4 address or IPv6 /64), shared by every shard (an address's connections land on
// any of them through SO_REUSEPORT).

#include "common/address_key.hpp"
#include "common/rate_limiter.hpp"

#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace tradepush::engineio {

/// Limits per client address; 0 disables the one it names.
struct address_limit_options {
    std::size_t max_sockets = 0;
    double handshakes_per_second = 0;
    double handshake_burst = 0;
    /// Addresses tracked at once (about 100 bytes each). Past it, addresses without open sockets
    /// whose handshake budget refilled are forgotten; if none is, a new address goes unlimited
    /// (and is counted in untracked()) rather than evicting one that is being limited.
    std::size_t max_tracked = 200000;
};

/// Thread-safe. Owned through a shared_ptr: slots keep it alive.
class address_limits : public std::enable_shared_from_this<address_limits> {
public:
    using clock = rate_limiter::clock;

    explicit address_limits(address_limit_options opts) : opts_(opts) {}

    /// One open socket of an address, counted until destroyed (or released). Movable, so it
    /// follows its socket from the HTTP connection to a WebSocket transport or another shard.
    class slot {
    public:
        slot() = default;
        slot(slot&& o) noexcept : owner_(std::move(o.owner_)), entry_(o.entry_) {}
        slot& operator=(slot&& o) noexcept;
        ~slot() { release(); }
        /// Uncounts the socket now.
        void release() noexcept;
        /// True while it counts a socket.
        explicit operator bool() const noexcept { return owner_ != nullptr; }

    private:
        friend class address_limits;
        slot(std::shared_ptr<address_limits> owner, void* entry) : owner_(std::move(owner)), entry_(entry) {}
        std::shared_ptr<address_limits> owner_;
        // The address's table entry: it is not erased while it counts a socket (every idle
        // WebSocket carries a slot, so it is a pointer rather than the 16-byte key).
        void* entry_ = nullptr;
    };

    /// Counts a new socket of `key`; an empty slot (refused) when the address holds max_sockets.
    /// An untracked address gets a slot that counts nothing.
    std::optional<slot> open_socket(address_key const& key);
    /// Takes one handshake from `key`'s budget; false when it is spent.
    bool allow_handshake(address_key const& key, clock::time_point now = clock::now());
    /// Open sockets counted for `key` (for tests and `stats`).
    std::size_t sockets(address_key const& key) const;
    /// Addresses tracked now, and new ones that found the table full since start.
    std::size_t tracked() const;
    std::uint64_t untracked() const;

private:
    struct entry {
        address_key key;
        std::size_t sockets = 0;
        rate_limiter handshakes;
        clock::time_point last_handshake{};
    };

    void close_socket(void* entry) noexcept;
    /// The entry of `key`, created if there is room; nullptr when the table is full.
    entry* find_or_add(address_key const& key, clock::time_point now);

    address_limit_options opts_;
    mutable std::mutex mutex_;
    std::unordered_map<address_key, entry, address_key_hash> entries_;
    std::uint64_t untracked_ = 0;
};

} // namespace tradepush::engineio
