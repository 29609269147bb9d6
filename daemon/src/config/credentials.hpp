#pragma once
// The credentials store (DESIGN §4): which exchange accounts each user has, with their API keys, read
// from a TOML file only the daemon's user may read.
//
//   [[users.alice]]            # one table per account; the first is the user's default
//   label = "main"
//   exchange = "bybit"
//   network = "testnet"        # mainnet | testnet | demo
//   api_key = "..."
//   api_secret = "..."

#include "config/config.hpp"
#include "feed/feed.hpp"

#include <boost/system/result.hpp>

#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace tradepush::config {

/// Every user's accounts, in file order. Holds secrets: never log or echo it.
struct credentials {
    std::map<std::string, std::vector<feed::account>, std::less<>> users;

    /// Accounts over all users.
    std::size_t accounts() const noexcept;
};

/// Reads and validates a credentials file. Refuses a file that is not a regular file, that group or
/// others may read or write, or that is malformed; the message names the file (and line:col) and
/// never contains secret material.
boost::system::result<credentials, config_error> load_credentials_file(std::filesystem::path const& path);

/// Validates credentials TOML text (no permission check); `source_name` prefixes messages.
boost::system::result<credentials, config_error> load_credentials_string(std::string_view toml,
    std::filesystem::path const& source_name);

} // namespace tradepush::config
