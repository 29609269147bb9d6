#pragma once
// A session's outgoing queue: FIFO, with per-key conflation for full-state pushes.

#include "common/outbound.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

namespace tradepush::engineio {

/// FIFO of outbound messages where a message with a non-zero key replaces an unsent one with the same
/// key in place (keeping its position, so per-stream order and fairness between streams hold).
/// An empty queue owns no heap memory (most connections are idle between pushes); a short queue
/// finds a key by scanning, and only a long one (a slow consumer) keeps a key index.
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

    bool empty() const noexcept { return head_ == items_.size(); }
    std::size_t size() const noexcept { return items_.size() - head_; }
    /// Bytes of payload queued (WebSocket frame size).
    std::size_t bytes() const noexcept { return bytes_; }
    void clear();
    /// Slots of storage held (sent ones included until compacted); for tests and memory accounting.
    std::size_t capacity() const noexcept { return items_.capacity(); }

    /// Above this many queued messages a key index replaces the linear scan.
    static constexpr std::size_t scan_limit = 16;

private:
    struct item {
        outbound_ptr msg;
        std::uint64_t key;
    };
    /// Position in items_ of the unsent message with `key`, or npos.
    std::size_t find(std::uint64_t key) const;
    void build_index();
    void release_if_empty();

    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

    // Sent items are dropped from the front by advancing head_; their slots are compacted away once
    // they are the larger part, and the storage is released when the queue empties.
    std::vector<item> items_;
    std::size_t head_ = 0;
    // key -> position in items_; only while the queue is longer than scan_limit.
    std::unique_ptr<std::unordered_map<std::uint64_t, std::size_t>> index_;
    std::size_t bytes_ = 0;
};

} // namespace tradepush::engineio
