// The adapter's REST budgets: one per Bybit host, shared by every account session (rest_budget.hpp),
// and the timer that lets waiting calls go as the window makes room.
#include "adapter.hpp"

#include <string>

namespace tradepush::bybit {

namespace {

// "https://api.bybit.com" -> "api.bybit.com": networks configured with one host share its budget
// (Bybit counts per address, and one host is one address as far as we can tell).
std::string
host_of(std::string const& url)
{
    auto const start = url.find("://");
    auto const from = start == std::string::npos ? 0 : start + 3;
    return url.substr(from, url.find('/', from) - from);
}

char const*
priority_name(std::size_t i)
{
    static constexpr char const* names[] = {"snapshot", "reconnect", "periodic"};
    return names[i];
}

} // namespace

void
adapter::init_budgets()
{
    rest_budget_config bc;
    bc.limit = cfg_.rest_ip_limit;
    bc.window = cfg_.rest_ip_window;
    bc.ban_pause = cfg_.ip_ban_backoff;
    for(std::size_t n = 0; n < budgets_.size(); ++n) {
        budgets_[n] = rest_budget(bc);
        budget_index_[n] = n;
        for(std::size_t m = 0; m < n; ++m) {
            if(host_of(cfg_.urls[m].rest) == host_of(cfg_.urls[n].rest)) {
                budget_index_[n] = budget_index_[m];
                break;
            }
        }
    }
}

bool
adapter::rest_turn(network n, rest_priority p, std::uint64_t session, unsigned resource)
{
    auto const b = budget_index_[static_cast<std::size_t>(n)];
    auto& budget = budgets_[b];
    auto const now = host_.now();
    rest_ticket const t{session, resource};
    // A call already waiting keeps its place (moving up if this is more urgent): never twice in line.
    if(!budget.queued(t) && budget.try_send(p, now))
        return true;
    budget.enqueue(p, t, now);
    arm_pump(b);
    return false;
}

void
adapter::rest_answered(network n, rest_answer a)
{
    auto const b = budget_index_[static_cast<std::size_t>(n)];
    auto const change = budgets_[b].on_answer(a, host_.now());
    // Once per host, not once per account: one ban concerns every account behind this address.
    if(change == rest_transition::paused) {
        host_.log(sdk::log_level::error,
            "bybit answered HTTP 403 (IP rate limit) on " + host_of(cfg_.urls_of(n).rest)
                + ": every account on that host pauses for " + std::to_string(cfg_.ip_ban_backoff.count())
                + " ms, then one probe request decides when they resume");
        host_.metric("bybit_ip_pauses", sdk::metric_kind::counter, 1);
    } else if(change == rest_transition::resumed) {
        host_.log(sdk::log_level::warn, "bybit IP limit lifted on " + host_of(cfg_.urls_of(n).rest)
                + ": accounts resume");
    }
    arm_pump(b);
}

void
adapter::rest_forget(network n, std::uint64_t session)
{
    budgets_[budget_index_[static_cast<std::size_t>(n)]].forget(session);
}

void
adapter::arm_pump(std::size_t b)
{
    auto const now = host_.now();
    auto const at = budgets_[b].next_at(now);
    if(!at) {
        host_.cancel(pump_timer_[b]);
        pump_timer_[b] = 0;
        return;
    }
    // An armed timer due no later than needed stays: a burst of calls re-arms nothing.
    if(pump_timer_[b] != 0 && pump_at_[b] <= *at)
        return;
    host_.cancel(pump_timer_[b]);
    pump_at_[b] = *at;
    // Public owner: the line serves every user, and no user's reset may cancel its timer.
    pump_timer_[b] = host_.start_timer(sdk::owner{}, *at > now ? *at - now : std::chrono::nanoseconds{0},
        make_cookie(first_budget_id + b, static_cast<unsigned>(budget_op::pump)));
}

void
adapter::on_pump(sdk::op op, std::size_t b)
{
    if(op != pump_timer_[b])
        return;
    pump_timer_[b] = 0;
    auto& budget = budgets_[b];
    // Each turn goes to its session, which sends at once; a session that is gone lost its tickets in
    // stop(), so a missing one here is only a leftover and its turn is simply not used.
    while(auto g = budget.next(host_.now())) {
        host_.metric(std::string("bybit_rest_wait_seconds_") + priority_name(static_cast<std::size_t>(g->priority)),
            sdk::metric_kind::histogram, std::chrono::duration<double>(g->waited).count());
        if(auto it = sessions_by_id_.find(g->ticket.session); it != sessions_by_id_.end())
            it->second->on_rest_turn(static_cast<resource>(g->ticket.resource));
    }
    auto const st = budget.stats(host_.now());
    for(std::size_t i = 0; i < rest_priority_count; ++i)
        host_.metric(std::string("bybit_rest_queued_") + priority_name(i), sdk::metric_kind::gauge,
            static_cast<double>(st.queued[i]));
    host_.metric("bybit_rest_in_window", sdk::metric_kind::gauge, static_cast<double>(st.in_window));
    arm_pump(b);
}

} // namespace tradepush::bybit
