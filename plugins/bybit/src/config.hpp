#pragma once
// The plugin's configuration: the JSON object the daemon hands to create(), validated once. Every key is
// optional; unknown keys and out-of-range values are refused with a message naming the key.

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tradepush::bybit {

/// Bybit environments; keys are environment-specific (retCode 10003 otherwise).
enum class network { mainnet, testnet, demo };

/// Parses "mainnet" | "testnet" | "demo".
std::optional<network>
parse_network(std::string_view s) noexcept;

/// Wire name of a network.
std::string_view
to_string(network n) noexcept;

/// Base URLs of one environment, without trailing '/'.
struct network_urls {
    std::string rest;              ///< e.g. https://api.bybit.com
    std::string ws_public_linear;  ///< e.g. wss://stream.bybit.com/v5/public/linear
    std::string ws_public_spot;    ///< e.g. wss://stream.bybit.com/v5/public/spot
    std::string ws_private;        ///< e.g. wss://stream.bybit.com/v5/private
};

/// Bybit's published URLs of an environment (spec §1; demo's public data is mainnet's).
network_urls
default_urls(network n);

/// Reconnect backoff bounds.
struct backoff_config {
    std::chrono::milliseconds initial{500};
    std::chrono::milliseconds max{30000};
    double multiplier{2.0};
    double jitter{0.25}; ///< fraction of the delay drawn at random, in [0, 1]
};

/// Everything configurable, with the defaults documented in plugins/bybit/README.md.
struct config {
    std::array<network_urls, 3> urls{default_urls(network::mainnet), default_urls(network::testnet),
        default_urls(network::demo)};
    network ticker_network{network::mainnet};       ///< which environment serves public tickers
    std::chrono::milliseconds recv_window{5000};
    std::chrono::milliseconds reconcile_interval{60000}; ///< 0: no periodic REST reconciliation
    std::chrono::milliseconds ping_interval{20000};
    std::chrono::milliseconds pong_timeout{10000};
    std::chrono::milliseconds auth_expiry{10000};   ///< WS auth `expires` = server now + this
    std::chrono::milliseconds request_timeout{10000};
    std::chrono::milliseconds time_sync_interval{3600000}; ///< 0: sync only at start and on 10002
    std::chrono::milliseconds rate_limit_backoff{1000};    ///< 10006 without a reset timestamp
    std::chrono::milliseconds ip_ban_backoff{600000};      ///< HTTP 403: Bybit lifts IP bans after >= 10 min
    /// REST calls per window and host, for every account together: Bybit allows 600 per 5 s per IP;
    /// 500 leaves room for clock syncs of other environments and for slack in its counting.
    std::size_t rest_ip_limit{500};
    std::chrono::milliseconds rest_ip_window{5000};
    /// New private WebSocket connections per window and stream host, for every account together:
    /// Bybit allows 500 new connections per 5 min per domain; 450 leaves room for public streams.
    std::size_t ws_open_limit{450};
    std::chrono::milliseconds ws_open_window{300000};
    /// While a private stream waits for its place, REST refreshes the account this often.
    std::chrono::milliseconds ws_wait_poll{10000};
    backoff_config backoff;
    std::vector<std::string> settle_coins{"USDT"};      ///< linear positions/orders are listed per settle coin
    std::vector<std::string> ticker_categories{"linear", "spot"};
    bool allow_insecure_loopback{false}; ///< http:// and ws:// on 127.0.0.1 / ::1 / localhost (tests)
    std::optional<std::uint64_t> jitter_seed; ///< fixed seed for reproducible backoff (tests)

    /// The URLs of `n`.
    network_urls const&
    urls_of(network n) const noexcept
    {
        return urls[static_cast<std::size_t>(n)];
    }
};

/// Parses and validates the config JSON ("" and "{}" give the defaults). Throws std::invalid_argument
/// with a message naming the offending key: only ever called from the plugin constructor (create).
config
parse_config(std::string_view json);

/// True if `symbol` looks like a Bybit symbol: 2..32 of [A-Z0-9] plus '-' (options).
bool
is_valid_symbol(std::string_view symbol) noexcept;

} // namespace tradepush::bybit
