#include "service/watchdog.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <spdlog/spdlog.h>

#include <atomic>
#include <stdexcept>
#include <utility>

namespace tradepush::service {

namespace net = boost::asio;
using clock_type = std::chrono::steady_clock;

namespace {

/// Nanoseconds on the steady clock; 0 is reserved for "never stamped" (the clock starts at boot).
std::int64_t
now_ns() noexcept
{
    auto const ns = std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now().time_since_epoch());
    return ns.count() > 0 ? ns.count() : 1;
}

} // namespace

//------------------------------------------------------------------------------

watchdog_timing
watchdog_timing::for_interval(std::chrono::microseconds interval) noexcept
{
    watchdog_timing t;
    t.interval = interval;
    t.heartbeat = interval / 8;
    t.max_age = interval / 3;
    t.ping_every = interval / 2;
    return t;
}

//------------------------------------------------------------------------------

/// What the loops share. Owned jointly by the watchdog and every pending handler, so either side may
/// go away first.
struct watchdog::state {
    state(notifier n, watchdog_timing t, std::size_t loops)
        : notify(std::move(n))
        , timing(t)
        , stamps(loops)
    {
    }

    notifier const notify;
    watchdog_timing const timing;
    std::atomic<bool> stopped{false};
    /// Per loop: steady-clock ns of the last heartbeat, 0 before the first. Written by that loop,
    /// read by the check on loops[0].
    std::vector<std::atomic<std::int64_t>> stamps;
    std::atomic<std::uint64_t> pings{0};
    std::atomic<std::uint64_t> stale_checks{0};
};

namespace {

//------------------------------------------------------------------------------

// One loop's heartbeat: a timer on that loop that stamps the loop's slot each time it fires. It lives as
// long as its pending handler (Beast's shared_from_this idiom), so no one has to destroy it on the
// right thread.
class heartbeat : public std::enable_shared_from_this<heartbeat> {
public:
    heartbeat(net::io_context& loop, std::shared_ptr<watchdog::state> st, std::size_t index)
        : timer_(loop)
        , state_(std::move(st))
        , index_(index)
    {
    }

    void
    run()
    {
        on_timer({});
    }

private:
    void
    on_timer(boost::system::error_code ec)
    {
        if(ec || state_->stopped.load(std::memory_order_acquire))
            return;
        state_->stamps[index_].store(now_ns(), std::memory_order_release);
        timer_.expires_after(state_->timing.heartbeat);
        timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) { self->on_timer(ec); });
    }

    net::steady_timer timer_;
    std::shared_ptr<watchdog::state> state_;
    std::size_t index_;
};

//------------------------------------------------------------------------------

// The check on loops[0]: pings when every loop stamped recently. It runs every heartbeat period rather
// than every ping period, so a ping withheld because of a short stall goes out as soon as the stall
// ends instead of half an interval later (which could already be past systemd's deadline).
class checker : public std::enable_shared_from_this<checker> {
public:
    checker(net::io_context& loop, std::shared_ptr<watchdog::state> st)
        : timer_(loop)
        , state_(std::move(st))
        , stale_(state_->stamps.size(), false)
    {
    }

