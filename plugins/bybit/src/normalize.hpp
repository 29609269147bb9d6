#pragma once
// Normalizers: Bybit REST results and private WebSocket pushes -> the adapter's model, and the model ->
// the client schema (DESIGN §3, snake_case, numbers as JSON numbers). Output shapes are documented in
// plugins/bybit/README.md and pinned byte-for-byte by tests/unit/bybit.

#include "model.hpp"
#include "pnl.hpp"

#include <boost/json/value.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tradepush::bybit {

/// Reads a wallet list item (REST wallet-balance result.list[i] or WS wallet data[i]).
wallet
parse_wallet(boost::json::object const& item);
/// The UNIFIED wallet of a REST wallet-balance `result` (the first list item if none says UNIFIED).
std::optional<wallet>
parse_wallet_result(boost::json::value const& result);

/// Reads a position row (REST or WS: `entryPrice` and `avgPrice` both accepted).
position
parse_position(boost::json::object const& item);
/// Reads an order row.
order
parse_order(boost::json::object const& item);
/// Reads an execution row.
execution
parse_execution(boost::json::object const& item);

/// One page of a paginated list: its rows and the cursor of the next page ("" on the last page).
struct page {
    std::vector<boost::json::object> rows;
    std::string next_cursor;
};
/// Splits a REST list `result` into rows and the next cursor.
page
parse_page(boost::json::value const& result);

/// True for open order statuses (New, PartiallyFilled, Untriggered).
bool
is_open_status(std::string_view bybit_status) noexcept;
/// True if a position row holds something (size parses to a non-zero number).
bool
is_open_position(position const& p) noexcept;

/// Folds one WS position row into `positions` (flat rows remove the entry). Stale rows (lower seq than
/// what is held) are ignored. Returns true if anything changed.
bool
apply_position(std::map<position_key, position>& positions, position p);
/// Folds one WS order row into `orders` (closed ones are removed). Returns true if anything changed.
bool
apply_order(std::map<std::string, order>& orders, order o);

/// Client JSON of the balance stream.
std::string
balance_json(wallet const& w);
/// Client JSON of the positions stream; live marks override the marks in the rows.
std::string
positions_json(std::map<position_key, position> const& positions, mark_map const& marks);
/// Client JSON of the orders stream (newest first).
std::string
orders_json(std::map<std::string, order> const& orders);
/// Client JSON of one fill (not a stream of its own yet; used for logs and tests).
std::string
execution_json(execution const& e);

/// True if a linear `symbol` settles in one of `coins` (what the REST lists cover): USDT/USDC perpetuals
/// end with the coin ("BTCUSDT"); USDC contracts are also "BTCPERP" and dated "BTC-26DEC25".
bool
settles_in(std::string_view symbol, std::vector<std::string> const& coins) noexcept;

/// "Buy" -> "buy", "PartiallyFilled" -> "partially_filled", ...: Bybit enums in snake_case.
std::string
snake_case(std::string_view bybit_enum);

} // namespace tradepush::bybit
