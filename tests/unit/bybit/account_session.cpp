// The per-account session state machine, driven through the adapter with the fake host: snapshot on
// open, private stream auth/subscribe, live pnl from the mark stream, failures -> stream_status, retries,
// reconnects, reset_user and epochs.
#include "account_session.hpp"

#include "driver.hpp"
#include "normalize.hpp"

#include <boost/json/parse.hpp>

#include <catch2/catch.hpp>

using namespace tradepush::bybit;
using namespace tradepush::bybit::test;
namespace json = boost::json;
namespace sdk = tradepush::sdk;
using std::chrono::milliseconds;

namespace {

constexpr std::uint32_t all_mask = 0xf;

sdk::account
test_account(std::string_view network = "testnet")
{
    return sdk::account{"main", "bybit", network, "test_api_key", "test_secret"};
}

std::string const positions_body =
    R"({"retCode":0,"retMsg":"OK","result":{"category":"linear","nextPageCursor":"","list":[)"
    R"({"positionIdx":0,"symbol":"BTCUSDT","side":"Buy","size":"0.5","avgPrice":"60000","markPrice":"60500",)"
    R"("unrealisedPnl":"250","curRealisedPnl":"-3.5","cumRealisedPnl":"10","leverage":"10","liqPrice":"",)"
    R"("positionValue":"30000","takeProfit":"0","stopLoss":"0","updatedTime":"1700000000000","seq":100}]},)"
    R"("retExtInfo":{},"time":1700000000000})";

std::string const empty_orders_body =
    R"({"retCode":0,"retMsg":"OK","result":{"category":"linear","nextPageCursor":"","list":[]},"retExtInfo":{},"time":1})";

std::string
err_body(long long code, std::string_view msg)
{
    return R"({"retCode":)" + std::to_string(code) + R"(,"retMsg":")" + std::string(msg)
        + R"(","result":{},"retExtInfo":{},"time":1700000000000})";
}

// Bybit's 10002: the request's timestamp is outside recv_window of the server's clock.
std::string
timestamp_error()
{
    return err_body(10002, "invalid request, please check your server timestamp or recv_window param. "
                           "req_timestamp[1],server_timestamp[2],recv_window[5000]");
}

// Opens u1/main on testnet and answers the clock with a +2 s server skew.
void
open_and_sync(rig& r, std::uint64_t epoch = 1, std::uint32_t mask = all_mask)
{
    REQUIRE(r.a.open_account(sdk::owner{"u1", epoch}, test_account(), mask) == sdk::status::ok);
    r.answer_time(2000);
}

// Answers the three snapshot requests (wallet fixture, one BTC position, no orders).
void
answer_snapshot(rig& r)
{
    r.http(r.one("http", "/v5/account/wallet-balance"), 200, read_fixture("rest_wallet_balance_unified.docs.json"));
    r.http(r.one("http", "/v5/position/list"), 200, positions_body);
    r.http(r.one("http", "/v5/order/realtime"), 200, empty_orders_body);
}

// Brings the private stream to live: open, auth ok, subscribe ack.
fake_host::op_record
bring_ws_live(rig& r)
{
    auto const ws = r.one("ws", "/v5/private");
    r.ws(ws, sdk::ws_event_kind::open);
    r.ws(ws, sdk::ws_event_kind::text, read_fixture("ws_auth_success.docs.json"));
    r.ws(ws, sdk::ws_event_kind::text, read_fixture("ws_subscribe_ack_private.docs.json"));
    return ws;
}

} // namespace