    void
    run()
    {
        // The first check waits one period so loops that run already get to stamp.
        arm();
    }

private:
    void
    arm()
    {
        timer_.expires_after(state_->timing.heartbeat);
        timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) { self->on_timer(ec); });
    }

    void
    on_timer(boost::system::error_code ec)
    {
        if(ec || state_->stopped.load(std::memory_order_acquire))
            return;
        check();
        arm();
    }

    void
    check()
    {
        auto const now = now_ns();
        auto const max_age = std::chrono::duration_cast<std::chrono::nanoseconds>(state_->timing.max_age).count();
        bool all_fresh = true;
        for(std::size_t i = 0; i < state_->stamps.size(); ++i) {
            auto const stamp = state_->stamps[i].load(std::memory_order_acquire);
            bool const fresh = stamp != 0 && now - stamp <= max_age;
            // Log transitions only: one line when a loop wedges, one when it recovers.
            if(!fresh && !stale_[i] && stamp != 0)
                spdlog::warn("watchdog: event loop {} has not turned for {} ms; withholding WATCHDOG=1", i,
                    (now - stamp) / 1'000'000);
            else if(fresh && stale_[i])
                spdlog::info("watchdog: event loop {} is turning again", i);
            stale_[i] = !fresh && stamp != 0;
            all_fresh = all_fresh && fresh;
        }
        if(!all_fresh) {
            state_->stale_checks.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        auto const ping_every = std::chrono::duration_cast<std::chrono::nanoseconds>(state_->timing.ping_every).count();
        if(last_ping_ != 0 && now - last_ping_ < ping_every)
            return;
        if(auto r = state_->notify.watchdog(); !r) {
            // Retried at the next check; systemd's deadline is two ping periods away.
            spdlog::warn("watchdog: sending WATCHDOG=1 to {}: {}", state_->notify.address(), r.error().message());
            return;
        }
        last_ping_ = now;
        state_->pings.fetch_add(1, std::memory_order_relaxed);
    }

    net::steady_timer timer_;
    std::shared_ptr<watchdog::state> state_;
    /// Per loop: whether it was stale at the previous check (loops[0]'s thread only).
    std::vector<bool> stale_;
    std::int64_t last_ping_ = 0;
};

} // namespace

//------------------------------------------------------------------------------

watchdog::watchdog(std::vector<net::io_context*> loops, notifier notify, watchdog_timing timing)
    : loops_(std::move(loops))
    , notify_(std::move(notify))
    , timing_(timing)
{
    if(loops_.empty())
        throw std::invalid_argument("watchdog: no event loops");
    for(auto* loop : loops_)
        if(!loop)
            throw std::invalid_argument("watchdog: null event loop");
    if(timing_.interval.count() < 0 || (timing_.interval.count() > 0 &&
        (timing_.heartbeat.count() <= 0 || timing_.max_age.count() <= 0 || timing_.ping_every.count() <= 0)))
        throw std::invalid_argument("watchdog: interval, heartbeat, max_age and ping_every must be positive");
    // A loop stamps once per heartbeat, so a max_age below that would call every loop stuck.
    if(timing_.interval.count() > 0 && timing_.max_age <= timing_.heartbeat)
        throw std::invalid_argument("watchdog: max_age must exceed the heartbeat period");
}

watchdog::watchdog(std::vector<net::io_context*> loops, notifier notify, std::chrono::microseconds interval)
    : watchdog(std::move(loops), std::move(notify), watchdog_timing::for_interval(interval))
{
}

watchdog::~watchdog()
{
    stop();
}

void
watchdog::start()
{
    if(state_ || timing_.interval.count() == 0 || !notify_.enabled())
        return;
    state_ = std::make_shared<state>(notify_, timing_, loops_.size());
    // Everything is posted: a timer must be touched only from its own loop's thread, and the loops
    // may already be running.
    for(std::size_t i = 0; i < loops_.size(); ++i) {
        auto beat = std::make_shared<heartbeat>(*loops_[i], state_, i);
        net::post(*loops_[i], [beat] { beat->run(); });
    }
    auto check = std::make_shared<checker>(*loops_[0], state_);
    net::post(*loops_[0], [check] { check->run(); });
}

void
watchdog::stop()
{
    if(!state_ || state_->stopped.exchange(true, std::memory_order_acq_rel))
        return;
    // No cancel posted to the timers: a pending wait sees `stopped` when it fires (within one heartbeat)
    // and ends the chain, which also works when a loop is stuck or no longer runs. Posting would need
    // the io_contexts still alive here, which the daemon's teardown order does not promise.
}

bool
watchdog::active() const noexcept
{
    return state_ && !state_->stopped.load(std::memory_order_acquire);
}

std::uint64_t
watchdog::pings() const noexcept
{
    return state_ ? state_->pings.load(std::memory_order_relaxed) : 0;
}

std::uint64_t
watchdog::stale_checks() const noexcept
{
    return state_ ? state_->stale_checks.load(std::memory_order_relaxed) : 0;
}

} // namespace tradepush::service
