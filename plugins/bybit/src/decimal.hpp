#pragma once
// Bybit sends nearly every business number as a JSON string ("0.10", "" when unset). These helpers check
// such a string is a plain decimal, so it can be copied into our JSON verbatim (no float round trip,
// no precision lost), and convert it to a double where we compute (pnl).

#include <optional>
#include <string>
#include <string_view>

namespace tradepush::bybit {

/// True if `s` is a plain decimal: optional '-', digits, optional '.' and digits (no exponent, no '+').
bool
is_plain_decimal(std::string_view s) noexcept;

/// The value of a plain decimal string; nullopt for "" or anything else.
std::optional<double>
parse_decimal(std::string_view s) noexcept;

/// Shortest text that reads back as `v` (std::to_chars); "0" for -0, NaN and infinities.
std::string
format_number(double v);

} // namespace tradepush::bybit
