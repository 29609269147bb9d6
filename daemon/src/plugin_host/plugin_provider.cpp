#include "plugin_host/plugin_provider.hpp"

#include <spdlog/spdlog.h>

#include <string>
#include <utility>

namespace tradepush::plugin_host {

namespace {

/// Message of a refused command, for the client's stream_status.
std::string
refusal(std::string_view plugin, char const* command, tradepush_status st)
{
    std::string m(plugin);
    m += ": ";
    m += command;
    m += " refused (";
    m += to_string(st);
    m += ")";
    return m;
}

} // namespace

plugin_provider::plugin_provider(instance& inst) noexcept : inst_(&inst) {}

plugin_provider::~plugin_provider() = default;

/// Runs a command through the serving instance's serializer: entry points never nest, even when the
/// hub calls us from inside an emit of the same plugin, and queued commands keep their order. The
/// command is bound to that instance: after a switch_to, commands queued on the old one die with it
/// (the registry replay covers them).
template<class F>
void
plugin_provider::run(F&& f)
{
    inst_->run_serially([life = std::weak_ptr<int>(life_), inst = inst_, f = std::forward<F>(f)]() mutable {
        if(life.expired())
            return;
        f(*inst);
    });
}

void
plugin_provider::set_sink(feed::sink* s)
{
    sink_ = s;
    inst_->set_sink(s);
}

bool
plugin_provider::has_exchange(std::string_view exchange) const
{
    return exchange == inst_->name();
}

void
plugin_provider::open_account(std::string_view user, feed::account const& acct, unsigned types, std::uint64_t epoch)
{
    auto const mask = static_cast<std::uint32_t>(types & ((1u << feed::stream_type_count) - 1));
    auto& la = accounts_[account_key(user, acct.label)];
    // A new epoch is a new session: what the old one asked for no longer counts.
    la.mask = la.epoch == epoch ? (la.mask | mask) : mask;
    la.acct = acct;
    la.epoch = epoch;
    start_open(std::string(user), live_account{acct, mask, epoch});
}

void
plugin_provider::start_open(std::string const& user, live_account const& la)
{
    // The epoch moves now, not when the queued command runs: from this call on, only answers of the
    // new epoch count.
    inst_->set_epoch(user, la.epoch);
    run([this, user, acct = la.acct, mask = la.mask, epoch = la.epoch](instance& inst) {
        auto const st = inst.open_account(user, epoch, acct, mask);
        if(st == TRADEPUSH_OK)
            return;
        spdlog::warn("[{}] open_account {} / {} refused: {}", inst.name(), user, acct.label, to_string(st));
        // Only the epoch still current deserves an answer; the hub would drop the rest anyway.
        if(sink_ && inst.is_current(user, epoch))
            sink_->on_account_status(user, acct.label, std::nullopt, feed::stream_state::error, status_code(st),
                refusal(inst.name(), "open_account", st), epoch);
    });
}

void
plugin_provider::request_snapshot(std::string_view user, std::string_view account, feed::stream_type type,
    std::uint64_t epoch)
{
    if(auto it = accounts_.find(account_key(user, account)); it != accounts_.end() && it->second.epoch == epoch)
        it->second.mask |= 1u << static_cast<unsigned>(type);
    inst_->set_epoch(user, epoch);
    run([this, user = std::string(user), account = std::string(account), type, epoch](instance& inst) {
        auto const st = inst.request_snapshot(user, epoch, account, static_cast<int>(type));
        if(st == TRADEPUSH_OK)
            return;
        spdlog::warn("[{}] request_snapshot {} / {} refused: {}", inst.name(), user, account, to_string(st));
        if(sink_ && inst.is_current(user, epoch))
            sink_->on_account_status(user, account, type, feed::stream_state::error, status_code(st),
                refusal(inst.name(), "request_snapshot", st), epoch);
    });
}

void
plugin_provider::close_account(std::string_view user, std::string_view account)
{
    accounts_.erase(account_key(user, account));
    auto const epoch = inst_->epoch(user).value_or(0);
    run([user = std::string(user), account = std::string(account), epoch](instance& inst) {
        // Nobody listens to a closed account any more: a refusal is only logged.
        if(auto st = inst.close_account(user, epoch, account); st != TRADEPUSH_OK)
            spdlog::warn("[{}] close_account {} / {}: {}", inst.name(), user, account, to_string(st));
    });
}

void
plugin_provider::reset_user(std::string_view user)
{
    for(auto it = accounts_.lower_bound(account_key(user, "")); it != accounts_.end() && it->first.first == user;)
        it = accounts_.erase(it);
    // The fence is synchronous: when this returns nothing of the old owner is delivered any more.
    auto const old = inst_->fence_user(user);
    run([user = std::string(user), old](instance& inst) {
        if(auto st = inst.reset_user(user, old); st != TRADEPUSH_OK)
            spdlog::warn("[{}] reset_user {}: {}", inst.name(), user, to_string(st));
    });
}

void
plugin_provider::subscribe_ticker(std::string_view exchange, std::string_view category, std::string_view symbol)
{
    if(!has_exchange(exchange))
        return;
    auto const [it, added] = tickers_.emplace(category, symbol);
    (void)added; // the hub subscribes once per stream; a repeat is simply asked again
    start_ticker(it->first, it->second);
}

void
plugin_provider::start_ticker(std::string const& category, std::string const& symbol)
{
    run([this, category, symbol](instance& inst) {
        auto const st = inst.subscribe_ticker(category, symbol);
        if(st == TRADEPUSH_OK)
            return;
        spdlog::warn("[{}] subscribe_ticker {}/{} refused: {}", inst.name(), category, symbol, to_string(st));
        if(sink_)
            sink_->on_ticker_status(inst.name(), category, symbol, feed::stream_state::error, status_code(st),
                refusal(inst.name(), "subscribe_ticker", st));
    });
}

void
plugin_provider::unsubscribe_ticker(std::string_view exchange, std::string_view category, std::string_view symbol)
{
    if(!has_exchange(exchange))
        return;
    tickers_.erase(std::pair<std::string, std::string>(category, symbol));
    run([category = std::string(category), symbol = std::string(symbol)](instance& inst) {
        if(auto st = inst.unsubscribe_ticker(category, symbol); st != TRADEPUSH_OK)
            spdlog::warn("[{}] unsubscribe_ticker {}/{}: {}", inst.name(), category, symbol, to_string(st));
    });
}

instance&
plugin_provider::switch_to(instance& next)
{
    auto& old = *inst_;
    old.set_sink(nullptr);
    inst_ = &next;
    next.set_sink(sink_);
    // Before the replay, so the hub treats what it brings as fresh snapshots for everyone.
    if(sink_)
        sink_->on_upstream_restart(next.name());
    for(auto const& [key, la] : accounts_)
        start_open(key.first, la);
    for(auto const& [category, symbol] : tickers_)
        start_ticker(category, symbol);
    return old;
}

} // namespace tradepush::plugin_host