TEST_CASE("open_account: clock sync, signed REST snapshots, emits, private stream auth and subscribe")
{
    rig r;
    REQUIRE(r.a.open_account(sdk::owner{"u1", 1}, test_account(), all_mask) == sdk::status::ok);

    // Nothing is signed before the server clock is known.
    auto const t = r.one("http", "/v5/market/time");
    CHECK(t.url == "http://127.0.0.1:18080/v5/market/time");
    CHECK(t.user.empty()); // public: no user reset may cancel the shared clock
    CHECK(r.fh.live("http", "/v5/account").empty());
    CHECK(r.fh.live("ws").empty());
    r.answer_time(2000);

    // Then the three snapshots, signed with server time, and the private stream.
    auto const w = r.one("http", "/v5/account/wallet-balance");
    CHECK(w.url == "http://127.0.0.1:18080/v5/account/wallet-balance?accountType=UNIFIED");
    CHECK(w.method == "GET");
    CHECK(w.user == "u1");
    CHECK(w.epoch == 1);
    auto const ts = r.fh.wall_ms + 2000;
    CHECK(w.header("X-BAPI-API-KEY") == "test_api_key");
    CHECK(w.header("X-BAPI-TIMESTAMP") == std::to_string(ts));
    CHECK(w.header("X-BAPI-RECV-WINDOW") == "5000");
    CHECK(w.header("X-BAPI-SIGN")
        == to_hex(hmac_sha256("test_secret", std::to_string(ts) + "test_api_key5000accountType=UNIFIED")));
    CHECK(r.one("http", "/v5/position/list").url
        == "http://127.0.0.1:18080/v5/position/list?category=linear&settleCoin=USDT&limit=200");
    CHECK(r.one("http", "/v5/order/realtime").url
        == "http://127.0.0.1:18080/v5/order/realtime?category=linear&settleCoin=USDT&limit=50");
    auto const ws = r.one("ws", "/v5/private");
    CHECK(ws.url == "ws://127.0.0.1:18080/v5/private");
    CHECK(ws.user == "u1");

    answer_snapshot(r);
    auto const bal = r.fh.data_of(TRADEPUSH_STREAM_BALANCE);
    REQUIRE(bal.size() == 1);
    CHECK(bal[0].user == "u1");
    CHECK(bal[0].epoch == 1);
    CHECK(bal[0].account == "main");
    CHECK(json::parse(bal[0].json).at("available_balance").to_number<double>() == 3.00326056);
    REQUIRE(r.fh.data_of(TRADEPUSH_STREAM_POSITIONS).size() == 1);
    REQUIRE(r.fh.data_of(TRADEPUSH_STREAM_PNL).size() == 1);
    CHECK(r.fh.data_of(TRADEPUSH_STREAM_PNL)[0].json
        == R"({"unrealised_pnl":250,"realised_pnl":-3.5,"total_pnl":246.5,"positions":[)"
           R"({"symbol":"BTCUSDT","side":"long","mark_price":60500,"unrealised_pnl":250,"realised_pnl":-3.5}]})");
    CHECK(r.fh.data_of(TRADEPUSH_STREAM_ORDERS)[0].json == R"({"orders":[]})");
    // A healthy start says nothing in stream_status: the data is the news.
    CHECK(r.fh.statuses().empty());

    // The position's symbol gets a public mark stream (shared, owned by nobody).
    auto const mark_ws = r.one("ws", "/v5/public/linear");
    CHECK(mark_ws.user.empty());

    // Private stream: auth with a fresh expires = server now + 10 s, then the four topics.
    r.ws(ws, sdk::ws_event_kind::open);
    auto sent = r.fh.sent_on(ws.op);
    REQUIRE(sent.size() == 1);
    auto const expires = ts + 10000;
    CHECK(sent[0] == ws_auth_message("test_api_key", expires,
                         to_hex(hmac_sha256("test_secret", "GET/realtime" + std::to_string(expires)))));
    CHECK(r.a.find_session("u1", "main")->ws() == ws_state::authenticating);
    r.ws(ws, sdk::ws_event_kind::text, read_fixture("ws_auth_success.docs.json"));
    sent = r.fh.sent_on(ws.op);
    REQUIRE(sent.size() == 2);
    CHECK(sent[1] == R"({"op":"subscribe","req_id":"1","args":["wallet","position","order","execution"]})");
    r.ws(ws, sdk::ws_event_kind::text, read_fixture("ws_subscribe_ack_private.docs.json"));
    CHECK(r.a.find_session("u1", "main")->ws() == ws_state::live);

    // Live: a REST refresh covers what happened before the subscription, and pings start.
    CHECK(r.fh.live("http", "/v5/account/wallet-balance").size() == 1);
    CHECK(r.fh.live("http", "/v5/position/list").size() == 1);
    CHECK(r.fh.live("http", "/v5/order/realtime").size() == 1);
    auto timers = r.fh.live("timer");
    bool ping_armed = false;
    for(auto const& tm : timers)
        ping_armed |= tm.delay_ns == 20'000'000'000ull;
    CHECK(ping_armed);
    // Unchanged answers are not re-emitted.
    answer_snapshot(r);
    CHECK(r.fh.data_of(TRADEPUSH_STREAM_BALANCE).size() == 1);
    CHECK(r.fh.data_of(TRADEPUSH_STREAM_POSITIONS).size() == 1);
}

