// Normalizers: every relevant fixture parsed, and the client JSON pinned byte for byte.
#include "normalize.hpp"

#include "envelope.hpp"
#include "fake_host.hpp"
#include "time_sync.hpp"

#include <boost/json/parse.hpp>

#include <catch2/catch.hpp>

using namespace tradepush::bybit;
namespace json = boost::json;

namespace {

envelope
ok_envelope(std::string_view fixture)
{
    auto const body = test::read_fixture(fixture);
    auto out = classify_response(200, {}, body);
    REQUIRE(out.ok);
    REQUIRE_FALSE(out.error);
    return *out.ok;
}

json::object
ws_row(std::string_view fixture, std::size_t i = 0)
{
    auto v = json::parse(test::read_fixture(fixture));
    return v.as_object().at("data").as_array().at(i).as_object();
}

} // namespace

TEST_CASE("REST wallet-balance fixture -> balance stream")
{
    auto const env = ok_envelope("rest_wallet_balance_unified.docs.json");
    CHECK(env.time_ms == 1690872862481);
    auto const w = parse_wallet_result(env.result);
    REQUIRE(w);
    CHECK(w->account_type == "UNIFIED");
    CHECK(w->total_available_balance == "3.00326056");
    REQUIRE(w->coins.size() == 1);
    CHECK(w->coins[0].coin == "BTC");
    CHECK(balance_json(*w)
        == R"({"account_type":"UNIFIED","total_equity":3.31216591,"total_wallet_balance":3.00326056,)"
           R"("total_margin_balance":3.00326056,"available_balance":3.00326056,"total_perp_upl":0,)"
           R"("total_initial_margin":0,"total_maintenance_margin":0,"coins":[{"coin":"BTC","equity":0,)"
           R"("wallet_balance":0,"available_balance":0,"locked":0,"usd_value":0,"unrealised_pnl":0,)"
           R"("cum_realised_pnl":0,"borrow_amount":0.0}]})");
    // The output is valid JSON.
    CHECK_NOTHROW(json::parse(balance_json(*w)));
}

TEST_CASE("WS wallet fixture -> balance stream (empty margin fields count as 0)")
{
    auto const w = parse_wallet(ws_row("ws_private_wallet.docs.json"));
    CHECK(w.total_equity == "10262.91335023");
    CHECK(balance_json(w)
        == R"({"account_type":"UNIFIED","total_equity":10262.91335023,"total_wallet_balance":9684.46297164,)"
           R"("total_margin_balance":9684.46297164,"available_balance":9556.6056555,"total_perp_upl":0,)"
           R"("total_initial_margin":0,"total_maintenance_margin":0,"coins":[{"coin":"BTC","equity":0.00102964,)"
           R"("wallet_balance":0.00102964,"available_balance":0.00102964,"locked":0,"usd_value":36.70759517,)"
           R"("unrealised_pnl":0,"cum_realised_pnl":-0.00000973,"borrow_amount":0}]})");
}

TEST_CASE("REST position-list fixture -> positions stream")
{
    auto const env = ok_envelope("rest_position_list_inverse.docs.json");
    auto const pg = parse_page(env.result);
    CHECK(pg.next_cursor.empty());
    REQUIRE(pg.rows.size() == 1);
    auto p = parse_position(pg.rows[0]);
    CHECK(p.symbol == "BTCUSD");
    CHECK(p.side == "Sell");
    CHECK(p.entry_price == "27464.50441675"); // REST avgPrice
    CHECK(p.liq_price.empty());
    CHECK(p.seq == 5723621632);
    CHECK(is_open_position(p));
    // The row lacks a category (REST puts it on the result); inverse here.
    p.category = "inverse";
    std::map<position_key, position> positions;
    CHECK(apply_position(positions, p));
    CHECK(positions_json(positions, {})
        == R"({"positions":[{"symbol":"BTCUSD","category":"inverse","side":"short","size":300,)"
           R"("entry_price":27464.50441675,"mark_price":28224.5,"unrealised_pnl":-0.00029413,)"
           R"("realised_pnl":0.00013123,"cum_realised_pnl":-0.00096902,"leverage":10,"liq_price":null,)"
           R"("position_value":0.01092319,"take_profit":0.00,"stop_loss":0.00,"position_idx":0,)"
           R"("updated_time":1697673600012}]})");
}

TEST_CASE("WS position fixture: entryPrice, and a flat row removes the position")
{
    auto const p = parse_position(ws_row("ws_private_position.docs.json"));
    CHECK(p.category == "linear");
    CHECK(p.entry_price == "0");
    CHECK(p.position_idx == 2);
    CHECK(p.seq == 8327597863);
    CHECK_FALSE(is_open_position(p));

    std::map<position_key, position> positions;
    auto open = p;
    open.side = "Buy";
    open.size = "0.5";
    open.entry_price = "28000";
    open.seq = 8327597000;
    CHECK(apply_position(positions, open));
    CHECK(positions.size() == 1);
    // An older row must not win over a newer one.
    auto older = open;
    older.seq = 1;
    older.size = "9";
    CHECK_FALSE(apply_position(positions, older));
    CHECK(positions.begin()->second.size == "0.5");
    // The fixture (same key, higher seq, size 0) closes it.
    CHECK(apply_position(positions, p));
    CHECK(positions.empty());
    CHECK_FALSE(apply_position(positions, p));
}

