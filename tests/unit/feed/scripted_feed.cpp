// Test that header file is self-contained.
#include "feed/scripted_feed.hpp"

#include "feed/scripted_data.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include <catch2/catch.hpp>

#include <optional>
#include <vector>

namespace net = boost::asio;
namespace json = boost::json;
using namespace tradepush::feed;
using namespace std::chrono_literals;

namespace {

/// What the feed reported, in order.
struct recording_sink : sink {
    struct data {
        std::string user, account;
        stream_type type;
        json::value value;
        std::uint64_t epoch;
    };
    struct status {
        std::string user, account;
        std::optional<stream_type> type;
        stream_state state;
        std::string code;
        std::uint64_t epoch;
    };
    struct ticker {
        std::string exchange, category, symbol;
        json::value value;
    };
    std::vector<data> datas;
    std::vector<status> statuses;
    std::vector<ticker> tickers;

    void
    on_account_data(std::string_view user, std::string_view account, stream_type type, json::value v,
        std::uint64_t epoch) override
    {
        datas.push_back({std::string(user), std::string(account), type, std::move(v), epoch});
    }
    void
    on_account_status(std::string_view user, std::string_view account, std::optional<stream_type> type,
        stream_state state, std::string_view code, std::string_view, std::uint64_t epoch) override
    {
        statuses.push_back({std::string(user), std::string(account), type, state, std::string(code), epoch});
    }
    void
    on_ticker(std::string_view exchange, std::string_view category, std::string_view symbol, json::value v) override
    {
        tickers.push_back({std::string(exchange), std::string(category), std::string(symbol), std::move(v)});
    }
    void
    on_ticker_status(std::string_view, std::string_view, std::string_view, stream_state, std::string_view,
        std::string_view) override
    {
    }
    void
    on_upstream_restart(std::string_view) override
    {
    }

    std::vector<data>
    of(std::string_view user, stream_type t) const
    {
        std::vector<data> out;
        for(auto const& d : datas)
            if(d.user == user && d.type == t)
                out.push_back(d);
        return out;
    }
};

scripted_options
options(std::chrono::milliseconds tick, std::chrono::milliseconds delay = 0ms)
{
    scripted_options o;
    o.tick_interval = tick;
    o.snapshot_delay = delay;
    o.exchanges = {"bybit", "binance"};
    return o;
}

account
acct(std::string label = "main")
{
    return account{std::move(label), "bybit", "testnet", "key", "secret"};
}

void
run(net::io_context& ioc, std::chrono::milliseconds d)
{
    ioc.restart();
    ioc.run_for(d);
}

// Runs handlers until `done()` holds; generous timeout so a loaded host does not flake.
template<class Pred>
bool
run_until(net::io_context& ioc, Pred done, std::chrono::milliseconds timeout = 3000ms)
{
    auto const deadline = std::chrono::steady_clock::now() + timeout;
    while(!done()) {
        if(std::chrono::steady_clock::now() >= deadline)
            return false;
        ioc.restart();
        ioc.run_one_for(10ms);
    }
    return true;
}

constexpr unsigned all_types = 0xF;

} // namespace

TEST_CASE("scripted_feed: open_account answers later, with the request's epoch, deterministic per user")
{
    net::io_context ioc;
    recording_sink out;
    scripted_feed f(ioc.get_executor(), options(0ms));
    f.set_sink(&out);
    f.open_account("alice", acct(), all_types, 7);
    f.open_account("bob", acct(), 1u << 0, 9);
    CHECK(out.datas.empty()); // never inside the call
    CHECK(run_until(ioc, [&] { return out.datas.size() == 5; }));
    REQUIRE(out.of("alice", stream_type::balance).size() == 1);
    CHECK(out.of("alice", stream_type::orders).size() == 1);
    CHECK(out.of("bob", stream_type::positions).empty()); // bob only asked for balance
    auto const a = out.of("alice", stream_type::balance)[0];
    auto const b = out.of("bob", stream_type::balance)[0];
    CHECK(a.epoch == 7);
    CHECK(b.epoch == 9);
    CHECK(a.account == "main");
    CHECK(a.value != b.value); // two users never look alike
    CHECK(a.value == script::account_state(script::account_seed("alice", "main"), 0, stream_type::balance));
    CHECK(f.open_sessions() == 2);
    CHECK(f.stats().opens == 2);

    // Same inputs, new feed: the same data.
    recording_sink out2;
    scripted_feed g(ioc.get_executor(), options(0ms));
    g.set_sink(&out2);
    g.open_account("alice", acct(), all_types, 1);
    CHECK(run_until(ioc, [&] { return out2.datas.size() == 4; }));
    CHECK(out2.of("alice", stream_type::balance)[0].value == a.value);
}

