#pragma once
// PnL from positions and live mark prices: Bybit does not push unrealised-PnL changes (neither the
// wallet nor the position topic fires on a mark move), so the adapter recomputes it on every mark-price
// tick of the public ticker stream and the pnl stream moves in real time.

#include "model.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tradepush::bybit {

/// Mark prices by symbol (same type as in normalize.hpp).
using mark_map = std::map<std::string, double, std::less<>>;

/// The pnl of one position at a mark price.
struct position_pnl {
    std::string symbol;
    std::string side;            ///< "long" | "short"
    double mark_price{0};
    double unrealised_pnl{0};
    double realised_pnl{0};      ///< Bybit's curRealisedPnl: realised since the position was opened
    bool live_mark{false};       ///< true if the mark came from the ticker stream
};

/// The account pnl: sums over open positions.
struct pnl_summary {
    double unrealised_pnl{0};
    double realised_pnl{0};
    std::vector<position_pnl> positions;
};

/// Unrealised pnl of `p` at `mark`: linear (mark - entry) * size * dir; inverse size * (1/entry - 1/mark)
/// * dir (in coin). nullopt if entry or size is not a number.
std::optional<double>
unrealised_pnl(position const& p, double mark);

/// The pnl of `p`: with the live mark when known, else Bybit's mark and unrealisedPnl as sent.
position_pnl
compute_position_pnl(position const& p, mark_map const& marks);

/// The account pnl over all open positions.
pnl_summary
compute_pnl(std::map<position_key, position> const& positions, mark_map const& marks);

/// Client JSON of the pnl stream.
std::string
pnl_json(pnl_summary const& s);

/// Rounds to 10 decimals so float noise (0.1 + 0.2) never reaches clients.
double
round_money(double v) noexcept;

} // namespace tradepush::bybit
