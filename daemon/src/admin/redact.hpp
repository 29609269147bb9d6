#pragma once
// Secrets never reach the audit log or `config show`: values under secret-looking keys are replaced.

#include <boost/json/value.hpp>

#include <string_view>

namespace tradepush::admin {

/// True for keys that name a secret (case-insensitive): containing "secret", "token", "password",
/// "passwd", "passphrase" or "credential", or equal to / ending in "api_key", "apikey" or
/// "private_key".
bool is_secret_key(std::string_view key) noexcept;

/// A copy of `v` where every value (at any depth) under a secret key is the string "***".
boost::json::value redact(boost::json::value const& v);

/// The stricter rule for configuration shown to operators (`config show`): is_secret_key, or any
/// key containing "key" (case-insensitive). A plugin's config is free-form, so a `key` there is
/// more likely an API key than a map key.
bool is_secret_config_key(std::string_view key) noexcept;

/// Like redact(), with is_secret_config_key.
boost::json::value redact_config(boost::json::value const& v);

} // namespace tradepush::admin
