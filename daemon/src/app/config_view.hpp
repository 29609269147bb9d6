#pragma once
// The admin `config show`: the daemon's effective configuration as JSON, with every secret redacted.

#include "config/config.hpp"

#include <boost/json/object.hpp>

namespace tradepush::app {

/// The running configuration (defaults applied) as a JSON object for operators. Never contains
/// secret material: HS256 key bytes (from `secret` or `secret_file`) are "***", public keys show
/// only their size, the credentials store shows only its path and counts (never an API key), and
/// plugin config values under secret-looking keys (admin::is_secret_config_key) are "***".
boost::json::object config_view(config::daemon_config const& cfg);

} // namespace tradepush::app
