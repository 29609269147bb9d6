// Test that header file is self-contained.
#include "feed/provider_router.hpp"

#include <boost/asio/io_context.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace tradepush::feed;

namespace {

// Records the calls it gets, one line each.
struct recording_provider : provider {
    std::string name;
    std::vector<std::string> calls;
    sink* s = nullptr;
    explicit recording_provider(std::string n) : name(std::move(n)) {}
    void set_sink(sink* x) override { s = x; }
    bool has_exchange(std::string_view e) const override { return e == name; }
    void open_account(std::string_view u, account const& a, unsigned, std::uint64_t e) override
    {
        calls.push_back("open " + std::string(u) + " " + a.label + " " + std::to_string(e));
    }
    void request_snapshot(std::string_view u, std::string_view a, stream_type, std::uint64_t) override
    {
        calls.push_back("snapshot " + std::string(u) + " " + std::string(a));
    }
    void close_account(std::string_view u, std::string_view a) override
    {
        calls.push_back("close " + std::string(u) + " " + std::string(a));
    }
    void reset_user(std::string_view u) override { calls.push_back("reset " + std::string(u)); }
    void subscribe_ticker(std::string_view, std::string_view c, std::string_view sym) override
    {
        calls.push_back("sub " + std::string(c) + " " + std::string(sym));
    }
    void unsubscribe_ticker(std::string_view, std::string_view c, std::string_view sym) override
    {
        calls.push_back("unsub " + std::string(c) + " " + std::string(sym));
    }
};

struct recording_sink : sink {
    std::vector<std::string> statuses;
    void on_account_data(std::string_view, std::string_view, stream_type, boost::json::value, std::uint64_t) override {}
    void on_account_status(std::string_view u, std::string_view a, std::optional<stream_type>, stream_state,
        std::string_view code, std::string_view, std::uint64_t e) override
    {
        statuses.push_back(std::string(u) + " " + std::string(a) + " " + std::string(code) + " " + std::to_string(e));
    }
    void on_ticker(std::string_view, std::string_view, std::string_view, boost::json::value) override {}
    void on_ticker_status(std::string_view, std::string_view, std::string_view, stream_state, std::string_view,
        std::string_view) override {}
    void on_upstream_restart(std::string_view) override {}
};

account
acct(std::string label, std::string exchange)
{
    account a;
    a.label = std::move(label);
    a.exchange = std::move(exchange);
    return a;
}

} // namespace

TEST_CASE("provider_router sends each exchange's calls to its provider", "[feed][router]")
{
    boost::asio::io_context ioc;
    recording_provider bybit("bybit"), example("example");
    recording_sink sink;
    provider_router r(ioc.get_executor());
    r.add("bybit", bybit);
    r.add("example", example);
    r.set_sink(&sink);
    CHECK(bybit.s == &sink);
    CHECK(example.s == &sink);
    CHECK(r.has_exchange("bybit"));
    CHECK(r.has_exchange("example"));
    CHECK_FALSE(r.has_exchange("kraken"));

    r.open_account("u1", acct("main", "bybit"), 15, 7);
    r.open_account("u1", acct("alt", "example"), 15, 7);
    // Calls without an exchange follow the account to where it was opened.
    r.request_snapshot("u1", "alt", stream_type::pnl, 7);
    r.close_account("u1", "main");
    r.subscribe_ticker("example", "spot", "ETHUSDT");
    CHECK(bybit.calls == std::vector<std::string>{"open u1 main 7", "close u1 main"});
    CHECK(example.calls == std::vector<std::string>{"open u1 alt 7", "snapshot u1 alt", "sub spot ETHUSDT"});

    // reset_user fences every provider and forgets the user's accounts.
    r.reset_user("u1");
    CHECK(bybit.calls.back() == "reset u1");
    CHECK(example.calls.back() == "reset u1");
    CHECK(r.open_accounts() == 0);
    r.request_snapshot("u1", "alt", stream_type::pnl, 7);
    CHECK(example.calls.back() == "reset u1");
}

TEST_CASE("provider_router reports an account on an unserved exchange as an error status, later", "[feed][router]")
{
    boost::asio::io_context ioc;
    recording_provider bybit("bybit");
    recording_sink sink;
    provider_router r(ioc.get_executor());
    r.add("bybit", bybit);
    r.set_sink(&sink);
    r.open_account("u2", acct("main", "kraken"), 15, 9);
    // Never inside the caller's call: the hub is not re-entered.
    CHECK(sink.statuses.empty());
    ioc.run();
    CHECK(sink.statuses == std::vector<std::string>{"u2 main unknown_exchange 9"});
    CHECK(bybit.calls.empty());
}

TEST_CASE("provider_router reset_user_on fences only the provider serving the exchange", "[feed][router]")
{
    boost::asio::io_context ioc;
    recording_provider bybit("bybit"), example("example");
    provider_router r(ioc.get_executor());
    r.add("bybit", bybit);
    r.add("example", example);
    r.add("example-testnet", example); // one provider, two exchanges
    r.open_account("u1", acct("main", "bybit"), 15, 7);
    r.open_account("u1", acct("alt", "example"), 15, 7);
    r.open_account("u2", acct("alt", "example"), 15, 7);

    auto reset = r.reset_user_on("u1", "example-testnet");
    REQUIRE(reset.has_value());
    // The provider cannot reset one exchange alone: both of its exchanges are reported.
    CHECK(*reset == std::vector<std::string>{"example", "example-testnet"});
    CHECK(example.calls.back() == "reset u1");
    CHECK(bybit.calls == std::vector<std::string>{"open u1 main 7"});
    // u1's example account is forgotten, u1's bybit one and u2's are not.
    CHECK(r.open_accounts() == 2);
    r.request_snapshot("u1", "main", stream_type::pnl, 7);
    CHECK(bybit.calls.back() == "snapshot u1 main");

    auto none = r.reset_user_on("u1", "kraken");
    REQUIRE(none.has_value());
    CHECK(none->empty());
}
