#pragma once
// Refused logins per client address: past a free allowance, an address must wait before its next
// CONNECT is even verified, and each further refusal doubles the wait. Token guessing then costs
// the guesser time, and a flood of bad tokens stops costing us signature checks.

#include "common/address_key.hpp"

#include <chrono>
#include <cstddef>
#include <mutex>
#include <unordered_map>

namespace tradepush::gateway {

/// Limits of login_backoff.
struct login_backoff_options {
    /// Refused CONNECTs an address may have per window before it has to wait; 0 disables the
    /// back-off. Behind carrier-grade NAT many users share an address: keep this well above what a
    /// few users with expired tokens cause.
    unsigned free_failures = 20;
    std::chrono::seconds window{60};
    /// The first wait, doubled by every refusal during a wait, up to max_wait.
    std::chrono::milliseconds first_wait{1000};
    std::chrono::milliseconds max_wait{300000};
    /// Addresses tracked at once (about 100 bytes each); past it, addresses idle for a window are
    /// forgotten, and new ones are not tracked until there is room.
    std::size_t max_tracked = 100000;
};

/// Thread-safe: shared by every shard (an address's connections land on any shard).
class login_backoff {
public:
    using clock = std::chrono::steady_clock;

    explicit login_backoff(login_backoff_options opts = {}) : opts_(opts) {}

    /// How long `key` still has to wait before a CONNECT from it is verified; zero when it may.
    clock::duration wait_for(address_key const& key, clock::time_point now = clock::now());
    /// Records a refused CONNECT from `key`; true when this refusal started or lengthened a wait.
    bool failed(address_key const& key, clock::time_point now = clock::now());
    /// Addresses tracked now.
    std::size_t tracked() const;

private:
    struct entry {
        clock::time_point window_start;
        clock::time_point wait_until;
        clock::duration wait{0};
        unsigned failures = 0;
    };

    bool idle(entry const& e, clock::time_point now) const noexcept;
    void prune(clock::time_point now);

    login_backoff_options opts_;
    mutable std::mutex mutex_;
    std::unordered_map<address_key, entry, address_key_hash> entries_;
};

} // namespace tradepush::gateway