TEST_CASE("scripted_feed: every tick changes open accounts and subscribed tickers")
{
    net::io_context ioc;
    recording_sink out;
    scripted_feed f(ioc.get_executor(), options(5ms));
    f.set_sink(&out);
    f.open_account("alice", acct(), 1u << 0, 3);
    f.subscribe_ticker("bybit", "linear", "BTCUSDT");
    CHECK(run_until(ioc, [&] { return out.of("alice", stream_type::balance).size() >= 3 && out.tickers.size() >= 3; }));
    auto const b = out.of("alice", stream_type::balance);
    REQUIRE(b.size() >= 3);
    for(std::size_t i = 1; i < b.size(); ++i) {
        CHECK(b[i].value != b[i - 1].value);
        CHECK(b[i].epoch == 3);
    }
    REQUIRE(out.tickers.size() >= 3);
    CHECK(out.tickers[0].symbol == "BTCUSDT");
    CHECK(out.tickers[1].value.at("last_price") != out.tickers[2].value.at("last_price"));
    CHECK(f.ticker_streams() == 1);

    // Nothing open: ticks stop reporting.
    f.close_account("alice", "main");
    f.unsubscribe_ticker("bybit", "linear", "BTCUSDT");
    auto const n = out.datas.size() + out.tickers.size();
    run(ioc, 20ms);
    CHECK(out.datas.size() + out.tickers.size() == n);
    CHECK(f.open_sessions() == 0);
    CHECK(f.ticker_streams() == 0);
    CHECK(f.stats().closes == 1);
    CHECK(f.stats().ticker_subscribes == 1);
    CHECK(f.stats().ticker_unsubscribes == 1);
}

TEST_CASE("scripted_feed: reset_user drops a delayed answer started before it")
{
    net::io_context ioc;
    recording_sink out;
    scripted_feed f(ioc.get_executor(), options(0ms, 20ms));
    f.set_sink(&out);
    f.open_account("alice", acct(), all_types, 1);
    f.open_account("bob", acct(), all_types, 2);
    f.request_snapshot("alice", "main", stream_type::pnl, 1);
    run(ioc, 5ms);
    f.reset_user("alice");
    CHECK(f.open_sessions() == 1);
    CHECK(run_until(ioc, [&] { return !out.of("bob", stream_type::balance).empty(); }));
    run(ioc, 40ms); // room for a wrongly delivered answer
    CHECK(out.of("alice", stream_type::balance).empty());
    CHECK(out.of("alice", stream_type::pnl).empty());
    CHECK(out.of("bob", stream_type::balance).size() == 1); // other users are untouched
    CHECK(f.stats().resets == 1);
    CHECK(f.stats().snapshot_requests == 1);
}

TEST_CASE("scripted_feed: reset_user drops a zero-delay answer too, and a reopen is answered once")
{
    net::io_context ioc;
    recording_sink out;
    scripted_feed f(ioc.get_executor(), options(0ms));
    f.set_sink(&out);
    f.open_account("alice", acct(), 1u << 0, 1);
    f.reset_user("alice");
    f.open_account("alice", acct(), 1u << 0, 2);
    CHECK(run_until(ioc, [&] { return !out.datas.empty(); }));
    run(ioc, 10ms);
    auto const b = out.of("alice", stream_type::balance);
    REQUIRE(b.size() == 1);
    CHECK(b[0].epoch == 2);
}

TEST_CASE("scripted_feed: close then reopen drops answers of the old session")
{
    net::io_context ioc;
    recording_sink out;
    scripted_feed f(ioc.get_executor(), options(0ms, 10ms));
    f.set_sink(&out);
    f.open_account("alice", acct(), 1u << 0, 1);
    f.close_account("alice", "main");
    f.open_account("alice", acct(), 1u << 0, 1);
    CHECK(run_until(ioc, [&] { return !out.datas.empty(); }));
    run(ioc, 30ms);
    CHECK(out.of("alice", stream_type::balance).size() == 1);
}

