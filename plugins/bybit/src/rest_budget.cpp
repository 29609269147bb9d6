#include "rest_budget.hpp"

#include <algorithm>

namespace tradepush::bybit {

bool
rest_budget::room(time now)
{
    auto const window = std::chrono::duration_cast<time>(cfg_.window);
    while(!answered_.empty() && now - answered_.front() >= window)
        answered_.pop_front();
    if(paused_ && (now < pause_until_ || probe_out_))
        return false;
    return in_flight_ + answered_.size() < cfg_.limit;
}

void
rest_budget::spend()
{
    ++in_flight_;
    // The first call after a pause is the probe: nothing else goes until it is answered.
    if(paused_)
        probe_out_ = true;
}

bool
rest_budget::waiting_up_to(rest_priority p) const
{
    for(std::size_t i = 0; i <= static_cast<std::size_t>(p); ++i)
        if(!queues_[i].empty())
            return true;
    return false;
}

bool
rest_budget::try_send(rest_priority p, time now)
{
    if(waiting_up_to(p) || !room(now))
        return false;
    spend();
    return true;
}

void
rest_budget::erase_from(rest_priority p, rest_ticket t)
{
    auto& q = queues_[static_cast<std::size_t>(p)];
    auto it = std::find_if(q.begin(), q.end(), [&](entry const& e) { return e.ticket == t; });
    if(it != q.end())
        q.erase(it);
}

void
rest_budget::enqueue(rest_priority p, rest_ticket t, time now)
{
    auto [it, fresh] = where_.try_emplace(key(t), p);
    if(!fresh) {
        if(static_cast<unsigned>(p) >= static_cast<unsigned>(it->second))
            return; // already waiting at this or a more urgent priority
        // Moves up; it keeps the time it has waited so far.
        auto& from = queues_[static_cast<std::size_t>(it->second)];
        auto e = std::find_if(from.begin(), from.end(), [&](entry const& x) { return x.ticket == t; });
        auto const since = e != from.end() ? e->since : now;
        erase_from(it->second, t);
        it->second = p;
        queues_[static_cast<std::size_t>(p)].push_back({t, since});
        return;
    }
    queues_[static_cast<std::size_t>(p)].push_back({t, now});
}

void
rest_budget::forget(std::uint64_t session)
{
    for(auto& q : queues_)
        std::erase_if(q, [&](entry const& e) { return e.ticket.session == session; });
    std::erase_if(where_, [&](auto const& kv) { return kv.first.first == session; });
}

std::optional<rest_grant>
rest_budget::next(time now)
{
    if(!room(now))
        return std::nullopt;
    for(std::size_t i = 0; i < queues_.size(); ++i) {
        auto& q = queues_[i];
        if(q.empty())
            continue;
        auto const e = q.front();
        q.pop_front();
        where_.erase(key(e.ticket));
        ++granted_[i];
        waited_s_[i] += std::chrono::duration<double>(now - e.since).count();
        spend();
        return rest_grant{e.ticket, static_cast<rest_priority>(i), now - e.since};
    }
    return std::nullopt;
}

std::optional<rest_budget::time>
rest_budget::next_at(time now)
{
    if(where_.empty() || (paused_ && probe_out_))
        return std::nullopt;
    if(room(now))
        return now;
    if(paused_ && now < pause_until_)
        return pause_until_;
    // Full: room comes when the oldest answer leaves the window, or with an answer.
    if(answered_.empty())
        return std::nullopt;
    return answered_.front() + std::chrono::duration_cast<time>(cfg_.window);
}

void
rest_budget::count(time now)
{
    room(now); // drops what left the window
    spend();
}

rest_transition
rest_budget::on_answer(rest_answer a, time now)
{
    if(in_flight_ > 0) {
        --in_flight_;
        answered_.push_back(now);
    }
    if(a == rest_answer::ip_limited) {
        bool const was = paused_;
        paused_ = true;
        probe_out_ = false;
        pause_until_ = now + std::chrono::duration_cast<time>(cfg_.ban_pause);
        if(was)
            return rest_transition::none;
        ++pauses_;
        return rest_transition::paused;
    }
    if(!paused_)
        return rest_transition::none;
    if(a == rest_answer::none) {
        // The probe got no answer (connect error, timeout): another one may try.
        if(now >= pause_until_)
            probe_out_ = false;
        return rest_transition::none;
    }
    // A call sent before the ban answered fine: it says nothing about the ban. Only the probe (sent
    // once the pause ended) or later calls lift it.
    if(now < pause_until_ || !probe_out_)
        return rest_transition::none;
    paused_ = false;
    probe_out_ = false;
    return rest_transition::resumed;
}

rest_budget_stats
rest_budget::stats(time now)
{
    room(now);
    rest_budget_stats s;
    for(std::size_t i = 0; i < queues_.size(); ++i)
        s.queued[i] = queues_[i].size();
    s.granted = granted_;
    s.waited_s = waited_s_;
    s.in_window = in_flight_ + answered_.size();
    s.pauses = pauses_;
    s.paused = paused_;
    return s;
}

} // namespace tradepush::bybit
