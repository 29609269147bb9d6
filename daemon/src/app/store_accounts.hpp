#pragma once
// The account directory backed by the credentials store: a user has exactly the accounts the
// credentials file lists (none: subscribe_trading answers no_account).

#include "config/credentials.hpp"
#include "hub/account_directory.hpp"

#include <memory>
#include <utility>

namespace tradepush::app {

/// Serves accounts_of from a loaded credentials store. The store is immutable; a reload builds a new one.
class store_accounts final : public hub::account_directory {
public:
    explicit store_accounts(std::shared_ptr<config::credentials const> store) : store_(std::move(store)) {}

    std::vector<feed::account>
    accounts_of(std::string_view user) const override
    {
        auto it = store_->users.find(user);
        return it == store_->users.end() ? std::vector<feed::account>{} : it->second;
    }

private:
    std::shared_ptr<config::credentials const> store_;
};

} // namespace tradepush::app
