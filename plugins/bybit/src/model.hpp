#pragma once
// The adapter's view of one account: what Bybit told us (REST snapshots and private WebSocket pushes)
// kept as Bybit's own decimal strings, so the normalized JSON can carry them verbatim.

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace tradepush::bybit {

/// One coin of the unified wallet.
struct coin_balance {
    std::string coin;
    std::string equity;
    std::string wallet_balance;
    std::string locked;
    std::string total_order_im;
    std::string total_position_im;
    std::string usd_value;
    std::string unrealised_pnl;
    std::string cum_realised_pnl;
    std::string borrow_amount;
};

/// The unified account (wallet-balance list item; all USD values).
struct wallet {
    std::string account_type;
    std::string total_equity;
    std::string total_wallet_balance;
    std::string total_margin_balance;
    std::string total_available_balance;
    std::string total_perp_upl;
    std::string total_initial_margin;
    std::string total_maintenance_margin;
    std::vector<coin_balance> coins;
};

/// One position row (REST position/list or WS position).
struct position {
    std::string symbol;
    std::string category{"linear"};
    std::string side;        ///< Bybit's "Buy" | "Sell" | "" (flat)
    std::string size;        ///< always non-negative
    std::string entry_price; ///< REST avgPrice, WS entryPrice
    std::string mark_price;  ///< as of Bybit's message (the live ticker overrides it for pnl)
    std::string leverage;
    std::string liq_price;
    std::string position_value;
    std::string unrealised_pnl;
    std::string cur_realised_pnl;
    std::string cum_realised_pnl;
    std::string take_profit;
    std::string stop_loss;
    std::string updated_time;
    int position_idx{0};
    std::int64_t seq{-1};
};

/// Key of a position: (symbol, positionIdx), since hedge mode has two rows per symbol.
using position_key = std::pair<std::string, int>;

/// One order (REST order/realtime or WS order).
struct order {
    std::string order_id;
    std::string order_link_id;
    std::string symbol;
    std::string category{"linear"};
    std::string side;       ///< "Buy" | "Sell"
    std::string order_type; ///< "Limit" | "Market"
    std::string price;
    std::string qty;
    std::string cum_exec_qty;
    std::string leaves_qty;
    std::string avg_price;
    std::string order_status; ///< Bybit's status, e.g. "New", "PartiallyFilled"
    std::string time_in_force;
    std::string trigger_price;
    std::string take_profit;
    std::string stop_loss;
    std::string created_time;
    std::string updated_time;
    bool reduce_only{false};
};

/// One fill (WS execution).
struct execution {
    std::string exec_id;
    std::string order_id;
    std::string symbol;
    std::string category;
    std::string side;
    std::string exec_price;
    std::string exec_qty;
    std::string exec_fee;
    std::string fee_currency;
    std::string exec_type;
    std::string exec_pnl;
    std::string exec_time;
    bool is_maker{false};
};

/// Everything known about one account.
struct account_state {
    wallet balance;
    bool has_balance{false};
    std::map<position_key, position> positions; ///< only non-empty positions
    bool has_positions{false};
    std::map<std::string, order> orders;        ///< only open orders, by orderId
    bool has_orders{false};
};

} // namespace tradepush::bybit
