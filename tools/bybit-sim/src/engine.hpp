#pragma once
// The simulated exchange behind the sockets: instruments with seeded, reproducible prices, users and
// API keys, orders that rest and fill, one-way linear positions, spot balances, closed PnL and
// executions. Every state change queues the private events the real exchange would push, so REST and
// WebSocket views stay consistent. No I/O here: tests drive it directly.

#include "clock.hpp"

#include <boost/json/array.hpp>
#include <boost/system/result.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <vector>

namespace tradepush::bybit_sim {

/// Product line of an instrument (only the two the adapter uses).
enum class category { linear, spot };

/// "linear" / "spot".
char const*
to_string(category c);

/// Parses "linear" / "spot".
std::optional<category>
parse_category(std::string_view s);

/// What a key may do. Bybit has finer grants; read-only vs none is what adapters hit.
enum class permission {
    none,      ///< every private endpoint answers 10005
    read_only, ///< reads work, order entry answers 10005
    read_write ///< everything
};

/// Parses "none" / "read" / "read_only" / "trade" / "read_write".
std::optional<permission>
parse_permission(std::string_view s);

/// "none" / "read_only" / "read_write".
char const*
to_string(permission p);

/// A tradable instrument and its live market data.
struct instrument {
    std::string symbol;
    category cat = category::linear;
    std::string base;
    std::string quote;
    int price_decimals = 2;
    int qty_decimals = 3;
    double tick = 0.01;
    double last = 0;
    double index = 0;
    double mark = 0;
    double prev_24h = 0;
    double prev_1h = 0;
    double high_24h = 0;
    double low_24h = 0;
    double volume_24h = 0;
    double turnover_24h = 0;
    double open_interest = 0;
    double funding_rate = 0.0001;
    double bid1 = 0, ask1 = 0, bid1_size = 0, ask1_size = 0;
    std::string tick_direction = "ZeroPlusTick";
    std::int64_t cs = 1; ///< cross sequence, bumped on every change
};

/// An API key and its owner.
struct api_key {
    std::string key;
    std::string secret;
    std::string user;
    permission perm = permission::read_write;
    bool expired = false; ///< answers 33004
};

/// An order as Bybit reports it.
struct order {
    std::string order_id;
    std::string order_link_id;
    std::string user;
    category cat = category::linear;
    std::string symbol;
    std::string side;       ///< Buy / Sell
    std::string order_type; ///< Limit / Market
    std::string time_in_force = "GTC";
    double price = 0;
    double qty = 0;
    double cum_qty = 0;
    double cum_value = 0;
    double cum_fee = 0;
    double closed_pnl = 0;
    double last_price_on_created = 0;
    std::string status = "New";
    std::string cancel_type = "UNKNOWN";
    std::string reject_reason = "EC_NoError";
    std::string create_type = "CreateByUser";
    bool reduce_only = false;
    std::int64_t created_ms = 0;
    std::int64_t updated_ms = 0;
    std::int64_t seq = 0;

