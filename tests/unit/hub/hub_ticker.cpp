// Public ticker streams: one upstream per symbol, reference-counted, cached latest for newcomers.

#include "hub_test_support.hpp"

using namespace tradepush;
using namespace tradepush::test;

TEST_CASE("ticker: one provider subscription for many connections, released when the last leaves")
{
    manual_harness t;
    REQUIRE(t.attach(1, "alice", 0));
    REQUIRE(t.attach(2, "bob", 0));
    REQUIRE(t.attach(3, "bob", 1));
    auto ack = t.sub_ticker(1, ticker_args({"BTCUSDT"}));
    CHECK(json::value(ack) == json::parse(R"({"ok":true,"symbols":["BTCUSDT"],"exchange":"bybit","category":"linear"})"));
    t.sub_ticker(2, ticker_args({"BTCUSDT"}));
    t.sub_ticker(3, ticker_args({"BTCUSDT", "ETHUSDT"}));
    CHECK(t.provider.count("subscribe_ticker") == 2);
    auto sub = t.provider.calls[t.provider.last_index("subscribe_ticker")];
    CHECK(sub.exchange == "bybit");
    CHECK(sub.category == "linear");
    CHECK(sub.symbol == "ETHUSDT");
    CHECK(t.stats().ticker_streams == 2);
    CHECK(t.stats().subscriptions == 4);

    t.provider.sink->on_ticker("bybit", "linear", "BTCUSDT", json::parse(R"({"symbol":"BTCUSDT","last_price":65000.5})"));
    auto a = t.got(1, "ticker");
    auto b = t.got(2, "ticker");
    auto c = t.got(3, "ticker");
    REQUIRE(a.size() == 1);
    REQUIRE(b.size() == 1);
    REQUIRE(c.size() == 1);
    CHECK(a[0].msg.get() == b[0].msg.get());
    CHECK(a[0].msg.get() == c[0].msg.get());
    auto const& body = a[0].body.as_object();
    CHECK(body.at("exchange") == "bybit");
    CHECK(body.at("category") == "linear");
    CHECK(body.at("symbol") == "BTCUSDT");
    CHECK(body.at("seq").to_number<std::uint64_t>() == 1);
    CHECK_FALSE(body.contains("account"));
    CHECK(body.at("data").at("last_price").to_number<double>() == 65000.5);

    // A newcomer gets the cached latest ticker right after its ack.
    REQUIRE(t.attach(4, "carol", 1));
    t.sub_ticker(4, ticker_args({"BTCUSDT"}));
    auto g4 = t.got(4);
    REQUIRE(g4.size() == 2);
    CHECK(g4[0].event == "#ack");
    CHECK(g4[1].event == "ticker");
    CHECK(g4[1].msg.get() == a[0].msg.get());
    CHECK(t.provider.count("subscribe_ticker") == 2);

    t.unsub_ticker(1, ticker_args({"BTCUSDT"}));
    t.detach(2);
    t.detach(4);
    CHECK(t.provider.count("unsubscribe_ticker") == 0);
    t.detach(3);
    CHECK(t.provider.count("unsubscribe_ticker") == 2);
    CHECK(t.stats().ticker_streams == 0);
    // Late tickers for a released symbol go nowhere.
    t.provider.sink->on_ticker("bybit", "linear", "BTCUSDT", json::parse(R"({"last_price":1})"));
    CHECK(t.got(1, "ticker").size() == 1);
}

TEST_CASE("ticker: categories and exchanges are separate streams")
{
    manual_harness t;
    REQUIRE(t.attach(1, "alice"));
    t.sub_ticker(1, json::parse(R"({"symbols":["BTCUSDT"],"category":"spot"})"));
    t.sub_ticker(1, json::parse(R"({"symbols":["BTCUSDT"],"exchange":"binance"})"));
    t.sub_ticker(1, ticker_args({"BTCUSDT"}));
    CHECK(t.provider.count("subscribe_ticker") == 3);
    t.provider.sink->on_ticker("bybit", "spot", "BTCUSDT", json::parse(R"({"last_price":1})"));
    auto g = t.got(1, "ticker");
    REQUIRE(g.size() == 1);
    CHECK(g[0].body.at("category") == "spot");

    // Unsubscribe filtered by category leaves the others.
    t.unsub_ticker(1, json::parse(R"({"symbols":["BTCUSDT"],"category":"spot"})"));
    CHECK(t.provider.count("unsubscribe_ticker") == 1);
    CHECK(t.provider.last("unsubscribe_ticker").category == "spot");
    // Unsubscribe without filters drops the symbol everywhere.
    t.unsub_ticker(1, ticker_args({"BTCUSDT"}));
    CHECK(t.provider.count("unsubscribe_ticker") == 3);
    CHECK(t.stats().subscriptions == 0);
}

