#include "plugin_host/op_registry.hpp"

#include <utility>
#include <vector>

namespace tradepush::plugin_host {

tradepush_op
op_registry::add(std::string_view user, std::uint64_t epoch, op_kind kind, std::uint64_t cookie)
{
    tradepush_op const op = next_++;
    op_record rec;
    rec.user.assign(user);
    rec.epoch = epoch;
    rec.kind = kind;
    rec.cookie = cookie;
    by_user_[rec.user].insert(op);
    ops_.emplace(op, std::move(rec));
    return op;
}

op_record*
op_registry::find(tradepush_op op) noexcept
{
    auto it = ops_.find(op);
    return it == ops_.end() ? nullptr : &it->second;
}

void
op_registry::unindex(tradepush_op op, std::string const& user) noexcept
{
    auto u = by_user_.find(user);
    if(u == by_user_.end())
        return;
    u->second.erase(op);
    // Drop empty entries so user churn leaves no trace (DESIGN invariant 3).
    if(u->second.empty())
        by_user_.erase(u);
}

bool
op_registry::erase(tradepush_op op) noexcept
{
    auto it = ops_.find(op);
    if(it == ops_.end())
        return false;
    unindex(op, it->second.user);
    ops_.erase(it);
    return true;
}

bool
op_registry::cancel(tradepush_op op)
{
    auto it = ops_.find(op);
    if(it == ops_.end())
        return false;
    // Take the record out first: the cancel function may re-enter the registry (a synchronous
    // completion of a fake backend, say) and must find the op already gone.
    op_record rec = std::move(it->second);
    unindex(op, rec.user);
    ops_.erase(it);
    if(rec.cancel)
        rec.cancel();
    return true;
}

std::size_t
op_registry::cancel_user(std::string_view user)
{
    auto u = by_user_.find(std::string(user));
    if(u == by_user_.end())
        return 0;
    // Copy the ids: cancel() edits the index we would be iterating.
    std::vector<tradepush_op> ids(u->second.begin(), u->second.end());
    std::size_t n = 0;
    for(auto op : ids)
        n += cancel(op) ? 1 : 0;
    return n;
}

std::size_t
op_registry::cancel_all()
{
    std::vector<tradepush_op> ids;
    ids.reserve(ops_.size());
    for(auto const& [op, rec] : ops_)
        ids.push_back(op);
    std::size_t n = 0;
    for(auto op : ids)
        n += cancel(op) ? 1 : 0;
    return n;
}

std::size_t
op_registry::size(std::string_view user) const
{
    auto u = by_user_.find(std::string(user));
    return u == by_user_.end() ? 0 : u->second.size();
}

} // namespace tradepush::plugin_host
