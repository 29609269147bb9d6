#pragma once
// The host-side record of every operation (timer, HTTP request, WebSocket) a plugin instance started.
// Each pending callback into a plugin is one of these records, so the host can cancel all of them
// (per user for reset_user, all at once for destroy) and swallow late completions.

#include <tradepush/plugin_abi.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <memory>
#include <unordered_set>

namespace tradepush::plugin_host {

class ws_connection;

/// What an operation is.
enum class op_kind : std::uint8_t { timer, http, ws };

/// One live operation.
struct op_record {
    std::string user;           ///< owner user; empty for public (shared) operations
    std::uint64_t epoch = 0;    ///< owner epoch the operation was started with
    op_kind kind = op_kind::timer;
    std::uint64_t cookie = 0;   ///< the plugin's cookie, handed back on completion
    std::function<void()> cancel; ///< stops the underlying I/O; no handler must reach the plugin after it
    std::shared_ptr<ws_connection> ws; ///< the connection of a WebSocket op (for ws_send)
};

/// Op id → record, plus a per-user index. Not thread-safe: lives on the control executor.
class op_registry {
public:
    op_registry() = default;
    op_registry(op_registry const&) = delete;
    op_registry& operator=(op_registry const&) = delete;

    /// Registers a new operation and returns its id (never 0, never reused by this registry).
    tradepush_op add(std::string_view user, std::uint64_t epoch, op_kind kind, std::uint64_t cookie);
    /// The record of a live op, or nullptr.
    op_record* find(tradepush_op op) noexcept;
    /// Forgets a live op without cancelling it (it completed). False when unknown.
    bool erase(tradepush_op op) noexcept;
    /// Forgets a live op and runs its cancel function. Idempotent: false when unknown.
    bool cancel(tradepush_op op);
    /// Cancels every op of `user` (all epochs). Returns how many.
    std::size_t cancel_user(std::string_view user);
    /// Cancels every op. Returns how many.
    std::size_t cancel_all();

    /// Live ops.
    std::size_t size() const noexcept { return ops_.size(); }
    /// Live ops of one user.
    std::size_t size(std::string_view user) const;
    /// Users with at least one live op (index size; for leak tests).
    std::size_t indexed_users() const noexcept { return by_user_.size(); }

private:
    void unindex(tradepush_op op, std::string const& user) noexcept;

    // Ids only grow, so a late completion can never be mistaken for a newer operation.
    tradepush_op next_ = 1;
    std::unordered_map<tradepush_op, op_record> ops_;
    std::unordered_map<std::string, std::unordered_set<tradepush_op>> by_user_;
};

} // namespace tradepush::plugin_host
