#pragma once
// The Bybit adapter: the plugin class behind libtradepush-bybit.so. It owns the account sessions (one
// per (user, account)), the public ticker streams (one per (category, symbol), shared), the server clock
// of each environment and the live mark prices, and routes every host completion to its owner by the
// cookie (services.hpp). Everything runs on the instance strand; nothing here blocks or owns threads.

#include "account_session.hpp"
#include "backoff.hpp"
#include "config.hpp"
#include "rest_budget.hpp"
#include "services.hpp"
#include "ticker_stream.hpp"
#include "time_sync.hpp"

#include <tradepush/plugin.hpp>

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace tradepush::bybit {

/// What the plugin declares to the host (streams and ticker categories served).
inline constexpr char features_json[] = R"({"account_streams":["balance","positions","pnl","orders"],)"
                                        R"("tickers":["linear","spot"],"networks":["mainnet","testnet","demo"]})";

/// The plugin class (see the file comment). Its public handlers match the SDK's plugin.hpp shapes.
class adapter final : public account_services, public ticker_services {
public:
    /// Validates the config; throws std::invalid_argument with the reason (create() then fails with it).
    adapter(sdk::host host, std::string_view config_json);
    /// Cancels every operation (the host has cancelled them already; this is belt and braces).
    ~adapter() override;

    adapter(adapter const&) = delete;
    adapter& operator=(adapter const&) = delete;

    /// Host completions, routed by cookie.
    void on_timer(sdk::op op, std::uint64_t cookie);
    /// An HTTP request finished.
    void on_http_done(sdk::op op, std::uint64_t cookie, sdk::http_response const& response);
    /// A WebSocket event.
    void on_ws_event(sdk::op op, std::uint64_t cookie, sdk::ws_event_kind kind, std::string_view data);

    /// Opens (or keeps) the session of (owner.user, account.label) and snapshots the streams in mask.
    sdk::status open_account(sdk::owner const& owner, sdk::account const& account, std::uint32_t stream_mask);
    /// Delivers one stream of an open session: cached state at once, a fresh snapshot after.
    sdk::status request_snapshot(sdk::owner const& owner, std::string_view account, sdk::stream stream);
    /// Releases the session of (owner.user, account).
    sdk::status close_account(sdk::owner const& owner, std::string_view account);
    /// Starts (or joins) the public ticker stream of (category, symbol).
    sdk::status subscribe_ticker(std::string_view category, std::string_view symbol);
    /// Leaves the public ticker stream of (category, symbol).
    sdk::status unsubscribe_ticker(std::string_view category, std::string_view symbol);
    /// Drops every session and cache of old_owner.user. Idempotent.
    sdk::status reset_user(sdk::owner const& old_owner);

    // account_services / ticker_services
    sdk::host const& host() const noexcept override { return host_; }
    config const& cfg() const noexcept override { return cfg_; }
    bool clock_ready(network n) const override;
    std::uint64_t server_now_ms(network n) override;
    std::uint64_t clock_generation(network n) const override;
    void resync_clock(network n, bool force) override;
    mark_map const& marks(network n) const override;
    void mark_interest(network n, std::string const& symbol, bool add) override;
    std::uint64_t next_seed() override;
    bool rest_turn(network n, rest_priority p, std::uint64_t session, unsigned resource) override;
    void rest_answered(network n, rest_answer a) override;
    bool ws_turn(network n, std::uint64_t session) override;
    void ws_attempt_done(network n) override;
    void forget_turns(network n, std::uint64_t session) override;
    void on_mark(std::string_view url, std::string_view symbol, std::optional<double> mark) override;

    /// The session of (user, label), or nullptr (tests).
    account_session* find_session(std::string_view user, std::string_view label) const;
    /// The client ticker stream of (category, symbol) on the ticker network, or nullptr (tests).
    ticker_stream* find_ticker(std::string_view category, std::string_view symbol) const;
    /// Number of sessions (tests, metrics).
    std::size_t session_count() const noexcept { return sessions_.size(); }
    /// Number of ticker streams (tests, metrics).
    std::size_t ticker_count() const noexcept { return tickers_.size(); }
    /// The REST budget of the host of `n` (tests, metrics).
    rest_budget& budget_of(network n) noexcept { return rest_lines_[rest_index_[static_cast<std::size_t>(n)]].budget; }

private:
    // The server clock of one environment.
    struct clock {
        time_offset_estimator estimate;
        sdk::op op{0};
        sdk::op retry_timer{0};
        std::chrono::nanoseconds last_sync{0};
        std::uint64_t generation{0}; // successful syncs so far
        backoff retry{backoff_config{}, 0};
    };
    enum class clock_op : unsigned { http = 1, retry_timer = 2 };
    using session_key = std::pair<std::string, std::string>; // (user, account label)
    using ticker_key = std::pair<std::string, std::string>;  // (public endpoint URL, symbol)

    // Ids 1..3 are the clocks of the three networks, 4..6 the REST lines and 7..9 the private
    // WebSocket lines (by index); sessions and tickers count up from 16.
    static constexpr std::uint64_t first_rest_line_id = 4;
    static constexpr std::uint64_t first_ws_line_id = 7;
    static constexpr std::uint64_t first_dynamic_id = 16;
    enum class budget_op : unsigned { pump = 1 };

    clock& clock_of(network n) noexcept { return clocks_[static_cast<std::size_t>(n)]; }
    void start_sync(network n);
    void on_clock_http(network n, sdk::op op, sdk::http_response const& response);
    void erase_session(std::map<session_key, std::unique_ptr<account_session>>::iterator it);
    std::string const& client_url(std::string_view category) const;
    ticker_stream& ticker_for(std::string const& url, std::string const& category, std::string const& symbol,
        bool& created);
    void erase_ticker_if_unused(std::string const& url, std::string const& symbol);
    void rebind_user(sdk::owner const& owner);
    sdk::status rebuild(std::map<session_key, std::unique_ptr<account_session>>::iterator it,
        sdk::owner const& owner, std::uint32_t extra_mask);
    void publish_gauges();
    // A waiting line: its budget and the timer that lets the next calls go.
    struct line {
        rest_budget budget;
        sdk::op timer{0};
        std::chrono::nanoseconds at{0};
    };
    void init_budgets();
    void arm_pump(line& l, std::uint64_t id);
    void on_pump(sdk::op op, std::uint64_t id);

    sdk::host host_;
    config cfg_;
    splitmix64 seeds_;
    bool seeded_{false};
    std::uint64_t next_id_{first_dynamic_id};
    std::array<clock, 3> clocks_;
    // One line per host: networks whose URLs share a host share one (the *_index_ arrays).
    std::array<line, 3> rest_lines_;
    std::array<std::size_t, 3> rest_index_{0, 1, 2};
    std::array<line, 3> ws_lines_;
    std::array<std::size_t, 3> ws_index_{0, 1, 2};
    std::map<std::string, mark_map, std::less<>> marks_; // by linear public endpoint URL
    mark_map no_marks_;
    // Declared before the sessions: sessions release their mark interests (tickers) when destroyed.
    std::map<ticker_key, std::unique_ptr<ticker_stream>> tickers_;
    std::map<std::uint64_t, ticker_stream*> tickers_by_id_;
    std::map<session_key, std::unique_ptr<account_session>> sessions_;
    std::map<std::uint64_t, account_session*> sessions_by_id_;
};

} // namespace tradepush::bybit
