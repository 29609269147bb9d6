#pragma once
// The hub's account directory: the credentials store when one is configured (a user has exactly the
// accounts it lists; none means subscribe_trading answers no_account), otherwise one keyless account on
// the default exchange for every user (the scripted feed and keyless plugins need nothing more).

#include "config/credentials.hpp"
#include "hub/account_directory.hpp"

#include <memory>
#include <string>
#include <utility>

namespace tradepush::app {

/// Serves accounts_of. THREADING: the hub reads it on the control strand; set_store must run there too.
class account_book final : public hub::account_directory {
public:
    /// `exchange` is where the keyless fallback account lives.
    explicit account_book(std::string exchange)
    {
        fallback_.label = "main";
        fallback_.exchange = std::move(exchange);
        fallback_.network = "testnet";
    }

    /// Uses `store` from now on (nullptr: back to the keyless fallback). Open sessions keep the keys they
    /// were opened with; the next session of a user uses the new ones.
    void set_store(std::shared_ptr<config::credentials const> store) noexcept { store_ = std::move(store); }

    std::vector<feed::account>
    accounts_of(std::string_view user) const override
    {
        if(!store_)
            return {fallback_};
        auto it = store_->users.find(user);
        return it == store_->users.end() ? std::vector<feed::account>{} : it->second;
    }

private:
    std::shared_ptr<config::credentials const> store_;
    feed::account fallback_;
};

} // namespace tradepush::app
