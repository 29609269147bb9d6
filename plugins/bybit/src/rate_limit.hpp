#pragma once
// Bybit's per-UID, per-endpoint rate-limit headers (spec §4): X-Bapi-Limit, X-Bapi-Limit-Status and
// X-Bapi-Limit-Reset-Timestamp. The adapter uses them to wait exactly as long as needed after a 10006
// and to slow reconciliation down when the remaining budget runs low.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace tradepush::bybit {

/// The rate-limit headers of one answer (each absent when not sent).
struct rate_limit_info {
    std::optional<std::int64_t> limit;
    std::optional<std::int64_t> remaining;
    std::optional<std::int64_t> reset_ms; ///< server time (ms) when the window resets
};

/// Reads the headers (names case-insensitive).
rate_limit_info
parse_rate_limit(std::vector<std::pair<std::string_view, std::string_view>> const& headers);

/// How long to wait before retrying after a rate-limit refusal: until the reset timestamp (server time,
/// converted with the server clock `server_now_ms`) when given and sane, else `fallback`; at most `cap`.
std::chrono::milliseconds
rate_limit_wait(rate_limit_info const& info, std::int64_t server_now_ms, std::chrono::milliseconds fallback,
    std::chrono::milliseconds cap);

/// Case-insensitive ASCII comparison (HTTP header names).
bool
iequals(std::string_view a, std::string_view b) noexcept;

} // namespace tradepush::bybit