TEST_CASE("pnl moves with the live mark price - positions and orders follow private pushes")
{
    rig r;
    open_and_sync(r);
    answer_snapshot(r);
    auto const ws = bring_ws_live(r);
    answer_snapshot(r);

    // The mark stream subscribes to tickers.BTCUSDT; its snapshot moves pnl (no ticker emit: no client).
    auto const mark_ws = r.one("ws", "/v5/public/linear");
    r.ws(mark_ws, sdk::ws_event_kind::open);
    REQUIRE(r.fh.sent_on(mark_ws.op).size() == 1);
    CHECK(r.fh.sent_on(mark_ws.op)[0] == R"({"op":"subscribe","req_id":"1","args":["tickers.BTCUSDT"]})");
    r.ws(mark_ws, sdk::ws_event_kind::text,
        R"({"topic":"tickers.BTCUSDT","type":"snapshot","data":{"symbol":"BTCUSDT","markPrice":"61000","lastPrice":"61001"},"cs":1,"ts":2})");
    auto pnl = r.fh.data_of(TRADEPUSH_STREAM_PNL);
    REQUIRE(pnl.size() == 2);
    CHECK(json::parse(pnl.back().json).at("unrealised_pnl").to_number<double>() == 500.0);
    CHECK(r.fh.data_of(TRADEPUSH_STREAM_TICKER).empty());
    // A delta without markPrice changes nothing for pnl.
    r.ws(mark_ws, sdk::ws_event_kind::text,
        R"({"topic":"tickers.BTCUSDT","type":"delta","data":{"symbol":"BTCUSDT","lastPrice":"61002"},"cs":2,"ts":3})");
    CHECK(r.fh.data_of(TRADEPUSH_STREAM_PNL).size() == 2);
    r.ws(mark_ws, sdk::ws_event_kind::text,
        R"({"topic":"tickers.BTCUSDT","type":"delta","data":{"symbol":"BTCUSDT","markPrice":"59000"},"cs":3,"ts":4})");
    pnl = r.fh.data_of(TRADEPUSH_STREAM_PNL);
    REQUIRE(pnl.size() == 3);
    CHECK(json::parse(pnl.back().json).at("unrealised_pnl").to_number<double>() == -500.0);

    // A new order arrives over the private stream (linear only; the option fixture is ignored).
    r.ws(ws, sdk::ws_event_kind::text, read_fixture("ws_private_order.docs.json"));
    CHECK(r.fh.data_of(TRADEPUSH_STREAM_ORDERS).size() == 1);
    r.ws(ws, sdk::ws_event_kind::text,
        R"({"id":"1","topic":"order","creationTime":1,"data":[{"category":"linear","symbol":"BTCUSDT","orderId":"o1","side":"Buy","orderType":"Limit","price":"58000","qty":"0.1","orderStatus":"New","cumExecQty":"0","leavesQty":"0.1","avgPrice":"","createdTime":"1700000000001","updatedTime":"1700000000001","reduceOnly":false}]})");
    auto orders = r.fh.data_of(TRADEPUSH_STREAM_ORDERS);
    REQUIRE(orders.size() == 2);
    CHECK(json::parse(orders.back().json).at("orders").at(0).at("order_id") == "o1");
    CHECK(json::parse(orders.back().json).at("orders").at(0).at("avg_price").is_null());

    // The wallet push replaces the balance.
    r.ws(ws, sdk::ws_event_kind::text, read_fixture("ws_private_wallet.docs.json"));
    auto bal = r.fh.data_of(TRADEPUSH_STREAM_BALANCE);
    REQUIRE(bal.size() == 2);
    CHECK(json::parse(bal.back().json).at("total_equity").to_number<double>() == 10262.91335023);

    // Executions are counted; they change no stream by themselves.
    r.ws(ws, sdk::ws_event_kind::text, read_fixture("ws_private_execution.docs.json"));
    CHECK(r.fh.metrics["bybit_executions"] == 1);

    // The position closes (the fixture is a flat BTCUSDT row with a newer seq): positions and pnl
    // emit empty, and nobody needs the BTCUSDT mark any more.
    auto closing = read_fixture("ws_private_position.docs.json");
    r.ws(ws, sdk::ws_event_kind::text,
        R"({"topic":"position","data":[{"category":"linear","symbol":"BTCUSDT","side":"","size":"0","entryPrice":"0","positionIdx":0,"seq":101}]})");
    CHECK(r.fh.data_of(TRADEPUSH_STREAM_POSITIONS).back().json == R"({"positions":[]})");
    CHECK(json::parse(r.fh.data_of(TRADEPUSH_STREAM_PNL).back().json).at("unrealised_pnl").to_number<double>() == 0);
    CHECK(r.fh.find(mark_ws.op)->cancelled);
    CHECK(r.a.ticker_count() == 0);
    // The docs fixture (hedge-mode idx 2, flat) changes nothing.
    auto const n = r.fh.data_of(TRADEPUSH_STREAM_POSITIONS).size();
    r.ws(ws, sdk::ws_event_kind::text, closing);
    CHECK(r.fh.data_of(TRADEPUSH_STREAM_POSITIONS).size() == n);
}

TEST_CASE("bad credentials reach the client as stream_status errors, never as silence")
{
    rig r;
    open_and_sync(r);
    r.http(r.one("http", "/v5/account/wallet-balance"), 200, err_body(10003, "API key is invalid."));
    auto const st = r.fh.statuses();
    REQUIRE(st.size() == 4);
    for(auto const& s : st) {
        CHECK(s.state == TRADEPUSH_STATE_ERROR);
        CHECK(s.code == "exchange_auth_failed");
        CHECK(s.user == "u1");
        CHECK(s.account == "main");
    }
    CHECK(r.a.find_session("u1", "main")->failed());
    // Everything stops: no retries, no private stream, no pending requests.
    CHECK(r.fh.live("http").empty());
    CHECK(r.fh.live("ws").empty());
    CHECK(r.fh.live("timer").empty());
    // A later snapshot request repeats the reason.
    REQUIRE(r.a.request_snapshot(sdk::owner{"u1", 1}, "main", sdk::stream::balance) == sdk::status::ok);
    auto const again = r.fh.statuses();
    REQUIRE(again.size() == 5);
    CHECK(again.back().code == "exchange_auth_failed");
    CHECK(again.back().stream == TRADEPUSH_STREAM_BALANCE);
    CHECK(again.back().message == "bybit retCode 10003: API key is invalid.");
    // Reopening (e.g. with rotated keys) builds a fresh session.
    REQUIRE(r.a.open_account(sdk::owner{"u1", 1}, test_account(), all_mask) == sdk::status::ok);
    CHECK_FALSE(r.a.find_session("u1", "main")->failed());
    CHECK(r.fh.live("http", "/v5/account/wallet-balance").size() == 1);
}

TEST_CASE("missing permission and missing keys")
{
    rig r;
    open_and_sync(r);
    r.http(r.one("http", "/v5/position/list"), 200, err_body(10005, "Permission denied, please check your API key permissions."));
    CHECK(r.fh.statuses().at(0).code == "exchange_permission_denied");

    rig r2;
    CHECK(r2.a.open_account(sdk::owner{"u2", 1}, sdk::account{"main", "bybit", "mainnet", "", ""}, all_mask)
        == sdk::status::auth);
    REQUIRE(r2.fh.statuses().size() == 1);
    CHECK(r2.fh.statuses()[0].stream == TRADEPUSH_STREAM_ALL_ACCOUNT);
    CHECK(r2.fh.statuses()[0].code == "exchange_auth_failed");
    CHECK(r2.a.open_account(sdk::owner{"u2", 1}, sdk::account{"main", "bybit", "moon", "k", "s"}, all_mask)
        == sdk::status::invalid);
    CHECK(r2.fh.statuses().back().code == "invalid_account");
    CHECK(r2.a.open_account(sdk::owner{}, test_account(), all_mask) == sdk::status::invalid);
    CHECK(r2.a.open_account(sdk::owner{"u2", 1}, test_account(), 1u << 4) == sdk::status::invalid);
}

