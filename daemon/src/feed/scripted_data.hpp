#pragma once
// The numbers behind scripted_feed: deterministic, realistic account and ticker states as pure
// functions of (seed, step), so tests can predict them and two users never look alike.

#include "feed/feed.hpp"

#include <boost/json/value.hpp>

#include <cstdint>
#include <string_view>

namespace tradepush::feed::script {

/// Stable 64-bit seed of (user, account) (FNV-1a, so it is the same on every run and host).
std::uint64_t account_seed(std::string_view user, std::string_view account) noexcept;

/// Normalized state of one private stream (DESIGN §3 schema) after `step` changes of the account.
boost::json::value account_state(std::uint64_t seed, std::uint64_t step, stream_type type);

/// Full latest ticker of `symbol` after `step` changes; `ts_ms` is its exchange timestamp.
boost::json::value ticker_state(std::string_view symbol, std::uint64_t step, std::int64_t ts_ms);

} // namespace tradepush::feed::script
