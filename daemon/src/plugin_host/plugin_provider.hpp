#pragma once
// feed::provider over one plugin instance: the hub's calls become plugin commands, the host keeps the
// epoch fence, and a command the plugin refuses becomes a stream_status error (never silence).

#include "feed/feed.hpp"
#include "plugin_host/instance.hpp"

#include <memory>
#include <string_view>

namespace tradepush::plugin_host {

/// Serves the exchange named like the plugin. Called on the control executor (the instance's).
/// OWNERSHIP: borrows the instance, which must outlive the provider.
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

private:
    template<class F>
    void run(F&& f);

    instance& inst_;
    feed::sink* sink_ = nullptr;
    // Queued commands hold a weak_ptr to this: they are dropped once the provider is gone.
    std::shared_ptr<int> life_ = std::make_shared<int>(0);
};

} // namespace tradepush::plugin_host
