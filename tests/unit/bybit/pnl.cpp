// PnL from positions and live mark prices.
#include "pnl.hpp"

#include "normalize.hpp"

#include <boost/json/parse.hpp>

#include <catch2/catch.hpp>

using namespace tradepush::bybit;

namespace {

position
make(std::string symbol, std::string side, std::string size, std::string entry, std::string mark = "0",
    std::string upnl = "0", std::string realised = "0")
{
    position p;
    p.symbol = std::move(symbol);
    p.side = std::move(side);
    p.size = std::move(size);
    p.entry_price = std::move(entry);
    p.mark_price = std::move(mark);
    p.unrealised_pnl = std::move(upnl);
    p.cur_realised_pnl = std::move(realised);
    return p;
}

} // namespace

TEST_CASE("unrealised pnl of linear positions at a mark")
{
    CHECK(*unrealised_pnl(make("BTCUSDT", "Buy", "0.5", "60000"), 61000) == 500.0);
    CHECK(*unrealised_pnl(make("BTCUSDT", "Sell", "0.5", "60000"), 61000) == -500.0);
    // Float noise is rounded away: 0.3 - 0.1 would print as 0.19999999999999998.
    CHECK(*unrealised_pnl(make("X", "Buy", "1", "0.1"), 0.3) == 0.2);
    CHECK_FALSE(unrealised_pnl(make("X", "Buy", "", "0.1"), 1.0));
}

TEST_CASE("unrealised pnl of inverse positions is in coin")
{
    auto p = make("BTCUSD", "Sell", "300", "27464.50441675");
    p.category = "inverse";
    auto const u = unrealised_pnl(p, 28224.5);
    REQUIRE(u);
    CHECK(*u == Approx(300 * (1 / 27464.50441675 - 1 / 28224.5) * -1).margin(1e-9));
    CHECK(*u == -0.0002941266);
}

TEST_CASE("account pnl uses live marks and falls back to Bybit's numbers")
{
    std::map<position_key, position> positions;
    apply_position(positions, make("BTCUSDT", "Buy", "0.5", "60000", "60500", "250", "-3.5"));
    apply_position(positions, make("ETHUSDT", "Sell", "2", "3000", "2990", "20", "1.25"));

    // No live marks: Bybit's markPrice / unrealisedPnl as sent.
    auto s = compute_pnl(positions, {});
    CHECK(s.unrealised_pnl == 270.0);
    CHECK(s.realised_pnl == -2.25);
    CHECK(pnl_json(s)
        == R"({"unrealised_pnl":270,"realised_pnl":-2.25,"total_pnl":267.75,"positions":[)"
           R"({"symbol":"BTCUSDT","side":"long","mark_price":60500,"unrealised_pnl":250,"realised_pnl":-3.5},)"
           R"({"symbol":"ETHUSDT","side":"short","mark_price":2990,"unrealised_pnl":20,"realised_pnl":1.25}]})");

    // A live BTC mark moves the pnl in real time; ETH keeps Bybit's value.
    mark_map marks{{"BTCUSDT", 61000.0}};
    s = compute_pnl(positions, marks);
    CHECK(s.unrealised_pnl == 520.0);
    CHECK(pnl_json(s)
        == R"({"unrealised_pnl":520,"realised_pnl":-2.25,"total_pnl":517.75,"positions":[)"
           R"({"symbol":"BTCUSDT","side":"long","mark_price":61000,"unrealised_pnl":500,"realised_pnl":-3.5},)"
           R"({"symbol":"ETHUSDT","side":"short","mark_price":2990,"unrealised_pnl":20,"realised_pnl":1.25}]})");

    // The positions stream carries the same live numbers.
    auto const pj = boost::json::parse(positions_json(positions, marks));
    CHECK(pj.at("positions").at(0).at("mark_price").to_number<double>() == 61000.0);
    CHECK(pj.at("positions").at(0).at("unrealised_pnl").to_number<double>() == 500.0);
}

TEST_CASE("no positions: zero pnl")
{
    CHECK(pnl_json(compute_pnl({}, {})) == R"({"unrealised_pnl":0,"realised_pnl":0,"total_pnl":0,"positions":[]})");
}