    double
    leaves() const
    {
        return qty - cum_qty > 0 ? qty - cum_qty : 0;
    }
    bool
    is_open() const
    {
        return status == "New" || status == "PartiallyFilled";
    }
};

/// One fill.
struct execution {
    std::string exec_id;
    std::string order_id;
    std::string order_link_id;
    category cat = category::linear;
    std::string symbol;
    std::string side;
    std::string order_type;
    double order_price = 0;
    double order_qty = 0;
    double exec_price = 0;
    double exec_qty = 0;
    double exec_fee = 0;
    double fee_rate = 0;
    double exec_pnl = 0;
    double closed_size = 0;
    double leaves_qty = 0;
    double mark_price = 0;
    bool is_maker = false;
    std::string fee_currency;
    std::int64_t exec_time = 0;
    std::int64_t seq = 0;
};

/// A linear position, one-way mode (positionIdx 0).
struct position {
    std::string symbol;
    double size = 0; ///< signed: > 0 long, < 0 short
    double avg_price = 0;
    double leverage = 10;
    double cur_realised = 0; ///< since the position was last opened
    double cum_realised = 0;
    std::int64_t created_ms = 0;
    std::int64_t updated_ms = 0;
    std::int64_t seq = -1; ///< -1 if never traded (spec §3.2)
};

/// One closed-PnL record (a reducing fill of an order).
struct closed_pnl {
    std::string symbol;
    std::string order_id;
    std::string side; ///< side of the closing order
    std::string order_type;
    double qty = 0;
    double order_price = 0;
    double closed_size = 0;
    double entry_value = 0;
    double exit_value = 0;
    double closed_pnl_value = 0;
    double open_fee = 0;
    double close_fee = 0;
    double leverage = 10;
    int fill_count = 1;
    std::int64_t created_ms = 0;
    std::int64_t updated_ms = 0;
};

/// Per-coin wallet state.
struct coin_balance {
    double wallet = 0;
    double cum_realised = 0;
};

/// A user's account (UNIFIED).
struct account {
    std::string user;
    std::map<std::string, coin_balance> coins;
    std::map<std::string, position> positions; ///< by symbol
    std::vector<closed_pnl> closed;           ///< newest last
    std::vector<execution> executions;        ///< newest last
};

/// Derived values of a position at the current mark price.
struct position_view {
    position const* pos = nullptr;
    instrument const* inst = nullptr;
    double mark = 0;
    double value = 0; ///< |size| * avg
    double upl = 0;
    double im = 0;
    double mm = 0;
    double liq = 0; ///< 0 when flat
    double break_even = 0;
};

/// Derived values of a coin in the wallet.
struct coin_view {
    std::string coin;
    double wallet = 0;
    double equity = 0;
    double usd_value = 0;
    double upl = 0;
    double cum_realised = 0;
    double locked = 0;
    double order_im = 0;
    double position_im = 0;
    double position_mm = 0;
};

/// The UNIFIED account summary (USD).
struct wallet_view {
    std::vector<coin_view> coins;
    double total_equity = 0;
    double total_wallet = 0;
    double total_margin = 0;
    double total_available = 0;
    double total_perp_upl = 0;
    double total_im = 0;
    double total_mm = 0;
};

/// What changed for a user, in the order the private stream must tell it.
struct private_event {
    enum class kind { order, execution, position, wallet };
    kind what = kind::order;
    std::string user;
    category cat = category::linear;
    std::vector<std::string> ids; ///< order ids / exec ids / symbols (wallet: empty)
    /// State at the time of the event: one action can move an order through several states
    /// (PartiallyFilled, then Filled) and each push must show its own.
    std::vector<order> orders;
    std::vector<position> positions;
    /// The second `Filled` push of a cancel racing a fill (docs: cancelType CancelByUser,
    /// rejectReason EC_OrigClOrdIDDoesNotExist). Set by the app's fault, never by the engine.
    bool duplicate_filled = false;
};

/// A Bybit-style business error (retCode + retMsg).
struct sim_error {
    int code = 10001;
    std::string message;

    /// "10001 Qty invalid" (test failure messages and logs).
    friend std::ostream&
    operator<<(std::ostream& os, sim_error const& e)
    {
        return os << e.code << ' ' << e.message;
    }
};

template <class T>
using sim_result = boost::system::result<T, sim_error>;

/// Order entry parameters (from the control API or POST /v5/order/create).
struct order_request {
    category cat = category::linear;
    std::string symbol;
    std::string side;
    std::string order_type = "Limit";
    double qty = 0;
    std::optional<double> price;
    std::string order_link_id;
    std::string time_in_force = "GTC";
    bool reduce_only = false;
};

//------------------------------------------------------------------------------

/// The market and the accounts. Not thread-safe: owned by the server's single thread.
class engine {
public:
    /// Fees Bybit charges non-VIP linear/spot accounts.
    static constexpr double taker_fee = 0.00055;
    static constexpr double maker_fee = 0.0002;
    static constexpr double spot_fee = 0.001;

    /// `seed` fixes every random choice (prices, ids) so runs are reproducible.
    engine(sim_clock& clock, std::uint64_t seed);

    // Market ---------------------------------------------------------------

    /// Adds or replaces an instrument; its 24h stats start at `price`.
    void
    add_instrument(std::string symbol, category cat, std::string base, std::string quote, double price,
        int price_decimals, int qty_decimals);

