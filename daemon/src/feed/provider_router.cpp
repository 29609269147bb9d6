#include "feed/provider_router.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>

namespace tradepush::feed {

void
provider_router::add(std::string exchange, provider& p)
{
    by_exchange_[std::move(exchange)] = &p;
}

provider*
provider_router::find(std::string_view exchange) const
{
    auto it = by_exchange_.find(exchange);
    return it == by_exchange_.end() ? nullptr : it->second;
}

std::vector<provider*>
provider_router::distinct() const
{
    std::vector<provider*> out;
    for(auto const& [name, p] : by_exchange_)
        if(std::find(out.begin(), out.end(), p) == out.end())
            out.push_back(p);
    return out;
}

void
provider_router::set_sink(sink* s)
{
    sink_ = s;
    for(auto* p : distinct())
        p->set_sink(s);
}

std::vector<std::string>
provider_router::exchanges() const
{
    std::vector<std::string> out;
    for(auto const& [name, p] : by_exchange_)
        out.push_back(name);
    return out;
}

bool
provider_router::has_exchange(std::string_view exchange) const
{
    auto* p = find(exchange);
    return p && p->has_exchange(exchange);
}

void
provider_router::open_account(std::string_view user, account const& acct, unsigned types, std::uint64_t epoch)
{
    auto* p = find(acct.exchange);
    if(!p) {
        // The credentials store names an exchange nothing serves: say so instead of going silent.
        boost::asio::post(control_, [this, user = std::string(user), label = acct.label,
                                        exchange = acct.exchange, epoch] {
            if(sink_)
                sink_->on_account_status(user, label, std::nullopt, stream_state::error, "unknown_exchange",
                    "no feed serves exchange '" + exchange + "'", epoch);
        });
        return;
    }
    opened_[{std::string(user), acct.label}] = p;
    p->open_account(user, acct, types, epoch);
}

void
provider_router::request_snapshot(std::string_view user, std::string_view account, stream_type type,
    std::uint64_t epoch)
{
    auto it = opened_.find(std::pair<std::string, std::string>(user, account));
    if(it != opened_.end())
        it->second->request_snapshot(user, account, type, epoch);
}

void
provider_router::close_account(std::string_view user, std::string_view account)
{
    auto it = opened_.find(std::pair<std::string, std::string>(user, account));
    if(it == opened_.end())
        return;
    it->second->close_account(user, account);
    opened_.erase(it);
}

// The user's accounts are adjacent in opened_: a reset walks only them (it runs on every new user
// session, so a scan of all users made connect storms quadratic).
provider_router::opened_map::iterator
provider_router::first_of(std::string_view user)
{
    return opened_.lower_bound(std::pair<std::string, std::string>(user, std::string()));
}

void
provider_router::reset_user(std::string_view user)
{
    // Every provider may hold state of the user (one account per exchange), so all are fenced.
    for(auto* p : distinct())
        p->reset_user(user);
    for(auto it = first_of(user); it != opened_.end() && it->first.first == user;)
        it = opened_.erase(it);
}

std::optional<std::vector<std::string>>
provider_router::reset_user_on(std::string_view user, std::string_view exchange)
{
    std::vector<std::string> reset;
    auto* p = find(exchange);
    if(!p)
        return reset;
    p->reset_user(user);
    for(auto const& [name, q] : by_exchange_)
        if(q == p)
            reset.push_back(name);
    for(auto it = first_of(user); it != opened_.end() && it->first.first == user;)
        it = it->second == p ? opened_.erase(it) : std::next(it);
    return reset;
}

void
provider_router::subscribe_ticker(std::string_view exchange, std::string_view category, std::string_view symbol)
{
    if(auto* p = find(exchange))
        p->subscribe_ticker(exchange, category, symbol);
}

void
provider_router::unsubscribe_ticker(std::string_view exchange, std::string_view category, std::string_view symbol)
{
    if(auto* p = find(exchange))
        p->unsubscribe_ticker(exchange, category, symbol);
}

} // namespace tradepush::feed
