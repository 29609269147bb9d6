#pragma once
// A session's outgoing queue: FIFO, with per-key conflation for full-state pushes.

#include "common/outbound.hpp"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <unordered_map>
#include <vector>

namespace tradepush::engineio {

/// FIFO of outbound messages where a message with a non-zero key replaces an unsent one with the same
/// key in place (keeping its position, so per-stream order and fairness between streams hold).
/// Not thread-safe: lives on the session's shard.
class send_queue {
public:
    /// Appends `msg`, or replaces the unsent message with the same non-zero key. Returns true when
    /// it replaced (conflated) one.
    bool push(outbound_ptr msg, std::uint64_t key);
    /// Moves up to `max_items` messages (at least one if any) totalling about `max_bytes` into `out`.
    void pop_batch(std::vector<outbound_ptr>& out, std::size_t max_items, std::size_t max_bytes);
    /// Moves everything into `out`.
    void pop_all(std::vector<outbound_ptr>& out) { pop_batch(out, static_cast<std::size_t>(-1), static_cast<std::size_t>(-1)); }

    bool empty() const noexcept { return items_.empty(); }
    std::size_t size() const noexcept { return items_.size(); }
    /// Bytes of payload queued (WebSocket frame size).
    std::size_t bytes() const noexcept { return bytes_; }
    void clear();

private:
    struct item {
        outbound_ptr msg;
        std::uint64_t key;
    };
    std::deque<item> items_;
    // Absolute position of items_.front(); positions of later items follow.
    std::uint64_t base_ = 0;
    // key -> absolute position of its unsent message.
    std::unordered_map<std::uint64_t, std::uint64_t> by_key_;
    std::size_t bytes_ = 0;
};

} // namespace tradepush::engineio
