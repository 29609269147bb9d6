#pragma once
// The REST budget of one Bybit host, shared by every account of the plugin. Bybit counts requests per
// IP address (600 per 5 s across its REST hosts) and answers the excess with HTTP 403: an IP ban of at
// least ten minutes for every user served from that address. So no account sends on its own: each
// call waits here for room in a sliding window kept below that limit, most urgent first (a client
// waiting for its first data before a reconnect's reconciliation before the periodic one). If a 403
// comes anyway (another process on the same address), the whole host pauses, then one probe decides
// when everyone resumes. Pure bookkeeping on the host's monotonic clock: the adapter sends and times.
//
// Bybit counts a call when it arrives, which may be well after we asked for it (the host queues
// requests behind its connection bound, the network delays them). So a call holds its place from the
// moment it is sent until a whole window after its answer: at any instant the calls in flight plus
// those answered within the last window stay below the limit, and then no window of arrivals at the
// exchange can hold more (every call arriving in it was either in flight or answered when the last
// of them was sent).

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <utility>

namespace tradepush::bybit {

/// How urgent a REST call is; lower values go first.
enum class rest_priority : std::uint8_t {
    snapshot = 0,  ///< a client waits for this data (subscribe, first data of a session)
    reconnect = 1, ///< reconciliation after the private stream (re)connected
    periodic = 2   ///< slow reconciliation and polling
};
inline constexpr std::size_t rest_priority_count = 3;

/// A call waiting for its turn: the session (routing id) and which of its resources.
struct rest_ticket {
    std::uint64_t session = 0;
    unsigned resource = 0;
    friend bool operator==(rest_ticket const&, rest_ticket const&) = default;
};

/// A waiting call that got its turn.
struct rest_grant {
    rest_ticket ticket;
    rest_priority priority;
    std::chrono::nanoseconds waited; ///< from enqueue() to now
};

/// Limits of one host's budget.
struct rest_budget_config {
    std::size_t limit = 500;                      ///< calls per window (Bybit allows 600 per 5 s per IP)
    std::chrono::milliseconds window{5000};       ///< the sliding window
    std::chrono::milliseconds ban_pause{600000};  ///< after a 403: Bybit lifts IP bans after >= 10 min
};

/// How an answer to a call came back, for the IP-wide pause.
enum class rest_answer { fine, ip_limited, none };

/// The answer of an HTTP status (0: no answer). Bybit's IP limit is the only 403 a well-formed call
/// gets (it also sends 403 to a GET with a JSON body and to US addresses, which we never are/send).
constexpr rest_answer
answer_of_status(int status) noexcept
{
    return status == 0 ? rest_answer::none : status == 403 ? rest_answer::ip_limited : rest_answer::fine;
}

/// What an answer changed (the adapter logs and counts transitions, once per host).
enum class rest_transition { none, paused, resumed };

/// Figures of one budget (metrics).
struct rest_budget_stats {
    std::array<std::size_t, rest_priority_count> queued{}; ///< tickets waiting, per priority
    std::array<std::uint64_t, rest_priority_count> granted{}; ///< tickets that got their turn
    std::array<double, rest_priority_count> waited_s{};  ///< total seconds those tickets waited
    std::size_t in_window = 0;  ///< calls in flight or answered within the last window
    std::uint64_t pauses = 0;   ///< IP-wide pauses so far
    bool paused = false;
};

/// One host's budget and waiting line (see the file comment). Not thread-safe: the instance strand.
class rest_budget {
public:
    using time = std::chrono::nanoseconds; ///< the host's monotonic clock

    explicit rest_budget(rest_budget_config cfg = {}) : cfg_(cfg) {}

    /// True (and counted) when a call of priority `p` may go now: the host is not paused, the window
    /// has room and nothing of the same or a more urgent priority is waiting. Else enqueue() it.
    bool try_send(rest_priority p, time now);
    /// Queues `t` at `p`. A ticket already queued keeps its place, moving to `p` if that is more urgent.
    void enqueue(rest_priority p, rest_ticket t, time now);
    /// True when `t` is waiting.
    bool queued(rest_ticket t) const { return where_.contains(key(t)); }
    /// Drops every ticket of `session` (closed, reset).
    void forget(std::uint64_t session);
    /// The next waiting call allowed to go now, counted as sent; nullopt when none may.
    std::optional<rest_grant> next(time now);
    /// When next() may give a ticket (now or later); nullopt when nothing waits, or when only an
    /// answer can make room (every place is held by a call in flight, or a probe is out).
    std::optional<time> next_at(time now);
    /// Counts a call that does not wait (the clock sync): it spends the window all the same.
    void count(time now);
    /// A call sent (try_send, next, count) was answered, failed or was cancelled: from now on it
    /// holds its place for one window. A 403 pauses the host; a fine answer after the pause ended
    /// resumes it. Call exactly once per call sent.
    rest_transition on_answer(rest_answer a, time now);
    /// The current figures.
    rest_budget_stats stats(time now);

private:
    struct entry {
        rest_ticket ticket;
        time since;
    };
    static std::pair<std::uint64_t, unsigned> key(rest_ticket t) { return {t.session, t.resource}; }
    bool room(time now);
    void spend();
    bool waiting_up_to(rest_priority p) const;
    void erase_from(rest_priority p, rest_ticket t);

    rest_budget_config cfg_;
    std::size_t in_flight_ = 0; // calls sent and not answered yet
    std::deque<time> answered_; // answer times within the last window, oldest first
    std::array<std::deque<entry>, rest_priority_count> queues_;
    std::map<std::pair<std::uint64_t, unsigned>, rest_priority> where_;
    std::array<std::uint64_t, rest_priority_count> granted_{};
    std::array<double, rest_priority_count> waited_s_{};
    bool paused_ = false;
    time pause_until_{0};
    bool probe_out_ = false; // the single call sent after a pause, awaiting its answer
    std::uint64_t pauses_ = 0;
};

} // namespace tradepush::bybit
