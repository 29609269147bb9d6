#pragma once
// Bybit sends business numbers as JSON strings; these helpers give them Bybit's look.

#include <cstdint>
#include <string>

namespace tradepush::bybit_sim {

/// `v` with exactly `decimals` digits after the point ("66666.60" for a 0.1 tick with 2 decimals).
std::string
fmt_fixed(double v, int decimals);

/// `v` with up to `max_decimals` digits, trailing zeros trimmed ("0.00055", "12", "-3.5").
std::string
fmt_amount(double v, int max_decimals = 8);

/// Parses a decimal string the way Bybit accepts them; false on garbage, sign errors or overflow.
bool
parse_decimal(std::string const& s, double& out);

/// Parses a non-negative base-10 integer (timestamps, limits); false on garbage or overflow.
bool
parse_int(std::string const& s, std::int64_t& out);

} // namespace tradepush::bybit_sim
