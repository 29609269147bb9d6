// Test that header file is self-contained.
#include "feed/scripted_data.hpp"

#include <boost/json.hpp>

#include <catch2/catch.hpp>

namespace json = boost::json;
using namespace tradepush::feed;

TEST_CASE("scripted data is deterministic and differs per user and per account")
{
    auto const a = script::account_seed("alice", "main");
    CHECK(a == script::account_seed("alice", "main"));
    CHECK(a != script::account_seed("bob", "main"));
    CHECK(a != script::account_seed("alice", "alt"));
    for(std::size_t i = 0; i < stream_type_count; ++i) {
        auto const t = static_cast<stream_type>(i);
        CHECK(script::account_state(a, 3, t) == script::account_state(a, 3, t));
        CHECK(script::account_state(a, 3, t) != script::account_state(script::account_seed("bob", "main"), 3, t));
    }
}

TEST_CASE("scripted data has the client schema")
{
    auto const seed = script::account_seed("u1", "main");
    auto b = script::account_state(seed, 0, stream_type::balance).as_object();
    CHECK(b.at("total_equity").is_double());
    auto const& coin = b.at("coins").as_array().at(0).as_object();
    CHECK(coin.at("coin") == "USDT");
    for(auto k : {"equity", "available_balance", "wallet_balance", "unrealised_pnl"})
        CHECK(coin.at(k).is_number());

    auto p = script::account_state(seed, 0, stream_type::positions).as_object();
    auto const& pos = p.at("positions").as_array().at(0).as_object();
    CHECK(pos.at("symbol") == "BTCUSDT");
    CHECK((pos.at("side") == "long" || pos.at("side") == "short"));
    for(auto k : {"size", "entry_price", "mark_price", "unrealised_pnl", "leverage"})
        CHECK(pos.at(k).is_number());

    auto pnl = script::account_state(seed, 0, stream_type::pnl).as_object();
    CHECK(pnl.at("unrealised_pnl").is_number());
    CHECK(pnl.at("realised_pnl").is_number());

    auto o = script::account_state(seed, 0, stream_type::orders).as_object();
    auto const& order = o.at("orders").as_array().at(0).as_object();
    for(auto k : {"order_id", "symbol", "side", "type", "status"})
        CHECK(order.at(k).is_string());
    for(auto k : {"price", "qty", "filled_qty"})
        CHECK(order.at(k).is_number());

    auto t = script::ticker_state("BTCUSDT", 0, 1732400000123).as_object();
    CHECK(t.at("symbol") == "BTCUSDT");
    CHECK(t.at("ts").as_int64() == 1732400000123);
    CHECK(t.at("bid").as_double() < t.at("ask").as_double());
    for(auto k : {"last_price", "mark_price", "volume_24h"})
        CHECK(t.at(k).is_number());
}

TEST_CASE("scripted data: balance and pnl agree with the positions")
{
    auto const seed = script::account_seed("u2", "main");
    for(std::uint64_t step = 0; step < 20; ++step) {
        double upnl = 0;
        auto const positions = script::account_state(seed, step, stream_type::positions);
        for(auto const& p : positions.at("positions").as_array())
            upnl += p.at("unrealised_pnl").as_double();
        auto pnl = script::account_state(seed, step, stream_type::pnl);
        CHECK(pnl.at("unrealised_pnl").as_double() == Approx(upnl).margin(1e-3));
        auto bal = script::account_state(seed, step, stream_type::balance);
        auto const& coin = bal.at("coins").at(0);
        CHECK(coin.at("equity").as_double() ==
            Approx(coin.at("wallet_balance").as_double() + upnl).margin(0.011));
    }
}

TEST_CASE("scripted data changes with every step")
{
    auto const seed = script::account_seed("u3", "main");
    CHECK(script::account_state(seed, 1, stream_type::balance) != script::account_state(seed, 2, stream_type::balance));
    CHECK(script::account_state(seed, 1, stream_type::positions) != script::account_state(seed, 2, stream_type::positions));
    CHECK(script::ticker_state("ETHUSDT", 1, 0) != script::ticker_state("ETHUSDT", 2, 0));
}
