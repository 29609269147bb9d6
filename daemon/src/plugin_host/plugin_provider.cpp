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

plugin_provider::plugin_provider(instance& inst) noexcept : inst_(inst) {}

plugin_provider::~plugin_provider() = default;

/// Runs a command through the instance's serializer: entry points never nest, even when the hub
/// calls us from inside an emit of the same plugin, and queued commands keep their order.
template<class F>
void
plugin_provider::run(F&& f)
{
    inst_.run_serially([life = std::weak_ptr<int>(life_), f = std::forward<F>(f)]() mutable {
        if(life.expired())
            return;
        f();
    });
}

void
plugin_provider::set_sink(feed::sink* s)
{
    sink_ = s;
    inst_.set_sink(s);
}

bool
plugin_provider::has_exchange(std::string_view exchange) const
{
    return exchange == inst_.name();
}

void
plugin_provider::open_account(std::string_view user, feed::account const& acct, unsigned types, std::uint64_t epoch)
{
    // The epoch moves now, not when the queued command runs: from this call on, only answers of the
    // new epoch count.
    inst_.set_epoch(user, epoch);
    auto const mask = static_cast<std::uint32_t>(types & ((1u << feed::stream_type_count) - 1));
    run([this, user = std::string(user), acct, mask, epoch] {
        auto const st = inst_.open_account(user, epoch, acct, mask);
        if(st == TRADEPUSH_OK)
            return;
        spdlog::warn("[{}] open_account {} / {} refused: {}", inst_.name(), user, acct.label, to_string(st));
        // Only the epoch still current deserves an answer; the hub would drop the rest anyway.
        if(sink_ && inst_.is_current(user, epoch))
            sink_->on_account_status(user, acct.label, std::nullopt, feed::stream_state::error, status_code(st),
                refusal(inst_.name(), "open_account", st), epoch);
    });
}

void
plugin_provider::request_snapshot(std::string_view user, std::string_view account, feed::stream_type type,
    std::uint64_t epoch)
{
    inst_.set_epoch(user, epoch);
    run([this, user = std::string(user), account = std::string(account), type, epoch] {
        auto const st = inst_.request_snapshot(user, epoch, account, static_cast<int>(type));
        if(st == TRADEPUSH_OK)
            return;
        spdlog::warn("[{}] request_snapshot {} / {} refused: {}", inst_.name(), user, account, to_string(st));
        if(sink_ && inst_.is_current(user, epoch))
            sink_->on_account_status(user, account, type, feed::stream_state::error, status_code(st),
                refusal(inst_.name(), "request_snapshot", st), epoch);
    });
}

void
plugin_provider::close_account(std::string_view user, std::string_view account)
{
    auto const epoch = inst_.epoch(user).value_or(0);
    run([this, user = std::string(user), account = std::string(account), epoch] {
        // Nobody listens to a closed account any more: a refusal is only logged.
        if(auto st = inst_.close_account(user, epoch, account); st != TRADEPUSH_OK)
            spdlog::warn("[{}] close_account {} / {}: {}", inst_.name(), user, account, to_string(st));
    });
}

void
plugin_provider::reset_user(std::string_view user)
{
    // The fence is synchronous: when this returns nothing of the old owner is delivered any more.
    auto const old = inst_.fence_user(user);
    run([this, user = std::string(user), old] {
        if(auto st = inst_.reset_user(user, old); st != TRADEPUSH_OK)
            spdlog::warn("[{}] reset_user {}: {}", inst_.name(), user, to_string(st));
    });
}

void
plugin_provider::subscribe_ticker(std::string_view exchange, std::string_view category, std::string_view symbol)
{
    if(!has_exchange(exchange))
        return;
    run([this, category = std::string(category), symbol = std::string(symbol)] {
        auto const st = inst_.subscribe_ticker(category, symbol);
        if(st == TRADEPUSH_OK)
            return;
        spdlog::warn("[{}] subscribe_ticker {}/{} refused: {}", inst_.name(), category, symbol, to_string(st));
        if(sink_)
            sink_->on_ticker_status(inst_.name(), category, symbol, feed::stream_state::error, status_code(st),
                refusal(inst_.name(), "subscribe_ticker", st));
    });
}

void
plugin_provider::unsubscribe_ticker(std::string_view exchange, std::string_view category, std::string_view symbol)
{
    if(!has_exchange(exchange))
        return;
    run([this, category = std::string(category), symbol = std::string(symbol)] {
        if(auto st = inst_.unsubscribe_ticker(category, symbol); st != TRADEPUSH_OK)
            spdlog::warn("[{}] unsubscribe_ticker {}/{}: {}", inst_.name(), category, symbol, to_string(st));
    });
}

} // namespace tradepush::plugin_host