TEST_CASE("scripted_feed: test controls")
{
    net::io_context ioc;
    recording_sink out;
    scripted_feed f(ioc.get_executor(), options(0ms));
    f.set_sink(&out);
    CHECK(f.has_exchange("bybit"));
    CHECK(f.has_exchange("binance"));
    CHECK_FALSE(f.has_exchange("kraken"));

    f.open_account("alice", acct(), (1u << 0) | (1u << 2), 4);
    CHECK(run_until(ioc, [&] { return out.datas.size() == 2; }));
    auto const before = out.datas.size();
    f.push_account_change("alice", "main");
    CHECK(out.datas.size() == before + 2); // synchronously, every type the session serves
    CHECK(out.datas.back().epoch == 4);
    CHECK(out.of("alice", stream_type::balance).back().value !=
        out.of("alice", stream_type::balance).front().value);

    f.fail_account("alice", "main", "exchange_auth_failed", "bad key");
    REQUIRE(out.statuses.size() == 1);
    CHECK(out.statuses[0].state == stream_state::error);
    CHECK(out.statuses[0].code == "exchange_auth_failed");
    CHECK_FALSE(out.statuses[0].type);
    CHECK(out.statuses[0].epoch == 4);

    f.push_account_change("nobody", "main"); // not open: no-op
    f.fail_account("nobody", "main", "x", "y");
    CHECK(out.statuses.size() == 1);

    f.subscribe_ticker("bybit", "spot", "ETHUSDT");
    f.push_ticker("bybit", "spot", "ETHUSDT", json::parse(R"({"last_price":1})"));
    f.push_ticker("bybit", "spot", "SOLUSDT", json::parse(R"({"last_price":1})")); // not subscribed
    REQUIRE(out.tickers.size() == 1);
    CHECK(out.tickers[0].value == json::parse(R"({"last_price":1})"));
    CHECK(run_until(ioc, [&] { return out.tickers.size() == 2; })); // plus the subscription's own snapshot

    f.set_snapshot_delay(30ms);
    f.request_snapshot("alice", "main", stream_type::orders, 4);
    run(ioc, 10ms);
    CHECK(out.of("alice", stream_type::orders).empty());
    CHECK(run_until(ioc, [&] { return out.of("alice", stream_type::orders).size() == 1; }));
}

TEST_CASE("scripted_feed: a failed account stops ticking until the next push")
{
    net::io_context ioc;
    recording_sink out;
    scripted_feed f(ioc.get_executor(), options(3ms));
    f.set_sink(&out);
    f.open_account("alice", acct(), 1u << 0, 1);
    CHECK(run_until(ioc, [&] { return !out.datas.empty(); }));
    f.fail_account("alice", "main", "exchange_unavailable", "503");
    auto const n = out.datas.size();
    run(ioc, 20ms);
    CHECK(out.datas.size() == n);
    f.push_account_change("alice", "main");
    CHECK(run_until(ioc, [&] { return out.datas.size() > n + 1; })); // the push, then ticks again
}

TEST_CASE("scripted_feed: request_snapshot for a closed session reports an error, later")
{
    net::io_context ioc;
    recording_sink out;
    scripted_feed f(ioc.get_executor(), options(0ms));
    f.set_sink(&out);
    f.request_snapshot("alice", "main", stream_type::balance, 5);
    CHECK(out.statuses.empty());
    CHECK(run_until(ioc, [&] { return !out.statuses.empty(); }));
    REQUIRE(out.statuses.size() == 1);
    CHECK(out.statuses[0].code == "no_session");
    CHECK(out.statuses[0].epoch == 5);
    CHECK(out.statuses[0].type == stream_type::balance);
}

TEST_CASE("scripted_feed: destruction cancels timers, no handler touches the dead feed")
{
    net::io_context ioc;
    recording_sink out;
    {
        scripted_feed f(ioc.get_executor(), options(1ms, 5ms));
        f.set_sink(&out);
        f.open_account("alice", acct(), all_types, 1);
        f.subscribe_ticker("bybit", "linear", "BTCUSDT");
    }
    run(ioc, 30ms); // under ASan a dangling handler would be a use-after-free
    CHECK(out.datas.empty());
    CHECK(out.tickers.empty());
    CHECK(ioc.stopped()); // nothing is left waiting either
}

TEST_CASE("scripted_feed: without a sink nothing is reported and nothing breaks")
{
    net::io_context ioc;
    scripted_feed f(ioc.get_executor(), options(1ms));
    f.open_account("alice", acct(), all_types, 1);
    f.subscribe_ticker("bybit", "linear", "BTCUSDT");
    f.push_account_change("alice", "main");
    f.push_ticker("bybit", "linear", "BTCUSDT", json::object{});
    f.fail_account("alice", "main", "x", "y");
    run(ioc, 10ms);
    CHECK(f.open_sessions() == 1);
}
