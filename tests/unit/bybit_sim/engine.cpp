// Test that header file is self-contained.
#include "engine.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace tradepush::bybit_sim;

namespace {

struct engine_fixture {
    sim_clock clock;
    engine eng{clock, 42};

    engine_fixture()
    {
        clock.freeze(1'700'000'000'000);
        eng.add_instrument("BTCUSDT", category::linear, "BTC", "USDT", 60000, 1, 3);
        eng.add_instrument("BTCUSDT", category::spot, "BTC", "USDT", 60000, 2, 6);
        eng.add_key({"k", "s", "alice", permission::read_write, false});
        eng.set_balance("alice", "USDT", 10000);
        (void)eng.take_events();
    }

    order_request
    limit(std::string side, double qty, double price, category cat = category::linear)
    {
        order_request r;
        r.cat = cat;
        r.symbol = "BTCUSDT";
        r.side = std::move(side);
        r.qty = qty;
        r.price = price;
        return r;
    }
};

std::vector<private_event::kind>
kinds(std::vector<private_event> const& evs)
{
    std::vector<private_event::kind> k;
    for (auto const& e : evs)
        k.push_back(e.what);
    return k;
}

} // namespace

TEST_CASE("engine: prices are reproducible from the seed", "[engine]")
{
    auto run = [](std::uint64_t seed) {
        sim_clock c;
        engine e(c, seed);
        e.add_instrument("BTCUSDT", category::linear, "BTC", "USDT", 60000, 1, 3);
        std::vector<double> prices;
        for (int i = 0; i < 50; ++i) {
            e.tick();
            prices.push_back(e.find_instrument(category::linear, "BTCUSDT")->last);
        }
        return prices;
    };
    auto const a = run(1);
    CHECK(a == run(1));
    CHECK(a != run(2));
    // Prices move and stay on the tick grid.
    CHECK(a.front() != a.back());
    for (double p : a)
        CHECK(std::fabs(p * 10 - std::round(p * 10)) < 1e-6);
}

TEST_CASE_METHOD(engine_fixture, "engine: a resting order fills when the price crosses", "[engine]")
{
    auto placed = eng.place_order("alice", limit("Buy", 0.1, 59000));
    REQUIRE(placed.has_value());
    CHECK(placed->status == "New");
    // Create: order, position (pushed on every order action), wallet.
    CHECK(kinds(eng.take_events()) ==
        std::vector{private_event::kind::order, private_event::kind::position, private_event::kind::wallet});
    CHECK(eng.orders("alice", category::linear, false).size() == 1);

    REQUIRE(eng.set_price(category::linear, "BTCUSDT", 58900).has_value());
    auto const* o = eng.find_order(placed->order_id);
    CHECK(o->status == "Filled");
    CHECK(o->cum_qty == Approx(0.1));
    // Fill: execution, order, position, wallet.
    CHECK(kinds(eng.take_events()) == std::vector{private_event::kind::execution, private_event::kind::order,
                                          private_event::kind::position, private_event::kind::wallet});
    auto const* inst = eng.find_instrument(category::linear, "BTCUSDT");
    auto v = eng.view_position("alice", *inst);
    CHECK(v.pos->size == Approx(0.1));
    CHECK(v.pos->avg_price == Approx(59000));
    CHECK(v.upl == Approx(0.1 * (58900 - 59000)));
    // Maker fee came off the wallet.
    auto const fee = 0.1 * 59000 * engine::maker_fee;
    CHECK(eng.find_account("alice")->coins.at("USDT").wallet == Approx(10000 - fee));
    CHECK(eng.orders("alice", category::linear, false).empty());
    CHECK(eng.orders("alice", category::linear, true).size() == 1);
}

TEST_CASE_METHOD(engine_fixture, "engine: closing realises PnL and records closed-pnl", "[engine]")
{
    REQUIRE(eng.set_position("alice", "BTCUSDT", 0.2, 60000, 10).has_value());
    auto close = eng.place_order("alice", limit("Sell", 0.2, 61000));
    REQUIRE(close.has_value());
    CHECK(close->status == "New");
    auto filled = eng.fill_order(close->order_id, 0.05, std::nullopt);
    REQUIRE(filled.has_value());
    CHECK(filled->status == "PartiallyFilled");
    filled = eng.fill_order(close->order_id, std::nullopt, std::nullopt);
    REQUIRE(filled.has_value());
    CHECK(filled->status == "Filled");
    auto const* acct = eng.find_account("alice");
    auto const& pos = acct->positions.at("BTCUSDT");
    CHECK(pos.size == Approx(0).margin(1e-12));
    CHECK(acct->closed.size() == 2);
    double const gross = 0.2 * 1000;
    double const fees = 0.2 * 61000 * engine::maker_fee;
    CHECK(acct->coins.at("USDT").wallet == Approx(10000 + gross - fees));
    CHECK(pos.cum_realised == Approx(gross - fees));
    CHECK(acct->executions.size() == 2);
}

TEST_CASE_METHOD(engine_fixture, "engine: market orders and cancels and validation", "[engine]")
{
    order_request m;
    m.symbol = "BTCUSDT";
    m.side = "Sell";
    m.order_type = "Market";
    m.qty = 0.01;
    auto r = eng.place_order("alice", m);
    REQUIRE(r.has_value());
    CHECK(eng.find_order(r->order_id)->status == "Filled");
    CHECK(eng.find_account("alice")->positions.at("BTCUSDT").size == Approx(-0.01));

    auto rest = eng.place_order("alice", limit("Buy", 0.01, 50000));
    REQUIRE(rest.has_value());
    auto c = eng.cancel_order("alice", rest->order_id);
    REQUIRE(c.has_value());
    CHECK(c->status == "Cancelled");
    CHECK(c->cancel_type == "CancelByUser");
    CHECK(eng.cancel_order("alice", rest->order_id).error().code == 110001);

    CHECK(eng.place_order("alice", limit("Up", 1, 1)).error().code == 10001);
    CHECK(eng.place_order("alice", limit("Buy", 0.0001, 50000)).error().code == 10001);
    CHECK(eng.place_order("alice", limit("Buy", 100, 50000)).error().code == 110007);
    auto bad = limit("Buy", 1, 1);
    bad.symbol = "NOPE";
    CHECK(eng.place_order("alice", bad).error().message == "Not supported symbols");
}

TEST_CASE_METHOD(engine_fixture, "engine: spot fills move coins", "[engine]")
{
    auto r = eng.place_order("alice", limit("Buy", 0.01, 61000, category::spot));
    REQUIRE(r.has_value());
    CHECK(eng.find_order(r->order_id)->status == "Filled");
    auto const* acct = eng.find_account("alice");
    CHECK(acct->coins.at("BTC").wallet == Approx(0.01 * (1 - engine::spot_fee)));
    CHECK(acct->coins.at("USDT").wallet == Approx(10000 - 0.01 * 60000));
    CHECK(eng.place_order("alice", limit("Sell", 1, 60000, category::spot)).error().code == 170131);
}

TEST_CASE_METHOD(engine_fixture, "engine: wallet view is consistent with positions", "[engine]")
{
    REQUIRE(eng.set_position("alice", "BTCUSDT", -0.1, 60000, 5).has_value());
    REQUIRE(eng.set_price(category::linear, "BTCUSDT", 59000).has_value());
    auto w = eng.view_wallet("alice");
    CHECK(w.total_perp_upl == Approx(100));
    CHECK(w.total_equity == Approx(10100));
    CHECK(w.total_im == Approx(0.1 * 59000 / 5));
    CHECK(w.total_available == Approx(10100 - 0.1 * 59000 / 5));
}