TEST_CASE("10002: the clock is re-synced and the request re-signed with a fresh timestamp")
{
    rig r;
    open_and_sync(r);
    auto const first = r.one("http", "/v5/account/wallet-balance");
    r.http(first, 200, timestamp_error());
    // A forced re-sync; the server clock jumped by 30 s meanwhile.
    r.fh.wall_ms += 100;
    r.answer_time(32000);
    auto const second = r.one("http", "/v5/account/wallet-balance");
    CHECK(second.header("X-BAPI-TIMESTAMP") == std::to_string(r.fh.wall_ms + 32000));
    CHECK(second.header("X-BAPI-SIGN") != first.header("X-BAPI-SIGN"));
    r.http(second, 200, read_fixture("rest_wallet_balance_unified.docs.json"));
    CHECK(r.fh.data_of(TRADEPUSH_STREAM_BALANCE).size() == 1);
    CHECK(r.fh.statuses().empty());
}

TEST_CASE("10002 for a request signed before the latest re-sync: re-signed and the fresh clock kept")
{
    rig r;
    open_and_sync(r);
    auto const wallet = r.one("http", "/v5/account/wallet-balance");
    auto const positions = r.one("http", "/v5/position/list");
    auto const skewed = timestamp_error();
    // Both went out with the +2 s clock; the server is 32 s ahead by now. The first 10002 re-syncs ...
    r.http(wallet, 200, skewed);
    r.answer_time(32000);
    auto const wallet2 = r.one("http", "/v5/account/wallet-balance");
    // ... and the one that crossed that re-sync is only signed again: a second forced re-sync would drop
    // the fresh estimate and leave the private stream's auth without a clock meanwhile.
    r.http(positions, 200, skewed);
    CHECK(r.fh.live("http", "/v5/market/time").empty());
    auto const positions2 = r.one("http", "/v5/position/list");
    CHECK(positions2.header("X-BAPI-TIMESTAMP") == std::to_string(r.fh.wall_ms + 32000));
    r.http(wallet2, 200, read_fixture("rest_wallet_balance_unified.docs.json"));
    r.http(positions2, 200, positions_body);
    CHECK(r.fh.data_of(TRADEPUSH_STREAM_POSITIONS).size() == 1);
    CHECK(r.fh.statuses().empty());
}

TEST_CASE("the private stream opens during a forced re-sync: it authenticates once the clock is back")
{
    rig r;
    open_and_sync(r);
    auto const ws = r.one("ws", "/v5/private");
    // A 10002 forces a re-sync: until it answers there is no server clock to take `expires` from.
    r.http(r.one("http", "/v5/account/wallet-balance"), 200, timestamp_error());
    REQUIRE(r.fh.live("http", "/v5/market/time").size() == 1);
    r.ws(ws, sdk::ws_event_kind::open);
    // Local time + 10 s would be in the past of a server 32 s ahead: "Params Error", counted against the key.
    CHECK(r.fh.sent_on(ws.op).empty());
    r.answer_time(32000);
    auto const sent = r.fh.sent_on(ws.op);
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].find(std::to_string(r.fh.wall_ms + 32000 + 10000)) != std::string::npos);
    r.ws(ws, sdk::ws_event_kind::text, read_fixture("ws_auth_success.docs.json"));
    r.ws(ws, sdk::ws_event_kind::text, read_fixture("ws_subscribe_ack_private.docs.json"));
    CHECK(r.a.find_session("u1", "main")->ws() == ws_state::live);
    CHECK(!r.fh.find(ws.op)->cancelled);
}

TEST_CASE("10006: stale with rate_limited, retry at the reset time, live again after")
{
    rig r;
    open_and_sync(r);
    auto const server_now = r.fh.wall_ms + 2000;
    auto const reset = std::to_string(server_now + 750);
    r.http(r.one("http", "/v5/order/realtime"), 200, err_body(10006, "Too many visits!"),
        {{"X-Bapi-Limit", "50"}, {"X-Bapi-Limit-Status", "0"}, {"X-Bapi-Limit-Reset-Timestamp", reset}});
    auto st = r.fh.statuses();
    REQUIRE(st.size() == 1);
    CHECK(st[0].stream == TRADEPUSH_STREAM_ORDERS);
    CHECK(st[0].state == TRADEPUSH_STATE_STALE);
    CHECK(st[0].code == "rate_limited");
    CHECK(r.fh.metrics["bybit_rate_limit_remaining"] == 0);
    auto const retry = r.one("timer");
    CHECK(retry.delay_ns == 800'000'000ull); // reset - now + 50 ms margin
    r.fire(retry);
    r.http(r.one("http", "/v5/order/realtime"), 200, empty_orders_body);
    st = r.fh.statuses();
    REQUIRE(st.size() == 2);
    CHECK(st[1].state == TRADEPUSH_STATE_LIVE);
    CHECK(st[1].code == "ok");
}

