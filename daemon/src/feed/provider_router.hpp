#pragma once
// One feed::provider made of several: each exchange is served by one provider (the scripted feed,
// or a plugin), and the hub talks to the router as if it were one.

#include "feed/feed.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace tradepush::feed {

/// Routes provider calls by exchange. Account calls that carry no exchange (request_snapshot,
/// close_account) go where that (user, account) was opened; reset_user goes to every provider,
/// reset_user_on to the one serving the exchange.
/// Lives on the control strand like every provider; the providers must outlive it.
class provider_router final : public provider {
public:
    /// `control` is the control executor, where refusals are reported (never inside the hub's call).
    explicit provider_router(boost::asio::any_io_executor control) : control_(std::move(control)) {}

    /// Serves `exchange` with `p`. Call before set_sink; a later call for the same exchange replaces it.
    void add(std::string exchange, provider& p);

    void set_sink(sink* s) override;
    bool has_exchange(std::string_view exchange) const override;
    void open_account(std::string_view user, account const& acct, unsigned types, std::uint64_t epoch) override;
    void request_snapshot(std::string_view user, std::string_view account, stream_type type,
        std::uint64_t epoch) override;
    void close_account(std::string_view user, std::string_view account) override;
    void reset_user(std::string_view user) override;
    /// Resets the user on the one provider serving `exchange` only (plugin sessions of other exchanges
    /// stay). That provider's reset_user is not scoped, so every exchange it serves is returned; an
    /// exchange nobody serves resets nothing and returns an empty list.
    std::optional<std::vector<std::string>> reset_user_on(std::string_view user, std::string_view exchange) override;
    void subscribe_ticker(std::string_view exchange, std::string_view category, std::string_view symbol) override;
    void unsubscribe_ticker(std::string_view exchange, std::string_view category, std::string_view symbol) override;

    /// The exchanges served, sorted.
    std::vector<std::string> exchanges() const;

    /// (user, account) pairs whose provider is remembered (for tests: returns to 0 after resets).
    std::size_t open_accounts() const noexcept { return opened_.size(); }

private:
    provider* find(std::string_view exchange) const;
    std::vector<provider*> distinct() const;

    boost::asio::any_io_executor control_;
    sink* sink_ = nullptr;
    std::map<std::string, provider*, std::less<>> by_exchange_;
    using opened_map = std::map<std::pair<std::string, std::string>, provider*, std::less<>>;
    /// The first (user, account) entry of `user`, or where it would be.
    opened_map::iterator first_of(std::string_view user);

    opened_map opened_;
};

} // namespace tradepush::feed