TEST_CASE("ticker: seq and dedup per symbol, subscribing twice changes nothing")
{
    manual_harness t;
    REQUIRE(t.attach(1, "alice"));
    t.sub_ticker(1, ticker_args({"BTCUSDT", "ETHUSDT"}));
    auto* sink = t.provider.sink;
    sink->on_ticker("bybit", "linear", "BTCUSDT", json::parse(R"({"last_price":1})"));
    sink->on_ticker("bybit", "linear", "BTCUSDT", json::parse(R"({"last_price":1})"));
    sink->on_ticker("bybit", "linear", "BTCUSDT", json::parse(R"({"last_price":2})"));
    sink->on_ticker("bybit", "linear", "ETHUSDT", json::parse(R"({"last_price":3})"));
    auto ack = t.sub_ticker(1, ticker_args({"BTCUSDT"}));
    CHECK(ack.at("ok").as_bool());
    std::vector<std::pair<std::string, std::uint64_t>> seen;
    for(auto const& d : t.got(1, "ticker"))
        seen.emplace_back(std::string(d.body.at("symbol").as_string()), d.body.at("seq").to_number<std::uint64_t>());
    CHECK(seen == std::vector<std::pair<std::string, std::uint64_t>>{{"BTCUSDT", 1}, {"BTCUSDT", 2}, {"ETHUSDT", 1}});
    CHECK(t.stats().subscriptions == 2);
}

TEST_CASE("ticker: status forwarded and remembered")
{
    manual_harness t;
    REQUIRE(t.attach(1, "alice"));
    t.sub_ticker(1, ticker_args({"BTCUSDT"}));
    t.provider.sink->on_ticker_status("bybit", "linear", "BTCUSDT", feed::stream_state::stale, "ws_reconnecting", "reconnecting");
    auto s = t.got(1, "stream_status");
    REQUIRE(s.size() == 1);
    CHECK(s[0].body == json::parse(R"({"stream":"ticker","exchange":"bybit","category":"linear","symbol":"BTCUSDT","state":"stale","code":"ws_reconnecting","message":"reconnecting"})"));
    REQUIRE(t.attach(2, "bob"));
    t.sub_ticker(2, ticker_args({"BTCUSDT"}));
    CHECK(t.got(2, "stream_status").size() == 1);
    t.provider.sink->on_ticker("bybit", "linear", "BTCUSDT", json::parse(R"({"last_price":1})"));
    CHECK(t.got(2, "stream_status").back().body.at("state") == "live");
}

TEST_CASE("ticker: argument validation and per-connection cap")
{
    hub::hub_limits limits;
    limits.max_symbols_per_request = 3;
    limits.max_tickers_per_connection = 4;
    manual_harness t(limits);
    REQUIRE(t.attach(1, "alice"));
    CHECK(is_error(t.sub_ticker(1, ticker_args({"btcusdt"})), "invalid_symbol"));
    CHECK(is_error(t.sub_ticker(1, ticker_args({"BTC/USDT"})), "invalid_symbol"));
    CHECK(is_error(t.sub_ticker(1, ticker_args({"A", "B", "C", "D"})), "invalid_args"));
    CHECK(is_error(t.sub_ticker(1, json::parse(R"({"symbols":["BTCUSDT"],"exchange":"kraken"})")), "unknown_exchange"));
    CHECK(is_error(t.sub_ticker(1, json::parse(R"({"symbols":["BTCUSDT"],"category":"perp"})")), "invalid_args"));
    CHECK(is_error(t.sub_ticker(1, json::value()), "invalid_args"));
    CHECK(t.provider.count("subscribe_ticker") == 0);

    CHECK(t.sub_ticker(1, ticker_args({"A", "B", "C"})).at("ok").as_bool());
    CHECK(t.sub_ticker(1, ticker_args({"A", "B", "D"})).at("ok").as_bool()); // only D is new: 4 in total
    auto over = t.sub_ticker(1, ticker_args({"E"}));
    CHECK(is_error(over, "too_many_subscriptions"));
    CHECK(t.stats().subscriptions == 4);
    t.unsub_ticker(1, ticker_args({"A"}));
    CHECK(t.sub_ticker(1, ticker_args({"E"})).at("ok").as_bool());
    CHECK(is_error(t.unsub_ticker(1, ticker_args({"e"})), "invalid_symbol"));
    CHECK(t.unsub_ticker(1, ticker_args({"ZZZ"})).at("ok").as_bool()); // not subscribed: fine
}
