#pragma once
// At most N upstream connections per endpoint, the rest waiting their turn in arrival order. A burst
// of plugin requests (a thousand users reconnecting after a restart) must not become a thousand
// simultaneous TCP/TLS connections to an exchange, which refuses or bans an address that opens them.
// One gate serves the HTTP client (connections in use) and the WebSocket client (connects in progress).

#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <string>

namespace tradepush::plugin_host {

/// Something waiting for a slot of the gate.
class gate_waiter {
public:
    virtual ~gate_waiter() = default;
    /// The slot is this waiter's now. Returns false when it no longer wants it (cancelled, timed out):
    /// the gate then offers the slot to the next one. Must not call back into the gate.
    virtual bool on_slot() = 0;
    /// False once the waiter gave up: a full waiting line drops such entries first.
    virtual bool wants_slot() const = 0;
};

/// What acquire() decided.
enum class gate_result {
    granted, ///< the slot is the caller's now: release() it when done
    queued,  ///< on_slot() will be called when a slot frees (or never, if the caller is gone)
    full     ///< the waiting line of that endpoint is full: refused
};

/// Counts of one gate, over all endpoints.
struct gate_stats {
    std::size_t in_use = 0;  ///< slots held
    std::size_t waiting = 0; ///< waiters queued (some may have given up and not been purged yet)
};

/// Per-endpoint slots with a FIFO waiting line. Not thread-safe: one executor calls it.
class endpoint_gate {
public:
    /// `limit` slots per endpoint (0: unlimited), at most `max_waiting` queued per endpoint.
    endpoint_gate(std::size_t limit, std::size_t max_waiting) noexcept : limit_(limit), max_waiting_(max_waiting) {}

    /// Takes a slot of `key` now, or queues `w` for the next free one.
    gate_result acquire(std::string const& key, std::weak_ptr<gate_waiter> w);
    /// Gives back a slot of `key`, and hands it to the first waiter that still wants it.
    void release(std::string const& key);

    /// The current counts.
    gate_stats stats() const noexcept { return {in_use_, waiting_}; }
    /// Slots held for `key` (tests).
    std::size_t in_use(std::string const& key) const;

private:
    struct endpoint {
        std::size_t in_use = 0;
        std::deque<std::weak_ptr<gate_waiter>> waiting;
    };
    void purge_expired(endpoint& e);

    std::size_t limit_;
    std::size_t max_waiting_;
    std::size_t in_use_ = 0;
    std::size_t waiting_ = 0;
    std::map<std::string, endpoint, std::less<>> endpoints_;
};

/// One request's claim on a slot of a gate, so that every way a request ends gives the slot back
/// exactly once. The gate must outlive it.
class gate_slot {
public:
    /// Asks `gate` for a slot of `key` for `w`; when granted, the slot is held at once.
    gate_result
    acquire(endpoint_gate& gate, std::string key, std::weak_ptr<gate_waiter> w)
    {
        gate_ = &gate;
        key_ = std::move(key);
        auto const r = gate.acquire(key_, std::move(w));
        held_ = r == gate_result::granted;
        return r;
    }
    /// The gate handed the slot over (gate_waiter::on_slot returned true).
    void granted() noexcept { held_ = true; }
    /// Gives the slot back if held (which starts the next waiter). Idempotent.
    void
    release()
    {
        if(!held_)
            return;
        held_ = false;
        gate_->release(key_);
    }
    /// The endpoint key (valid after acquire()).
    std::string const& key() const noexcept { return key_; }

private:
    endpoint_gate* gate_ = nullptr;
    std::string key_;
    bool held_ = false;
};

} // namespace tradepush::plugin_host
