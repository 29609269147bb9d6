#pragma once
// Bybit's JSON shapes for every object the simulator returns, field for field as in the documented
// samples (tests/data/bybit/*.json): numbers as strings, "" for unset, ints and bools where Bybit has
// them, REST `avgPrice` vs WS `entryPrice`.

#include "engine.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string>

namespace tradepush::bybit_sim {

/// The REST envelope {retCode, retMsg, result, retExtInfo, time}.
boost::json::object
envelope(int ret_code, std::string const& ret_msg, boost::json::object result, std::int64_t time_ms);

/// GET /v5/market/tickers row (linear or spot schema).
boost::json::object
rest_ticker(instrument const& inst, std::int64_t now_ms);

/// WS `tickers.{symbol}` data object (full snapshot; linear deltas are diffs of two of these).
boost::json::object
ws_ticker(instrument const& inst, std::int64_t now_ms);

/// Wallet-balance list item (same on REST and on the WS `wallet` topic).
boost::json::object
wallet_item(wallet_view const& w);

/// Position row: REST (`avgPrice`) or WS (`entryPrice`, `category`).
boost::json::object
position_row(position_view const& v, bool ws);

/// Order row: REST /v5/order/realtime or WS `order` topic.
boost::json::object
order_row(order const& o, instrument const& inst, bool ws);

/// WS `execution` item.
boost::json::object
execution_row(execution const& e, instrument const& inst);

/// /v5/position/closed-pnl row.
boost::json::object
closed_pnl_row(closed_pnl const& c, instrument const& inst);

} // namespace tradepush::bybit_sim
