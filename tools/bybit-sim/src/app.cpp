#include "app.hpp"

#include "ws_conn.hpp"

#include <algorithm>
#include <cstdio>

namespace tradepush::bybit_sim {

app::app(sim_config cfg) : config_(cfg), engine_(clock_, cfg.seed) {}

app::~app() = default;

std::string
app::make_conn_id()
{
    // Shaped like the real ids ("cejreaspqfh3sjdnldmg-p"), unique per process, no RNG draw.
    char buf[48];
    std::snprintf(buf, sizeof buf, "sim%017llx-%llx", static_cast<unsigned long long>(++conn_seq_),
        static_cast<unsigned long long>(config_.seed & 0xffff));
    return buf;
}

http_reply
app::handle_http(http::request<http::string_body> const& req, std::string const& remote)
{
    auto const target = std::string_view(req.target().data(), req.target().size());
    if (target.rfind("/sim/", 0) == 0 || target == "/sim") {
        auto r = handle_control(*this, req);
        // Control actions change state: tell the private streams at once.
        flush_events();
        return r;
    }
    auto r = handle_rest(*this, req, remote);
    flush_events();
    return r;
}

void
app::tick()
{
    engine_.tick();
    // Copy: a send may drop an endpoint (queue overflow) and erase it from the set.
    auto const eps = std::vector<ws_endpoint*>(endpoints_.begin(), endpoints_.end());
    for (auto* ep : eps) {
        if (!endpoints_.count(ep))
            continue;
        for (auto& f : ep->conn().on_tick())
            ep->send(std::move(f));
    }
    flush_events();
}

void
app::flush_events()
{
    auto const raw = engine_.take_events();
    if (raw.empty())
        return;
    // Several fills from one action go out as one `execution` message with a multi-item `data`
    // array, as Bybit batches fills of one order (spec §5.4).
    std::vector<private_event> events;
    for (auto const& ev : raw) {
        if (ev.what == private_event::kind::execution) {
            auto it = std::find_if(events.begin(), events.end(), [&](private_event const& e) {
                return e.what == ev.what && e.user == ev.user && e.cat == ev.cat;
            });
            if (it != events.end()) {
                it->ids.insert(it->ids.end(), ev.ids.begin(), ev.ids.end());
                continue;
            }
        }
        events.push_back(ev);
        if (faults_.ws_duplicate_filled && ev.what == private_event::kind::order) {
            for (auto const& o : ev.orders) {
                if (o.status != "Filled")
                    continue;
                private_event dup = ev;
                dup.ids = {o.order_id};
                dup.orders = {o};
                dup.duplicate_filled = true;
                events.push_back(std::move(dup));
            }
        }
    }
    auto const eps = std::vector<ws_endpoint*>(endpoints_.begin(), endpoints_.end());
    for (auto const& ev : events)
        for (auto* ep : eps) {
            if (!endpoints_.count(ep))
                continue;
            for (auto& f : ep->conn().on_event(ev))
                ep->send(std::move(f));
        }
}

int
app::drop_ws(std::string const& channel, std::string const& user, bool abrupt)
{
    int n = 0;
    auto const eps = std::vector<ws_endpoint*>(endpoints_.begin(), endpoints_.end());
    for (auto* ep : eps) {
        if (!endpoints_.count(ep))
            continue;
        auto& c = ep->conn();
        if (channel != "all" && channel != to_string(c.channel()))
            continue;
        if (!user.empty() && c.user() != user)
            continue;
        ep->drop(abrupt);
        ++n;
    }
    counters_.ws_drops += n;
    return n;
}

} // namespace tradepush::bybit_sim