TEST_CASE("REST open-orders fixture -> orders stream")
{
    auto const env = ok_envelope("rest_order_realtime_linear.docs.json");
    auto const pg = parse_page(env.result);
    CHECK(pg.next_cursor == "page_args%3Dfd4300ae-7847-404e-b947-b46980a4d140%26symbol%3D6%26");
    REQUIRE(pg.rows.size() == 1);
    auto const o = parse_order(pg.rows[0]);
    CHECK(is_open_status(o.order_status));
    std::map<std::string, order> orders;
    CHECK(apply_order(orders, o));
    CHECK(orders_json(orders)
        == R"({"orders":[{"order_id":"fd4300ae-7847-404e-b947-b46980a4d140","order_link_id":"test-000005",)"
           R"("symbol":"ETHUSDT","category":"linear","side":"buy","type":"limit","price":1600.00,"qty":0.10,)"
           R"("filled_qty":0.00,"leaves_qty":0.10,"avg_price":0,"status":"new","time_in_force":"GTC",)"
           R"("trigger_price":0.00,"take_profit":2500.00,"stop_loss":1500.00,"reduce_only":false,)"
           R"("created_time":1684738540559,"updated_time":1684738540561}]})");
}

TEST_CASE("WS order fixture: a filled order leaves the open orders")
{
    auto const o = parse_order(ws_row("ws_private_order.docs.json"));
    CHECK(o.category == "option");
    CHECK(o.order_status == "Filled");
    CHECK(o.leaves_qty.empty());
    std::map<std::string, order> orders;
    auto open = o;
    open.order_status = "New";
    open.updated_time = "1672364262400";
    CHECK(apply_order(orders, open));
    CHECK(orders.size() == 1);
    // A duplicate Filled (cancel racing a fill, spec §5.4) is harmless.
    CHECK(apply_order(orders, o));
    CHECK(orders.empty());
    CHECK_FALSE(apply_order(orders, o));
    CHECK(orders_json(orders) == R"({"orders":[]})");
}

TEST_CASE("orders are listed newest first")
{
    std::map<std::string, order> orders;
    order a;
    a.order_id = "a";
    a.order_status = "New";
    a.created_time = "100";
    order b = a;
    b.order_id = "b";
    b.created_time = "200";
    b.order_status = "PartiallyFilled";
    apply_order(orders, a);
    apply_order(orders, b);
    auto const j = json::parse(orders_json(orders));
    CHECK(j.at("orders").at(0).at("order_id") == "b");
    CHECK(j.at("orders").at(0).at("status") == "partially_filled");
    CHECK(j.at("orders").at(1).at("order_id") == "a");
}

TEST_CASE("WS execution fixture -> fill JSON")
{
    auto const e = parse_execution(ws_row("ws_private_execution.docs.json"));
    CHECK(e.exec_id == "0ab1bdf7-4219-438b-b30a-32ec863018f7");
    CHECK(execution_json(e)
        == R"({"exec_id":"0ab1bdf7-4219-438b-b30a-32ec863018f7","order_id":"9aac161b-8ed6-450d-9cab-c5cc67c21784",)"
           R"("symbol":"BTCUSDT","category":"linear","side":"sell","price":95900.1,"qty":0.5,"fee":26.3725275,)"
           R"("fee_currency":"USDT","exec_type":"trade","exec_pnl":0.05,"is_maker":false,"time":1746270400353})");
}

TEST_CASE("closed-pnl fixture: rows and an encoded cursor")
{
    auto const env = ok_envelope("rest_position_closed_pnl_linear.docs.json");
    auto const pg = parse_page(env.result);
    REQUIRE(pg.rows.size() == 1);
    CHECK(pg.rows[0].at("closedPnl") == "-47.4065323");
    CHECK(pg.next_cursor.find("%3A") != std::string::npos);
}

TEST_CASE("market time fixture: timeNano wins, then timeSecond, then time")
{
    auto env = ok_envelope("rest_market_time.docs.json");
    auto const t = parse_server_time(env);
    REQUIRE(t);
    CHECK(*t == Approx(1688639403423.213).margin(0.001));
    env.result = json::object{{"timeSecond", "1688639403"}};
    CHECK(*parse_server_time(env) == 1688639403000.0);
    env.result = json::object{};
    CHECK(*parse_server_time(env) == 1688639403423.0);
    env.time_ms = 0;
    CHECK_FALSE(parse_server_time(env));
}

TEST_CASE("REST ticker fixtures parse as envelopes with list rows")
{
    for(auto const* f : {"rest_market_tickers_inverse.docs.json", "rest_market_tickers_spot.docs.json"}) {
        auto const env = ok_envelope(f);
        auto const pg = parse_page(env.result);
        REQUIRE(pg.rows.size() == 1);
        CHECK(pg.rows[0].contains("lastPrice"));
    }
}

TEST_CASE("snake_case of Bybit enums")
{
    CHECK(snake_case("PartiallyFilledCanceled") == "partially_filled_canceled");
    CHECK(snake_case("Buy") == "buy");
    CHECK(snake_case("BustTrade") == "bust_trade");
    CHECK(snake_case("") == "");
}
