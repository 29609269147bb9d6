#pragma once
// Which exchange accounts a user has (the credentials store implements it; tests use a fixed one).

#include "feed/feed.hpp"

#include <string_view>
#include <vector>

namespace tradepush::hub {

/// Looks up a user's accounts; the first is the default for subscribe_trading. Called on the control strand.
class account_directory {
public:
    virtual ~account_directory() = default;
    virtual std::vector<feed::account> accounts_of(std::string_view user) const = 0;
};

} // namespace tradepush::hub
