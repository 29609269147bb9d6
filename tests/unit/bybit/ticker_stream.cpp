// The public ticker stream state machine: one upstream per (category, symbol) shared by all clients.
#include "ticker_stream.hpp"

#include "driver.hpp"

#include <boost/json/parse.hpp>

#include <catch2/catch.hpp>

using namespace tradepush::bybit;
using namespace tradepush::bybit::test;
namespace json = boost::json;
namespace sdk = tradepush::sdk;

TEST_CASE("subscribe: one public stream, snapshot + deltas emitted as full tickers, shared by clients")
{
    rig r;
    REQUIRE(r.a.subscribe_ticker("linear", "BTCUSDT") == sdk::status::ok);
    auto const ws = r.one("ws", "/v5/public/linear");
    CHECK(ws.url == "ws://127.0.0.1:18080/v5/public/linear");
    CHECK(ws.user.empty());
    r.ws(ws, sdk::ws_event_kind::open);
    CHECK(r.fh.sent_on(ws.op).at(0) == R"({"op":"subscribe","req_id":"1","args":["tickers.BTCUSDT"]})");

    // Data may precede the ack (spec §5.1).
    r.ws(ws, sdk::ws_event_kind::text, read_fixture("ws_public_ticker_linear_snapshot.docs.json"));
    r.ws(ws, sdk::ws_event_kind::text, read_fixture("ws_subscribe_ack_public_linear.docs.json"));
    CHECK(r.a.find_ticker("linear", "BTCUSDT")->state() == ticker_state::live);
    auto t = r.fh.data_of(TRADEPUSH_STREAM_TICKER);
    REQUIRE(t.size() == 1);
    CHECK(t[0].category == "linear");
    CHECK(t[0].symbol == "BTCUSDT");
    CHECK(t[0].user.empty());
    CHECK(json::parse(t[0].json).at("last_price").to_number<double>() == 66666.6);

    r.ws(ws, sdk::ws_event_kind::text,
        R"({"topic":"tickers.BTCUSDT","type":"delta","data":{"symbol":"BTCUSDT","bid1Price":"66667.10"},"cs":1,"ts":2})");
    t = r.fh.data_of(TRADEPUSH_STREAM_TICKER);
    REQUIRE(t.size() == 2);
    auto const j = json::parse(t[1].json);
    CHECK(j.at("bid").to_number<double>() == 66667.1);
    CHECK(j.at("ask").to_number<double>() == 66666.7); // the full ticker, not the delta
    // Frames of other topics are ignored.
    r.ws(ws, sdk::ws_event_kind::text,
        R"({"topic":"tickers.ETHUSDT","type":"snapshot","data":{"symbol":"ETHUSDT","lastPrice":"1"},"cs":1,"ts":2})");
    CHECK(r.fh.data_of(TRADEPUSH_STREAM_TICKER).size() == 2);

    // A second client shares the stream and gets the current ticker at once.
    REQUIRE(r.a.subscribe_ticker("linear", "BTCUSDT") == sdk::status::ok);
    CHECK(r.fh.live("ws").size() == 1);
    CHECK(r.fh.data_of(TRADEPUSH_STREAM_TICKER).size() == 3);
    REQUIRE(r.a.unsubscribe_ticker("linear", "BTCUSDT") == sdk::status::ok);
    CHECK_FALSE(r.fh.find(ws.op)->cancelled);
    REQUIRE(r.a.unsubscribe_ticker("linear", "BTCUSDT") == sdk::status::ok);
    CHECK(r.fh.find(ws.op)->cancelled);
    CHECK(r.a.ticker_count() == 0);
    CHECK(r.a.unsubscribe_ticker("linear", "BTCUSDT") == sdk::status::not_found);
}