    /// The instrument, or nullptr.
    instrument const*
    find_instrument(category cat, std::string_view symbol) const;

    /// Instruments of a category, ordered by symbol.
    std::vector<instrument const*>
    instruments(category cat) const;

    /// Moves every price one random step, then fills crossing resting orders.
    void
    tick();

    /// Sets the last price of (cat, symbol) (and its mark/index), then fills crossing orders.
    sim_result<void>
    set_price(category cat, std::string const& symbol, double price);

    /// Per-tick relative volatility (default 0.0005).
    void
    set_volatility(double v)
    {
        volatility_ = v;
    }

    // Users and keys -------------------------------------------------------

    /// Creates the user if missing.
    account&
    add_user(std::string const& user);

    /// Registers a key (replacing one with the same id); creates the user if missing.
    void
    add_key(api_key key);

    /// Removes a key; false if unknown.
    bool
    remove_key(std::string const& key);

    /// The key, or nullptr.
    api_key const*
    find_key(std::string_view key) const;

    /// The account, or nullptr.
    account const*
    find_account(std::string_view user) const;

    /// Sets a coin's wallet balance and pushes a wallet event.
    void
    set_balance(std::string const& user, std::string const& coin, double amount);

    /// Opens (or replaces) a linear position directly, for presets.
    sim_result<void>
    set_position(std::string const& user, std::string const& symbol, double signed_size, double avg_price,
        double leverage);

    // Orders ---------------------------------------------------------------

    /// Validates and places an order; marketable orders fill at once (taker).
    sim_result<order>
    place_order(std::string const& user, order_request const& req);

    /// Cancels an open order.
    sim_result<order>
    cancel_order(std::string const& user, std::string const& order_id);

    /// Fills an open order by `qty` (default: all leaves) at `price` (default: its limit, else last).
    sim_result<order>
    fill_order(std::string const& order_id, std::optional<double> qty, std::optional<double> price);

    /// The order, or nullptr.
    order const*
    find_order(std::string_view order_id) const;

    /// A user's orders of a category: open ones, or also the recent closed ones; newest first.
    std::vector<order const*>
    orders(std::string const& user, category cat, bool include_closed) const;

    // Views ----------------------------------------------------------------

    /// A position's derived values (zero row when the user never traded `symbol`).
    position_view
    view_position(std::string const& user, instrument const& inst) const;

    /// Derived values of a given position state (e.g. an event snapshot) at the current mark.
    static position_view
    view_of(position const& pos, instrument const& inst);

    /// The account summary at current prices.
    wallet_view
    view_wallet(std::string const& user) const;

    /// Events queued since the last call, oldest first.
    std::vector<private_event>
    take_events();

    /// The clock this engine stamps with.
    sim_clock&
    clock()
    {
        return clock_;
    }

    /// A fresh UUID-shaped id from the seeded generator.
    std::string
    make_id();

private:
    instrument*
    find_instrument_mut(category cat, std::string_view symbol);
    double
    usd_price(std::string const& coin) const;
    double
    round_to_tick(instrument const& inst, double price) const;
    void
    refresh_book(instrument& inst);
    void
    match_resting(instrument const& inst);
    void
    apply_fill(order& o, double qty, double price, bool maker);
    void
    apply_linear_fill(account& acct, order& o, instrument const& inst, double qty, double price, double fee);
    void
    apply_spot_fill(account& acct, order const& o, instrument const& inst, double qty, double price, double fee);
    void
    push(private_event::kind what, std::string const& user, category cat, std::vector<std::string> ids);
    double
    uniform(); // [0,1)

    sim_clock& clock_;
    std::mt19937_64 rng_;
    double volatility_ = 0.0005;
    std::map<std::pair<category, std::string>, instrument> instruments_;
    std::map<std::string, account, std::less<>> accounts_;
    std::map<std::string, api_key, std::less<>> keys_;
    std::map<std::string, order, std::less<>> orders_;
    std::vector<std::string> order_sequence_; ///< order ids in creation order
    std::vector<private_event> events_;
    std::int64_t seq_ = 100000;
};

} // namespace tradepush::bybit_sim
