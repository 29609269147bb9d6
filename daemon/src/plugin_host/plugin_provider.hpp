#pragma once
// feed::provider over a plugin instance: the hub's calls become plugin commands, the host keeps the
// epoch fence, and a command the plugin refuses becomes a stream_status error (never silence).
// It also keeps the registry of live account sessions and ticker subscriptions, so a hot reload can
// re-open all of them on a new instance (switch_to) while the hub and router keep pointing here.

#include "feed/feed.hpp"
#include "plugin_host/instance.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>

namespace tradepush::plugin_host {

/// Serves the exchange named like the plugin. Called on the control executor (the instance's).
/// OWNERSHIP: borrows the instance, which must outlive the provider or be replaced by switch_to.
class plugin_provider : public feed::provider {
public:
    explicit plugin_provider(instance& inst) noexcept;
    ~plugin_provider() override;
    plugin_provider(plugin_provider const&) = delete;
    plugin_provider& operator=(plugin_provider const&) = delete;

    // feed::provider
    void set_sink(feed::sink* s) override;
    bool has_exchange(std::string_view exchange) const override;
    void open_account(std::string_view user, feed::account const& acct, unsigned types,
        std::uint64_t epoch) override;
    void request_snapshot(std::string_view user, std::string_view account, feed::stream_type type,
        std::uint64_t epoch) override;
    void close_account(std::string_view user, std::string_view account) override;
    void reset_user(std::string_view user) override;
    void subscribe_ticker(std::string_view exchange, std::string_view category, std::string_view symbol) override;
    void unsubscribe_ticker(std::string_view exchange, std::string_view category, std::string_view symbol) override;

    /// Hot reload: from now on `next` (created, unused, same name) serves every call. The current
    /// instance is detached (its emits are dropped, its queued commands never run), the sink hears
    /// on_upstream_restart, and every live account session and ticker subscription is re-opened on
    /// `next` with the epochs the hub uses. Returns the former instance for the caller to destroy.
    /// Must not be called from inside a plugin call.
    instance& switch_to(instance& next);

    /// The instance serving now.
    instance& current() noexcept { return *inst_; }
    /// Account sessions (user, account) a reload would re-open.
    std::size_t live_accounts() const noexcept { return accounts_.size(); }
    /// Ticker subscriptions (category, symbol) a reload would re-open.
    std::size_t live_tickers() const noexcept { return tickers_.size(); }

private:
    /// An account session as the hub last asked for it.
    struct live_account {
        feed::account acct;
        std::uint32_t mask = 0; ///< stream types asked for in this epoch
        std::uint64_t epoch = 0;
    };
    using account_key = std::pair<std::string, std::string>; ///< (user, account label)

    template<class F>
    void run(F&& f);
    void start_open(std::string const& user, live_account const& la);
    void start_ticker(std::string const& category, std::string const& symbol);

    instance* inst_;
    feed::sink* sink_ = nullptr;
    std::map<account_key, live_account, std::less<>> accounts_;
    std::set<std::pair<std::string, std::string>, std::less<>> tickers_;
    // Queued commands hold a weak_ptr to this: they are dropped once the provider is gone.
    std::shared_ptr<int> life_ = std::make_shared<int>(0);
};

} // namespace tradepush::plugin_host
