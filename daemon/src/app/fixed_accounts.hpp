#pragma once
// The account directory used until a credentials store is configured: every user has one account.

#include "hub/account_directory.hpp"

#include <string>

namespace tradepush::app {

/// Gives every user the same single account (label "main" on the feed's first exchange), with no
/// credentials: what the scripted feed needs, and a safe default when no credentials file is set.
class fixed_accounts final : public hub::account_directory {
public:
    explicit fixed_accounts(std::string exchange, std::string label = "main", std::string network = "testnet")
    {
        account_.exchange = std::move(exchange);
        account_.label = std::move(label);
        account_.network = std::move(network);
    }

    std::vector<feed::account> accounts_of(std::string_view) const override { return {account_}; }

private:
    feed::account account_;
};

} // namespace tradepush::app