TEST_CASE("spot tickers use the spot endpoint - unknown categories and symbols are refused")
{
    rig r;
    REQUIRE(r.a.subscribe_ticker("spot", "BTCUSDT") == sdk::status::ok);
    auto const ws = r.one("ws", "/v5/public/spot");
    r.ws(ws, sdk::ws_event_kind::open);
    r.ws(ws, sdk::ws_event_kind::text, read_fixture("ws_subscribe_ack_public_spot.docs.json"));
    r.ws(ws, sdk::ws_event_kind::text, read_fixture("ws_public_ticker_spot_snapshot.docs.json"));
    auto const t = r.fh.data_of(TRADEPUSH_STREAM_TICKER);
    REQUIRE(t.size() == 1);
    CHECK(t[0].category == "spot");
    // Every pong dialect re-arms the ping (spot, option/spread "op":"pong"); acks do not.
    for(auto const* pong : {"ws_pong_public_spot.docs.json", "ws_pong_public_option.docs.json"}) {
        r.fire(r.one("timer"));
        CHECK(r.one("timer").delay_ns == 10'000'000'000ull); // waiting for the pong
        r.ws(ws, sdk::ws_event_kind::text, read_fixture("ws_unsubscribe_ack_public.ccxt-comment.json"));
        r.ws(ws, sdk::ws_event_kind::text, read_fixture("ws_subscribe_ack_public_option.docs.json"));
        CHECK(r.one("timer").delay_ns == 10'000'000'000ull);
        r.ws(ws, sdk::ws_event_kind::text, read_fixture(pong));
        CHECK(r.one("timer").delay_ns == 20'000'000'000ull);
    }
    CHECK(r.a.find_ticker("spot", "BTCUSDT")->state() == ticker_state::live);
    CHECK(r.a.subscribe_ticker("option", "BTC-1JAN26-1-C") == sdk::status::invalid);
    CHECK(r.a.subscribe_ticker("linear", "btc/usdt") == sdk::status::invalid);
    CHECK(r.a.subscribe_ticker("linear", "") == sdk::status::invalid);
}

TEST_CASE("a refused subscription is an error status, without reconnect loops")
{
    rig r;
    REQUIRE(r.a.subscribe_ticker("linear", "NOPEUSDT") == sdk::status::ok);
    auto const ws = r.one("ws");
    r.ws(ws, sdk::ws_event_kind::open);
    r.ws(ws, sdk::ws_event_kind::text,
        R"({"success":false,"ret_msg":"error:handler not found","conn_id":"x","req_id":"1","op":"subscribe"})");
    auto const st = r.fh.statuses();
    REQUIRE(st.size() == 1);
    CHECK(st[0].state == TRADEPUSH_STATE_ERROR);
    CHECK(st[0].code == "invalid_symbol");
    CHECK(st[0].symbol == "NOPEUSDT");
    CHECK(r.fh.find(ws.op)->cancelled);
    CHECK(r.fh.live("timer").empty());
    // A later subscriber is told too.
    REQUIRE(r.a.subscribe_ticker("linear", "NOPEUSDT") == sdk::status::ok);
    CHECK(r.fh.statuses().size() == 2);
}

TEST_CASE("close -> stale, backoff reconnect, fresh snapshot - ping/pong keeps it alive")
{
    rig r;
    REQUIRE(r.a.subscribe_ticker("linear", "BTCUSDT") == sdk::status::ok);
    auto ws = r.one("ws");
    r.ws(ws, sdk::ws_event_kind::open);
    r.ws(ws, sdk::ws_event_kind::text, read_fixture("ws_public_ticker_linear_snapshot.docs.json"));

    // Ping after the interval; the linear pong dialect answers it.
    auto ping = r.one("timer");
    CHECK(ping.delay_ns == 20'000'000'000ull);
    r.fire(ping);
    CHECK(r.fh.sent_on(ws.op).back() == R"({"op":"ping","req_id":"2"})");
    r.ws(ws, sdk::ws_event_kind::text, read_fixture("ws_pong_public_linear.docs.json"));
    ping = r.one("timer");
    CHECK(ping.delay_ns == 20'000'000'000ull);

    r.ws(ws, sdk::ws_event_kind::closed, "reset by peer");
    auto st = r.fh.statuses();
    REQUIRE(st.size() == 1);
    CHECK(st[0].state == TRADEPUSH_STATE_STALE);
    CHECK(st[0].code == "upstream_reconnecting");
    CHECK_FALSE(r.a.find_ticker("linear", "BTCUSDT")->book().ready());
    auto const reconnect = r.one("timer");
    CHECK(reconnect.delay_ns == 500'000'000ull);
    r.fire(reconnect);
    ws = r.one("ws");
    r.ws(ws, sdk::ws_event_kind::open);
    // A delta before the new snapshot is not applied to the old state.
    r.ws(ws, sdk::ws_event_kind::text,
        R"({"topic":"tickers.BTCUSDT","type":"delta","data":{"symbol":"BTCUSDT","bid1Price":"1"},"cs":1,"ts":2})");
    CHECK(r.fh.data_of(TRADEPUSH_STREAM_TICKER).size() == 1);
    r.ws(ws, sdk::ws_event_kind::text, read_fixture("ws_public_ticker_linear_snapshot.docs.json"));
    CHECK(r.fh.data_of(TRADEPUSH_STREAM_TICKER).size() == 2);
    st = r.fh.statuses();
    REQUIRE(st.size() == 2);
    CHECK(st[1].state == TRADEPUSH_STATE_LIVE);

    // No pong: reconnect.
    r.fire(r.one("timer"));
    r.fire(r.one("timer"));
    CHECK(r.fh.find(ws.op)->cancelled);
    CHECK(r.a.find_ticker("linear", "BTCUSDT")->state() == ticker_state::reconnect_wait);
}

TEST_CASE("client tickers and mark users share one stream - reset_user leaves client tickers alone")
{
    rig r;
    REQUIRE(r.a.subscribe_ticker("linear", "BTCUSDT") == sdk::status::ok);
    REQUIRE(r.a.open_account(sdk::owner{"u1", 1}, sdk::account{"main", "bybit", "testnet", "k", "s"}, 0xf)
        == sdk::status::ok);
    r.answer_time();
    r.http(r.one("http", "/v5/position/list"), 200,
        R"({"retCode":0,"retMsg":"OK","result":{"nextPageCursor":"","list":[{"symbol":"BTCUSDT","side":"Sell","size":"1","avgPrice":"100","markPrice":"100","positionIdx":0,"seq":1}]},"time":1})");
    CHECK(r.fh.live("ws", "/v5/public/linear").size() == 1);
    auto const ws = r.one("ws", "/v5/public/linear");
    REQUIRE(r.a.reset_user(sdk::owner{"u1", 1}) == sdk::status::ok);
    CHECK_FALSE(r.fh.find(ws.op)->cancelled);
    REQUIRE(r.a.unsubscribe_ticker("linear", "BTCUSDT") == sdk::status::ok);
    CHECK(r.fh.find(ws.op)->cancelled);
}
