#pragma once
// An in-process upstream: deterministic, realistic normalized data for any (user, account) and any
// ticker. The daemon serves it until exchange plugins exist; tests drive it through its controls.

#include "feed/feed.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tradepush::feed {

namespace net = boost::asio;

/// Tunables of the scripted feed.
struct scripted_options {
    /// How often every open account and subscribed ticker changes a little; 0 = never.
    std::chrono::milliseconds tick_interval{1000};
    /// How long a snapshot (open_account, request_snapshot, first ticker) takes to arrive.
    std::chrono::milliseconds snapshot_delay{0};
    /// Exchanges has_exchange() accepts.
    std::vector<std::string> exchanges{"bybit"};
};

/// A provider that invents its data. Every call, including the test controls, must be made on the
/// control executor it was built with; answers to provider calls arrive later (never inside the
/// call), test controls report synchronously. Pending answers and timers die with the object.
class scripted_feed : public provider {
public:
    /// How often each provider entry point was called (for tests).
    struct counters {
        std::size_t opens = 0;               ///< open_account
        std::size_t closes = 0;              ///< close_account
        std::size_t resets = 0;              ///< reset_user
        std::size_t snapshot_requests = 0;   ///< request_snapshot
        std::size_t ticker_subscribes = 0;   ///< subscribe_ticker
        std::size_t ticker_unsubscribes = 0; ///< unsubscribe_ticker
    };

    /// Runs its timers on `control` (the control strand).
    explicit scripted_feed(net::any_io_executor control, scripted_options opts = {});
    ~scripted_feed() override;
    scripted_feed(scripted_feed const&) = delete;
    scripted_feed& operator=(scripted_feed const&) = delete;

    // provider
    void set_sink(sink* s) override;
    bool has_exchange(std::string_view exchange) const override;
    void open_account(std::string_view user, account const& acct, unsigned types, std::uint64_t epoch) override;
    void request_snapshot(std::string_view user, std::string_view account, stream_type type,
        std::uint64_t epoch) override;
    void close_account(std::string_view user, std::string_view account) override;
    void reset_user(std::string_view user) override;
    void subscribe_ticker(std::string_view exchange, std::string_view category, std::string_view symbol) override;
    void unsubscribe_ticker(std::string_view exchange, std::string_view category, std::string_view symbol) override;

    // Test controls

    /// Delay of snapshots requested from now on.
    void set_snapshot_delay(std::chrono::milliseconds delay);
    /// Moves an open account one step and reports every type it serves now (no-op when not open).
    /// Also clears a failure set by fail_account.
    void push_account_change(std::string_view user, std::string_view account);
    /// Reports `data` as the latest ticker of a subscribed symbol (no-op when not subscribed).
    void push_ticker(std::string_view exchange, std::string_view category, std::string_view symbol,
        boost::json::value data);
    /// Reports an error status for all streams of an open account and stops its ticks until the next
    /// push_account_change.
    void fail_account(std::string_view user, std::string_view account, std::string_view code,
        std::string_view message);
    /// Call counts so far.
    counters const& stats() const noexcept;
    /// Number of open (user, account) sessions.
    std::size_t open_sessions() const noexcept;
    /// Number of subscribed ticker streams.
    std::size_t ticker_streams() const noexcept;

    struct impl;

private:
    // Shared so that timer handlers can hold a weak reference and find out the feed is gone.
    std::shared_ptr<impl> impl_;
};

} // namespace tradepush::feed
