// The adapter's waiting lines, one per Bybit host and kind, shared by every account session
// (rest_budget.hpp): REST calls against the per-IP request limit, and new private WebSocket
// connections against the per-domain connection limit. Each has a timer that lets waiting calls go
// as its window makes room.
#include "adapter.hpp"

#include <string>

namespace tradepush::bybit {

namespace {

// "https://api.bybit.com" -> "api.bybit.com": networks configured with one host share its line
// (Bybit counts per address and per domain).
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

// index[n] = the first network whose URL (by `url_of`) has the same host as n's.
template<class UrlOf>
void
alias_hosts(std::array<std::size_t, 3>& index, UrlOf url_of)
{
    for(std::size_t n = 0; n < index.size(); ++n) {
        index[n] = n;
        for(std::size_t m = 0; m < n; ++m)
            if(host_of(url_of(m)) == host_of(url_of(n))) {
                index[n] = index[m];
                break;
            }
    }
}

} // namespace

void
adapter::init_budgets()
{
    rest_budget_config rc;
    rc.limit = cfg_.rest_ip_limit;
    rc.window = cfg_.rest_ip_window;
    rc.ban_pause = cfg_.ip_ban_backoff;
    rest_budget_config wc;
    wc.limit = cfg_.ws_open_limit;
    wc.window = cfg_.ws_open_window;
    for(auto& l : rest_lines_)
        l.budget = rest_budget(rc);
    for(auto& l : ws_lines_)
        l.budget = rest_budget(wc);
    alias_hosts(rest_index_, [this](std::size_t n) { return cfg_.urls[n].rest; });
    alias_hosts(ws_index_, [this](std::size_t n) { return cfg_.urls[n].ws_private; });
}

bool
adapter::rest_turn(network n, rest_priority p, std::uint64_t session, unsigned resource)
{
    auto const b = rest_index_[static_cast<std::size_t>(n)];
    auto& l = rest_lines_[b];
    auto const now = host_.now();
    rest_ticket const t{session, resource};
    // A call already waiting keeps its place (moving up if this is more urgent): never twice in line.
    if(!l.budget.queued(t) && l.budget.try_send(p, now))
        return true;
    l.budget.enqueue(p, t, now);
    arm_pump(l, first_rest_line_id + b);
    return false;
}

void
adapter::rest_answered(network n, rest_answer a)
{
    auto const b = rest_index_[static_cast<std::size_t>(n)];
    auto& l = rest_lines_[b];
    auto const change = l.budget.on_answer(a, host_.now());
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
    arm_pump(l, first_rest_line_id + b);
}

bool
adapter::ws_turn(network n, std::uint64_t session)
{
    auto const b = ws_index_[static_cast<std::size_t>(n)];
    auto& l = ws_lines_[b];
    auto const now = host_.now();
    rest_ticket const t{session, 0};
    if(!l.budget.queued(t) && l.budget.try_send(rest_priority::snapshot, now))
        return true;
    l.budget.enqueue(rest_priority::snapshot, t, now);
    arm_pump(l, first_ws_line_id + b);
    return false;
}

void
adapter::ws_attempt_done(network n)
{
    auto const b = ws_index_[static_cast<std::size_t>(n)];
    ws_lines_[b].budget.on_answer(rest_answer::fine, host_.now());
    arm_pump(ws_lines_[b], first_ws_line_id + b);
}

void
adapter::forget_turns(network n, std::uint64_t session)
{
    rest_lines_[rest_index_[static_cast<std::size_t>(n)]].budget.forget(session);
    ws_lines_[ws_index_[static_cast<std::size_t>(n)]].budget.forget(session);
}

void
adapter::arm_pump(line& l, std::uint64_t id)
{
    auto const now = host_.now();
    auto const at = l.budget.next_at(now);
    if(!at) {
        host_.cancel(l.timer);
        l.timer = 0;
        return;
    }
    // An armed timer due no later than needed stays: a burst of calls re-arms nothing.
    if(l.timer != 0 && l.at <= *at)
        return;
    host_.cancel(l.timer);
    l.at = *at;
    // Public owner: the line serves every user, and no user's reset may cancel its timer.
    l.timer = host_.start_timer(sdk::owner{}, *at > now ? *at - now : std::chrono::nanoseconds{0},
        make_cookie(id, static_cast<unsigned>(budget_op::pump)));
}

void
adapter::on_pump(sdk::op op, std::uint64_t id)
{
    bool const ws = id >= first_ws_line_id;
    auto& l = ws ? ws_lines_[id - first_ws_line_id] : rest_lines_[id - first_rest_line_id];
    if(op != l.timer)
        return;
    l.timer = 0;
    // Each turn goes to its session, which sends (or connects) at once; a session that is gone lost
    // its tickets in stop(), so a missing one here is only a leftover and its turn goes unused.
    while(auto g = l.budget.next(host_.now())) {
        auto it = sessions_by_id_.find(g->ticket.session);
        auto* s = it == sessions_by_id_.end() ? nullptr : it->second;
        if(!ws)
            host_.metric(std::string("bybit_rest_wait_seconds_") + priority_name(static_cast<std::size_t>(g->priority)),
                sdk::metric_kind::histogram, std::chrono::duration<double>(g->waited).count());
        bool const used = s && (ws ? s->on_ws_turn() : s->on_rest_turn(static_cast<resource>(g->ticket.resource)));
        // An unused turn gives its place back (it frees a window from now, like a call without answer).
        if(!used)
            l.budget.on_answer(rest_answer::none, host_.now());
    }
    auto const st = l.budget.stats(host_.now());
    if(ws) {
        host_.metric("bybit_ws_open_queued", sdk::metric_kind::gauge, static_cast<double>(st.queued[0]));
    } else {
        for(std::size_t i = 0; i < rest_priority_count; ++i)
            host_.metric(std::string("bybit_rest_queued_") + priority_name(i), sdk::metric_kind::gauge,
                static_cast<double>(st.queued[i]));
        host_.metric("bybit_rest_in_window", sdk::metric_kind::gauge, static_cast<double>(st.in_window));
    }
    arm_pump(l, id);
}

} // namespace tradepush::bybit
