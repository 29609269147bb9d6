#pragma once
// Preset state: instruments, users, keys, balances, positions and resting orders, from a JSON or
// TOML file (--state), from the control API (POST /sim/state), or the built-in demo preset.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string>

namespace tradepush::bybit_sim {

class app;

/// Applies a state document (schema in README.md). Stops at the first error, described in `error`.
bool
apply_state(app& a, boost::json::object const& state, std::string& error);

/// Reads `path` (.toml, else JSON) and applies it. Start-up only.
bool
load_state_file(app& a, std::string const& path, std::string& error);

/// A JSON number or a numeric string as a double; false otherwise.
bool
number_of(boost::json::value const& v, double& out);

} // namespace tradepush::bybit_sim