TEST_CASE("outages: stale exchange_unavailable and exponential retries - HTTP 403 waits long")
{
    rig r;
    open_and_sync(r);
    r.http_error(r.one("http", "/v5/account/wallet-balance"), "connection refused");
    auto st = r.fh.statuses();
    REQUIRE(st.size() == 1);
    CHECK(st[0].code == "exchange_unavailable");
    CHECK(st[0].message == "bybit unreachable: connection refused");
    auto retry = r.one("timer");
    CHECK(retry.delay_ns == 500'000'000ull);
    r.fire(retry);
    r.http(r.one("http", "/v5/account/wallet-balance"), 503, "");
    retry = r.one("timer");
    CHECK(retry.delay_ns == 1'000'000'000ull);
    r.fire(retry);
    r.http(r.one("http", "/v5/account/wallet-balance"), 403, "access too frequent");
    CHECK(r.one("timer").delay_ns == 600'000'000'000ull);
    CHECK(r.fh.statuses().back().code == "rate_limited");
}

TEST_CASE("private stream: close -> stale + backoff reconnect with a fresh expires - pong timeout - bad auth")
{
    rig r;
    open_and_sync(r);
    answer_snapshot(r);
    auto ws = bring_ws_live(r);
    answer_snapshot(r);
    CHECK(r.fh.statuses().empty());

    // Upstream closes: every stream is stale, a reconnect is scheduled.
    r.ws(ws, sdk::ws_event_kind::closed, "eof");
    auto st = r.fh.statuses();
    REQUIRE(st.size() == 4);
    CHECK(st[0].code == "upstream_reconnecting");
    CHECK(st[0].state == TRADEPUSH_STATE_STALE);
    auto reconnect = r.one("timer");
    CHECK(reconnect.delay_ns == 500'000'000ull);
    r.fh.wall_ms += 60'000;
    r.fire(reconnect);
    ws = r.one("ws", "/v5/private");
    r.ws(ws, sdk::ws_event_kind::open);
    auto const expires = r.fh.wall_ms + 2000 + 10000;
    CHECK(r.fh.sent_on(ws.op).at(0).find(std::to_string(expires)) != std::string::npos);
    r.ws(ws, sdk::ws_event_kind::text, read_fixture("ws_auth_success.docs.json"));
    r.ws(ws, sdk::ws_event_kind::text, read_fixture("ws_subscribe_ack_private.docs.json"));
    // After every reconnect: a fresh REST snapshot, and streams are live again.
    answer_snapshot(r);
    st = r.fh.statuses();
    REQUIRE(st.size() == 8);
    CHECK(st.back().state == TRADEPUSH_STATE_LIVE);

    // Ping, no pong within the timeout: reconnect.
    auto ping = r.one("timer");
    CHECK(ping.delay_ns == 20'000'000'000ull);
    r.fire(ping);
    CHECK(r.fh.sent_on(ws.op).back() == R"({"op":"ping","req_id":"3"})");
    // A pong re-arms the ping.
    r.ws(ws, sdk::ws_event_kind::text, read_fixture("ws_pong_private.docs.json"));
    ping = r.one("timer");
    CHECK(ping.delay_ns == 20'000'000'000ull);
    r.fire(ping);
    auto const pong_wait = r.one("timer");
    CHECK(pong_wait.delay_ns == 10'000'000'000ull);
    r.fire(pong_wait);
    CHECK(r.fh.find(ws.op)->cancelled);
    CHECK(r.a.find_session("u1", "main")->ws() == ws_state::reconnect_wait);

    // Auth refused twice in a row ("Params Error" first gets a clock re-sync): the key is bad.
    r.fire(r.one("timer"));
    ws = r.one("ws", "/v5/private");
    r.ws(ws, sdk::ws_event_kind::open);
    r.ws(ws, sdk::ws_event_kind::text,
        R"({"conn_id":"cldfn8fcgepd64b9hgg0-o8uhe","op":"auth","ret_msg":"Params Error","success":false})");
    CHECK(r.fh.live("http", "/v5/market/time").size() == 1);
    r.answer_time(2000);
    r.fire(r.one("timer"));
    ws = r.one("ws", "/v5/private");
    r.ws(ws, sdk::ws_event_kind::open);
    r.ws(ws, sdk::ws_event_kind::text,
        R"({"conn_id":"x","op":"auth","ret_msg":"Params Error","success":false})");
    CHECK(r.fh.statuses().back().code == "exchange_auth_failed");
    CHECK(r.fh.statuses().back().state == TRADEPUSH_STATE_ERROR);
    CHECK(r.a.find_session("u1", "main")->failed());
    CHECK(r.fh.live("ws").empty());
    CHECK(r.a.ticker_count() == 0);
}

TEST_CASE("pagination follows nextPageCursor byte for byte, then the next settle coin")
{
    rig r(R"({"allow_insecure_loopback":true,"rest_url":"http://127.0.0.1:1","ws_private_url":"ws://127.0.0.1:1/v5/private",)"
          R"("settle_coins":["USDT","USDC"],"jitter_seed":1})");
    REQUIRE(r.a.open_account(sdk::owner{"u1", 1}, test_account(), sdk::stream_bit(sdk::stream::orders)) == sdk::status::ok);
    r.answer_time();
    CHECK(r.fh.live("http", "/v5/account").empty()); // only the orders stream was asked for
    auto page1 = read_fixture("rest_order_realtime_linear.docs.json");
    r.http(r.one("http", "/v5/order/realtime"), 200, page1);
    auto const p2 = r.one("http", "/v5/order/realtime");
    CHECK(p2.url.substr(p2.url.find('?') + 1)
        == "category=linear&settleCoin=USDT&limit=50&cursor=page_args%3Dfd4300ae-7847-404e-b947-b46980a4d140%26symbol%3D6%26");
    CHECK(r.fh.data_of(TRADEPUSH_STREAM_ORDERS).empty()); // not before the whole list is known
    r.http(p2, 200, empty_orders_body);
    auto const p3 = r.one("http", "/v5/order/realtime");
    CHECK(p3.url.find("settleCoin=USDC") != std::string::npos);
    r.http(p3, 200, empty_orders_body);
    auto const orders = r.fh.data_of(TRADEPUSH_STREAM_ORDERS);
    REQUIRE(orders.size() == 1);
    CHECK(json::parse(orders[0].json).at("orders").as_array().size() == 1);
}

TEST_CASE("reset_user drops the session, its operations and caches - the next open starts fresh")
{
    rig r;
    open_and_sync(r);
    answer_snapshot(r);
    auto const ws = bring_ws_live(r);
    REQUIRE(r.a.ticker_count() == 1); // the BTCUSDT mark stream
    auto const pending = r.fh.live("http");
    REQUIRE(pending.size() == 3);

    REQUIRE(r.a.reset_user(sdk::owner{"u1", 1}) == sdk::status::ok);
    CHECK(r.a.session_count() == 0);
    CHECK(r.fh.find(ws.op)->cancelled);
    for(auto const& p : pending)
        CHECK(r.fh.find(p.op)->cancelled);
    for(auto const& t : r.fh.live("timer"))
        CHECK(t.user.empty()); // no user timer survives
    CHECK(r.a.ticker_count() == 0); // the mark stream was only for this user
    // Idempotent, and unknown users are fine.
    CHECK(r.a.reset_user(sdk::owner{"u1", 1}) == sdk::status::ok);
    CHECK(r.a.reset_user(sdk::owner{"nobody", 0}) == sdk::status::ok);
    // A late completion of a dropped request is ignored.
    auto const before = r.fh.emits.size();
    r.a.on_http_done(pending[0].op, pending[0].cookie, response(200, read_fixture("rest_wallet_balance_unified.docs.json")));
    CHECK(r.fh.emits.size() == before);

    // A new subscribe builds a new session: fresh snapshots (the clock is still known) and a new stream.
    REQUIRE(r.a.open_account(sdk::owner{"u1", 2}, test_account(), all_mask) == sdk::status::ok);
    auto const w = r.one("http", "/v5/account/wallet-balance");
    CHECK(w.epoch == 2);
    CHECK(r.one("ws", "/v5/private").epoch == 2);
    r.http(w, 200, read_fixture("rest_wallet_balance_unified.docs.json"));
    auto const bal = r.fh.data_of(TRADEPUSH_STREAM_BALANCE);
    REQUIRE(bal.size() == 2); // not deduplicated against the old session's emit
    CHECK(bal.back().epoch == 2);
}

TEST_CASE("a new epoch or new credentials rebuild the session - same epoch reuses it")
{
    rig r;
    open_and_sync(r, 1, sdk::stream_bit(sdk::stream::balance));
    r.http(r.one("http", "/v5/account/wallet-balance"), 200, read_fixture("rest_wallet_balance_unified.docs.json"));
    auto const old_ws = r.one("ws", "/v5/private");

    // Same epoch, another stream: the cached balance at once, fresh fetches after.
    REQUIRE(r.a.open_account(sdk::owner{"u1", 1}, test_account(), sdk::stream_bit(sdk::stream::orders)) == sdk::status::ok);
    CHECK(r.one("ws", "/v5/private").op == old_ws.op);
    CHECK(r.a.find_session("u1", "main")->mask() == (sdk::stream_bit(sdk::stream::balance) | sdk::stream_bit(sdk::stream::orders)));
    REQUIRE(r.a.request_snapshot(sdk::owner{"u1", 1}, "main", sdk::stream::balance) == sdk::status::ok);
    CHECK(r.fh.data_of(TRADEPUSH_STREAM_BALANCE).size() == 2); // forced replay of the cache

    // A snapshot request under a newer epoch rebuilds under it (old operations would be fenced).
    REQUIRE(r.a.request_snapshot(sdk::owner{"u1", 2}, "main", sdk::stream::pnl) == sdk::status::ok);
    CHECK(r.fh.find(old_ws.op)->cancelled);
    auto const s = r.a.find_session("u1", "main");
    REQUIRE(s);
    CHECK(s->owner().epoch == 2);
    CHECK(sdk::has_stream(s->mask(), sdk::stream::pnl));
    CHECK(sdk::has_stream(s->mask(), sdk::stream::balance));
    CHECK(r.one("ws", "/v5/private").epoch == 2);

    // Unknown sessions and non-account streams.
    CHECK(r.a.request_snapshot(sdk::owner{"u9", 1}, "main", sdk::stream::pnl) == sdk::status::not_found);
    CHECK(r.a.request_snapshot(sdk::owner{"u1", 2}, "main", sdk::stream::ticker) == sdk::status::invalid);
    CHECK(r.a.close_account(sdk::owner{"u1", 2}, "main") == sdk::status::ok);
    CHECK(r.a.close_account(sdk::owner{"u1", 2}, "main") == sdk::status::not_found);
    CHECK(r.fh.live("ws").empty());
    CHECK(r.fh.live("http", "/v5/account").empty());
}

TEST_CASE("clock sync failures: sessions say why, the sync retries with backoff")
{
    rig r;
    REQUIRE(r.a.open_account(sdk::owner{"u1", 1}, test_account(), all_mask) == sdk::status::ok);
    r.http_error(r.one("http", "/v5/market/time"), "timeout");
    auto const st = r.fh.statuses();
    REQUIRE(st.size() == 4);
    CHECK(st[0].code == "exchange_unavailable");
    auto const retry = r.one("timer");
    CHECK(retry.user.empty());
    r.fire(retry);
    r.answer_time();
    CHECK(r.fh.live("http", "/v5/account/wallet-balance").size() == 1);
    CHECK(r.fh.live("ws", "/v5/private").size() == 1);
}

TEST_CASE("secrets never reach logs, emits or URLs")
{
    rig r;
    open_and_sync(r);
    r.http(r.one("http", "/v5/account/wallet-balance"), 200,
        err_body(10004, "error sign! origin_string[1700000000000test_api_key5000accountType=UNIFIED]"));
    for(auto const& l : r.fh.logs) {
        CHECK(l.find("test_secret") == std::string::npos);
        CHECK(l.find("test_api_key") == std::string::npos);
    }
    for(auto const& e : r.fh.emits) {
        CHECK(e.json.find("test_secret") == std::string::npos);
        CHECK(e.message.find("test_secret") == std::string::npos);
        CHECK(e.message.find("test_api_key") == std::string::npos);
    }
    for(auto const& o : r.fh.ops)
        CHECK(o.url.find("test_secret") == std::string::npos);
}

TEST_CASE("slow REST reconciliation runs on its own timer")
{
    std::string cfg(rig::default_config());
    cfg.replace(cfg.find(R"("reconcile_interval_ms":0)"), 25, R"("reconcile_interval_ms":30000)");
    rig r(cfg);
    open_and_sync(r);
    answer_snapshot(r);
    auto const t = r.one("timer");
    CHECK(t.delay_ns == 30'000'000'000ull);
    CHECK(t.user == "u1");
    r.fire(t);
    CHECK(r.fh.live("http", "/v5/account/wallet-balance").size() == 1);
    CHECK(r.fh.live("http", "/v5/position/list").size() == 1);
    CHECK(r.fh.live("http", "/v5/order/realtime").size() == 1);
    CHECK(r.one("timer").delay_ns == 30'000'000'000ull);
}

TEST_CASE("rate-limit aware pagination: a spent budget pauses the list until the window resets")
{
    rig r;
    REQUIRE(r.a.open_account(sdk::owner{"u1", 1}, test_account(), sdk::stream_bit(sdk::stream::orders)) == sdk::status::ok);
    r.answer_time(2000);
    auto const reset = std::to_string(r.fh.wall_ms + 2000 + 250);
    r.http(r.one("http", "/v5/order/realtime"), 200, read_fixture("rest_order_realtime_linear.docs.json"),
        {{"X-Bapi-Limit", "50"}, {"X-Bapi-Limit-Status", "0"}, {"X-Bapi-Limit-Reset-Timestamp", reset}});
    CHECK(r.fh.live("http").empty());
    auto const pause = r.one("timer");
    CHECK(pause.delay_ns == 300'000'000ull);
    CHECK(r.fh.statuses().empty()); // a pause is not an outage
    r.fire(pause);
    // Continues with page 2, not from the start.
    auto const p2 = r.one("http", "/v5/order/realtime");
    CHECK(p2.url.find("cursor=page_args%3D") != std::string::npos);
    r.http(p2, 200, empty_orders_body);
    auto const orders = r.fh.data_of(TRADEPUSH_STREAM_ORDERS);
    REQUIRE(orders.size() == 1);
    CHECK(json::parse(orders[0].json).at("orders").as_array().size() == 1);
}

TEST_CASE("a new epoch for one account rebuilds the user's other accounts too (epochs are per user)")
{
    rig r;
    REQUIRE(r.a.open_account(sdk::owner{"u1", 1}, test_account(), all_mask) == sdk::status::ok);
    r.answer_time();
    REQUIRE(r.a.open_account(sdk::owner{"u1", 1}, sdk::account{"second", "bybit", "testnet", "k2", "s2"},
                sdk::stream_bit(sdk::stream::balance))
        == sdk::status::ok);
    auto const old_ws = r.fh.live("ws", "/v5/private");
    REQUIRE(old_ws.size() == 2);
    REQUIRE(r.a.open_account(sdk::owner{"u1", 2}, test_account(), all_mask) == sdk::status::ok);
    for(auto const& w : old_ws)
        CHECK(r.fh.find(w.op)->cancelled);
    CHECK(r.a.find_session("u1", "main")->owner().epoch == 2);
    auto const* second = r.a.find_session("u1", "second");
    REQUIRE(second);
    CHECK(second->owner().epoch == 2);
    CHECK(second->mask() == sdk::stream_bit(sdk::stream::balance));
    for(auto const& w : r.fh.live("ws", "/v5/private"))
        CHECK(w.epoch == 2);
    CHECK(r.a.session_count() == 2);
}

TEST_CASE("marks come from the account network, rows outside the settle coins are ignored")
{
    rig r(R"({"network_urls":{"testnet":{"ws_public_linear_url":"wss://stream-testnet.example/v5/public/linear"}},"jitter_seed":1,"reconcile_interval_ms":0})");
    REQUIRE(r.a.open_account(sdk::owner{"u1", 1}, test_account("testnet"), all_mask) == sdk::status::ok);
    r.answer_time();
    r.http(r.one("http", "/v5/position/list"), 200, positions_body);
    auto const mark = r.one("ws", "/v5/public/linear");
    CHECK(mark.url == "wss://stream-testnet.example/v5/public/linear");
    // A client ticker of the same symbol uses the ticker network (mainnet): another stream.
    REQUIRE(r.a.subscribe_ticker("linear", "BTCUSDT") == sdk::status::ok);
    CHECK(r.fh.live("ws", "/v5/public/linear").size() == 2);
    auto const client = r.fh.live("ws", "wss://stream.bybit.com/v5/public/linear");
    REQUIRE(client.size() == 1);
    // A mainnet mark does not move the testnet account's pnl.
    r.ws(client[0], sdk::ws_event_kind::open);
    r.ws(client[0], sdk::ws_event_kind::text,
        R"({"topic":"tickers.BTCUSDT","type":"snapshot","data":{"symbol":"BTCUSDT","markPrice":"1"},"cs":1,"ts":2})");
    CHECK(r.fh.data_of(TRADEPUSH_STREAM_PNL).size() == 1);
    r.ws(mark, sdk::ws_event_kind::open);
    r.ws(mark, sdk::ws_event_kind::text,
        R"({"topic":"tickers.BTCUSDT","type":"snapshot","data":{"symbol":"BTCUSDT","markPrice":"61000"},"cs":1,"ts":2})");
    REQUIRE(r.fh.data_of(TRADEPUSH_STREAM_PNL).size() == 2);
    CHECK(json::parse(r.fh.data_of(TRADEPUSH_STREAM_PNL).back().json).at("unrealised_pnl").to_number<double>() == 500);

    CHECK(settles_in("BTCUSDT", {"USDT"}));
    CHECK_FALSE(settles_in("BTCPERP", {"USDT"}));
    CHECK(settles_in("BTCPERP", {"USDT", "USDC"}));
    CHECK(settles_in("BTC-26DEC25", {"USDC"}));
    CHECK_FALSE(settles_in("USDT", {"USDT"}));
}

TEST_CASE("a stream first requested after the session failed still gets the reason")
{
    rig r;
    open_and_sync(r, 1, sdk::stream_bit(sdk::stream::balance));
    r.http(r.one("http", "/v5/account/wallet-balance"), 200, err_body(10005, "Permission denied"));
    REQUIRE(r.fh.statuses().size() == 1);
    REQUIRE(r.a.request_snapshot(sdk::owner{"u1", 1}, "main", sdk::stream::orders) == sdk::status::ok);
    auto const st = r.fh.statuses();
    REQUIRE(st.size() == 2);
    CHECK(st[1].stream == TRADEPUSH_STREAM_ORDERS);
    CHECK(st[1].state == TRADEPUSH_STATE_ERROR);
    CHECK(st[1].code == "exchange_permission_denied");
}

TEST_CASE("a private stream that never answers the handshake is dropped and retried")
{
    rig r;
    open_and_sync(r, 1, sdk::stream_bit(sdk::stream::balance));
    auto const ws = r.one("ws", "/v5/private");
    r.ws(ws, sdk::ws_event_kind::open);
    auto const t = r.one("timer");
    CHECK(t.delay_ns == 10'000'000'000ull); // request_timeout_ms
    r.fire(t);
    CHECK(r.fh.find(ws.op)->cancelled);
    CHECK(r.a.find_session("u1", "main")->ws() == ws_state::reconnect_wait);
    CHECK(r.fh.statuses().back().code == "upstream_reconnecting");
    r.fire(r.one("timer"));
    CHECK(r.fh.live("ws", "/v5/private").size() == 1);
}

TEST_CASE("the clock is re-synced in the background after time_sync_interval_ms")
{
    std::string cfg(rig::default_config());
    cfg.insert(cfg.size() - 1, R"(,"time_sync_interval_ms":60000)");
    rig r(cfg);
    open_and_sync(r, 1, sdk::stream_bit(sdk::stream::balance));
    r.http(r.one("http", "/v5/account/wallet-balance"), 200, read_fixture("rest_wallet_balance_unified.docs.json"));
    CHECK(r.fh.live("http").empty());
    // Within the interval a request signs with the current estimate and syncs nothing.
    REQUIRE(r.a.request_snapshot(sdk::owner{"u1", 1}, "main", sdk::stream::balance) == sdk::status::ok);
    CHECK(r.fh.live("http", "/v5/market/time").empty());
    r.http(r.one("http", "/v5/account/wallet-balance"), 200, read_fixture("rest_wallet_balance_unified.docs.json"));
    // Past it, the next signed request starts a sync without waiting for it.
    r.fh.now_ns += 61'000'000'000ull;
    REQUIRE(r.a.request_snapshot(sdk::owner{"u1", 1}, "main", sdk::stream::balance) == sdk::status::ok);
    CHECK(r.fh.live("http", "/v5/market/time").size() == 1);
    CHECK(r.fh.live("http", "/v5/account/wallet-balance").size() == 1);
    r.answer_time(-500);
    CHECK(r.fh.metrics["bybit_clock_offset_ms"] == 750); // median of +2000 and -500
}

TEST_CASE("a refused ws_send counts as a lost stream")
{
    rig r;
    open_and_sync(r, 1, sdk::stream_bit(sdk::stream::balance));
    auto const ws = r.one("ws", "/v5/private");
    r.fh.refuse_sends = true;
    r.ws(ws, sdk::ws_event_kind::open);
    CHECK(r.fh.find(ws.op)->cancelled);
    CHECK(r.a.find_session("u1", "main")->ws() == ws_state::reconnect_wait);
}
