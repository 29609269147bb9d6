// The simulator over real loopback sockets: signed REST, WebSocket public and private streams,
// ping/pong dialects, idle cut-off, fault injection and counters through the control API.
#include "sim_test_util.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

using namespace tradepush::bybit_sim;
using namespace tradepush::bybit_sim::test;

namespace {

wire_reply
signed_request(unsigned short port, std::string const& path, std::string const& query, std::int64_t ts,
    std::string const& key = "demo-key", std::string const& secret = "demo-secret")
{
    return request(port, signed_get(path, query, key, secret, ts));
}

bool
is_topic(json::object const& o, char const* topic)
{
    return o.contains("topic") && o.at("topic") == topic;
}

/// TCP_NODELAY of every connected socket of this process whose local port is `port` (the sim's
/// accepted connections: the sim runs in-process).
std::vector<int>
accepted_nodelay(unsigned short port)
{
    std::vector<int> out;
    for (int fd = 0; fd < 4096; ++fd) {
        sockaddr_in local{}, peer{};
        socklen_t len = sizeof local;
        if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) != 0 || local.sin_family != AF_INET ||
            ntohs(local.sin_port) != port)
            continue;
        len = sizeof peer;
        if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0)
            continue; // the listener
        int v = -1;
        len = sizeof v;
        if (::getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len) == 0)
            out.push_back(v);
    }
    return out;
}

} // namespace

TEST_CASE("server: accepted connections disable Nagle", "[server][ws]")
{
    // A fill pushes execution, order, position and wallet as four small frames written one after the
    // other; with Nagle each waited for the previous one's delayed ACK (~40 ms per push on Linux).
    running_sim sim;
    ws_client ws(sim.port(), "/v5/private");
    ws.send(R"({"op":"ping"})");
    REQUIRE(!ws.read().text.empty());
    auto const flags = accepted_nodelay(sim.port());
    REQUIRE(flags.size() == 1);
    CHECK(flags[0] == 1);
}

TEST_CASE("server: signed REST over loopback and window edges with a frozen clock", "[server][auth]")
{
    running_sim sim;
    auto const p = sim.port();
    std::int64_t const now = 1'800'000'000'000;
    control(p, "/sim/clock", R"({"freezeMs":1800000000000})");
    auto code = [&](std::int64_t ts) {
        return signed_request(p, "/v5/account/wallet-balance", "accountType=UNIFIED", ts).json().at("retCode").as_int64();
    };
    CHECK(code(now) == 0);
    CHECK(code(now - 5000) == 0);
    CHECK(code(now + 999) == 0);
    CHECK(code(now + 1000) == 10002);
    CHECK(code(now - 5001) == 10002);

    auto ok = signed_request(p, "/v5/position/list", "category=linear&settleCoin=USDT", now);
    CHECK(ok.status == 200);
    CHECK(ok.headers["X-Bapi-Limit"] == "50");
    CHECK(ok.headers["X-Bapi-Limit-Status"] == "49");
    CHECK(ok.headers["Content-Type"] == "application/json");

    auto unknown = signed_request(p, "/v5/position/list", "category=linear&settleCoin=USDT", now, "nope", "x");
    CHECK(unknown.status == 401);
    CHECK(unknown.json().at("retCode") == 10003);
    auto bad = signed_request(p, "/v5/position/list", "category=linear&settleCoin=USDT", now, "demo-key", "wrong");
    CHECK(bad.json().at("retCode") == 10004);
    control(p, "/sim/users", R"({"user":"eve","keys":[{"key":"eve-none","secret":"s","permissions":"none"}]})");
    CHECK(signed_request(p, "/v5/position/list", "category=linear&settleCoin=USDT", now, "eve-none", "s")
              .json()
              .at("retCode") == 10005);

    // Skew: the server runs 30 s ahead; /v5/market/time tells it.
    control(p, "/sim/clock", R"({"freezeMs":null,"skewMs":30000})");
    auto t = request(p, plain_get("/v5/market/time")).json();
    CHECK(std::abs(t.at("time").as_int64() - (wall_ms() + 30000)) < 2000);
    CHECK(code(wall_ms()) == 10002);
    CHECK(code(wall_ms() + 30000) == 0);

    auto counters = request(p, plain_get("/sim/counters")).json().at("counters").as_object();
    CHECK(counters.at("restCalls").at("/v5/account/wallet-balance").as_int64() == 7);
    CHECK(counters.at("restCallsByKey").at("demo-key").as_int64() >= 9);
}

TEST_CASE("server: limits on input", "[server][limits]")
{
    sim_config cfg;
    cfg.max_request_bytes = 1024;
    cfg.max_ws_message_bytes = 512;
    running_sim sim(cfg);
    auto big = json_post("/sim/state", "{\"x\":\"" + std::string(4096, 'a') + "\"}");
    auto r = request(sim.port(), big);
    CHECK(r.status == 413);

    ws_client ws(sim.port(), "/v5/public/linear");
    ws.send("{\"op\":\"ping\",\"req_id\":\"" + std::string(2048, 'x') + "\"}");
    auto res = ws.read();
    CHECK(res.ec);

    // Unknown stream path: 404 on the upgrade.
    CHECK_THROWS(ws_client(sim.port(), "/v5/public/inverse"));
}

TEST_CASE("server: public linear tickers give a snapshot then deltas", "[server][ws]")
{
    running_sim sim;
    ws_client ws(sim.port(), "/v5/public/linear");
    ws.send(R"({"op":"subscribe","req_id":"s1","args":["tickers.BTCUSDT"]})");
    auto ack = ws.read_json();
    auto ack_fixture = load_fixture("ws_subscribe_ack_public_linear.docs.json").as_object();
    CHECK(keys_of(ack) == keys_of(ack_fixture));
    CHECK(ack.at("success").as_bool());
    CHECK(ack.at("req_id") == "s1");
    auto snap = ws.read_json();
    auto snap_fixture = load_fixture("ws_public_ticker_linear_snapshot.docs.json").as_object();
    CHECK(keys_of(snap) == keys_of(snap_fixture));
    CHECK(snap.at("type") == "snapshot");
    CHECK(snap.at("data").is_object());
    CHECK(keys_of(snap.at("data").as_object()) == keys_of(snap_fixture.at("data").as_object()));
    check_same_kinds(snap, snap_fixture);
    check_same_kinds(snap.at("data").as_object(), snap_fixture.at("data").as_object());

    control(sim.port(), "/sim/prices", R"({"category":"linear","symbol":"BTCUSDT","price":"65100"})");
    auto delta = ws.read_json();
    CHECK(delta.at("type") == "delta");
    auto const& d = delta.at("data").as_object();
    CHECK(d.at("symbol") == "BTCUSDT");
    CHECK(d.at("lastPrice") == "65100.0");
    // Partial: unchanged fields are omitted.
    CHECK(d.size() < snap.at("data").as_object().size());
    CHECK_FALSE(d.contains("fundingRate"));
    CHECK(delta.at("cs").as_int64() > snap.at("cs").as_int64());

    control(sim.port(), "/sim/tick", R"({"count":3})");
    for (int i = 0; i < 3; ++i) {
        auto m = ws.read_json();
        CHECK(m.at("type") == "delta");
        CHECK(m.at("data").at("symbol") == "BTCUSDT");
    }

    // Duplicate subscribe fails the whole batch; unknown topics too.
    ws.send(R"({"op":"subscribe","args":["tickers.ETHUSDT","tickers.BTCUSDT"]})");
    auto dup = ws.read_json();
    CHECK_FALSE(dup.at("success").as_bool());
    CHECK(dup.at("ret_msg") == "error:already subscribed,topic:tickers.BTCUSDT");
    ws.send(R"({"op":"subscribe","args":["orderbook.1.BTCUSDT"]})");
    CHECK(ws.read_json().at("ret_msg").as_string().starts_with("error:handler not found"));

    // Unsubscribe, then re-subscribe: a fresh snapshot.
    ws.send(R"({"op":"unsubscribe","req_id":"u","args":["tickers.BTCUSDT"]})");
    auto unsub = ws.read_json();
    CHECK(keys_of(unsub) == keys_of(load_fixture("ws_unsubscribe_ack_public.ccxt-comment.json").as_object()));
    ws.send(R"({"op":"subscribe","args":["tickers.BTCUSDT"]})");
    CHECK(ws.read_json().at("op") == "subscribe");
    CHECK(ws.read_json().at("type") == "snapshot");

    // Data-before-ack, as captured on testnet.
    control(sim.port(), "/sim/faults", R"({"wsDataBeforeAck":true})");
    ws.send(R"({"op":"subscribe","args":["tickers.ETHUSDT"]})");
    CHECK(ws.read_json().at("topic") == "tickers.ETHUSDT");
    CHECK(ws.read_json().at("op") == "subscribe");
}

TEST_CASE("server: public spot tickers are snapshots", "[server][ws]")
{
    running_sim sim;
    ws_client ws(sim.port(), "/v5/public/spot");
    ws.send(R"({"op":"subscribe","req_id":"10001","args":["tickers.BTCUSDT"]})");
    auto ack = ws.read_json();
    CHECK(keys_of(ack) == keys_of(load_fixture("ws_subscribe_ack_public_spot.docs.json").as_object()));
    CHECK(ack.at("ret_msg") == "subscribe");
    auto snap_fixture = load_fixture("ws_public_ticker_spot_snapshot.docs.json").as_object();
    auto snap = ws.read_json();
    CHECK(keys_of(snap) == keys_of(snap_fixture));
    CHECK(keys_of(snap.at("data").as_object()) == keys_of(snap_fixture.at("data").as_object()));
    control(sim.port(), "/sim/tick");
    auto next = ws.read_json();
    CHECK(next.at("type") == "snapshot");
    CHECK(keys_of(next.at("data").as_object()) == keys_of(snap_fixture.at("data").as_object()));

    // Spot allows at most 10 args per request.
    json::array args;
    for (int i = 0; i < 11; ++i)
        args.push_back(json::value("tickers.X" + std::to_string(i)));
    json::object sub{{"op", "subscribe"}, {"args", args}};
    ws.send(json::serialize(sub));
    CHECK_FALSE(ws.read_json().at("success").as_bool());
}

TEST_CASE("server: ping/pong dialects", "[server][ws]")
{
    running_sim sim;
    {
        ws_client ws(sim.port(), "/v5/public/linear");
        ws.send(R"({"op":"ping","req_id":"100001"})");
        auto pong = ws.read_json();
        CHECK(keys_of(pong) == keys_of(load_fixture("ws_pong_public_linear.docs.json").as_object()));
        CHECK(pong.at("ret_msg") == "pong");
        CHECK(pong.at("op") == "ping");
        CHECK(pong.at("req_id") == "100001");
    }
    {
        ws_client ws(sim.port(), "/v5/public/spot");
        ws.send(R"({"op":"ping"})");
        auto pong = ws.read_json();
        CHECK(keys_of(pong) == keys_of(load_fixture("ws_pong_public_spot.docs.json").as_object()));
    }
    {
        ws_client ws(sim.port(), "/v5/private");
        // hummingbot's dialect: args is an int, not an array.
        ws.send(R"({"op":"ping","req_id":"test","args":1700000000000})");
        auto pong = ws.read_json();
        CHECK(keys_of(pong) == keys_of(load_fixture("ws_pong_private.docs.json").as_object()));
        CHECK(pong.at("op") == "pong");
        CHECK(pong.at("req_id") == "test");
        CHECK(pong.at("args").as_array().at(0).is_string());
    }
    // Stop answering pings: the next frame is the subscribe ack, not a pong.
    control(sim.port(), "/sim/faults", R"({"wsNoPong":true})");
    ws_client ws(sim.port(), "/v5/public/linear");
    ws.send(R"({"op":"ping"})");
    ws.send(R"({"op":"subscribe","args":["tickers.BTCUSDT"]})");
    CHECK(ws.read_json().at("op") == "subscribe");
    auto counters = request(sim.port(), plain_get("/sim/counters")).json().at("counters").as_object();
    CHECK(counters.at("wsPings").as_int64() == 4);
}

TEST_CASE("server: private auth", "[server][ws][auth]")
{
    running_sim sim;
    auto const p = sim.port();
    {
        ws_client ws(p, "/v5/private");
        // Subscribing before auth is refused.
        ws.send(R"({"op":"subscribe","args":["order"]})");
        auto early = ws.read_json();
        CHECK_FALSE(early.at("success").as_bool());

        ws.send(ws_auth_op("demo-key", "demo-secret", wall_ms() + 10000));
        auto ok = ws.read_json();
        CHECK(keys_of(ok) == keys_of(load_fixture("ws_auth_success.docs.json").as_object()) );
        CHECK(ok.at("success").as_bool());
        CHECK(ok.at("op") == "auth");
        ws.send(R"({"op":"subscribe","args":["order","position"]})");
        auto sub = ws.read_json();
        CHECK(keys_of(sub) == keys_of(load_fixture("ws_subscribe_ack_private.docs.json").as_object()));
        CHECK(sub.at("success").as_bool());
        // All-in-one and categorised topics cannot be mixed in one request.
        ws.send(R"({"op":"subscribe","args":["wallet","execution.linear"]})");
        CHECK_FALSE(ws.read_json().at("success").as_bool());
    }
    {
        ws_client ws(p, "/v5/private");
        // Expired `expires` ⇒ "Params Error" (pybit#152).
        ws.send(ws_auth_op("demo-key", "demo-secret", wall_ms() - 1000));
        auto r = ws.read_json();
        CHECK_FALSE(r.at("success").as_bool());
        CHECK(r.at("ret_msg") == "Params Error");
        // expires as a string (ccxt) works; a bad signature does not.
        ws.send(R"({"op":"auth","args":["demo-key",")" + std::to_string(wall_ms() + 10000) + R"(","deadbeef"]})");
        CHECK_FALSE(ws.read_json().at("success").as_bool());
        auto const exp = wall_ms() + 10000;
        ws.send(R"({"op":"auth","args":["demo-key",")" + std::to_string(exp) + R"(",")" +
            ws_signature("demo-secret", exp) + R"("]})");
        CHECK(ws.read_json().at("success").as_bool());
        // A req_id is echoed so clients can correlate; a second auth is refused.
        ws.send(R"({"op":"auth","req_id":"again","args":["demo-key",")" + std::to_string(exp) + R"(",")" +
            ws_signature("demo-secret", exp) + R"("]})");
        auto again = ws.read_json();
        CHECK_FALSE(again.at("success").as_bool());
        CHECK(again.at("req_id") == "again");
    }
    auto counters = request(p, plain_get("/sim/counters")).json().at("counters").as_object();
    CHECK(counters.at("wsAuthAttempts").at("demo-key").as_int64() == 5);
    CHECK(counters.at("wsAuthOk").at("demo-key").as_int64() == 2);
}

TEST_CASE("server: an order fill changes REST and WS consistently", "[server][ws][engine]")
{
    running_sim sim;
    auto const p = sim.port();
    ws_client ws(p, "/v5/private");
    ws.send(ws_auth_op("demo-key", "demo-secret", wall_ms() + 10000));
    REQUIRE(ws.read_json().at("success").as_bool());
    ws.send(R"({"op":"subscribe","args":["order","execution","position","wallet"]})");
    REQUIRE(ws.read_json().at("success").as_bool());

    auto placed = control(p, "/sim/orders",
        R"({"user":"demo","category":"linear","symbol":"ETHUSDT","side":"Buy","qty":"0.2","price":"3100","orderLinkId":"t-1"})");
    auto const id = std::string(placed.at("order").at("orderId").as_string());
    // Create: order, position (even though nothing changed), wallet.
    auto order_new = ws.read_json();
    CHECK(is_topic(order_new, "order"));
    CHECK(order_new.at("data").is_array());
    CHECK(order_new.at("data").at(0).at("orderStatus") == "New");
    auto of = load_fixture("ws_private_order.docs.json").as_object();
    CHECK(keys_of(order_new) == keys_of(of));
    CHECK(keys_of(order_new.at("data").at(0).as_object()) == keys_of(of.at("data").at(0).as_object()));
    check_same_kinds(order_new.at("data").at(0).as_object(), of.at("data").at(0).as_object());
    CHECK(is_topic(ws.read_json(), "position"));
    CHECK(is_topic(ws.read_json(), "wallet"));

    control(p, "/sim/orders/fill", R"({"orderId":")" + id + R"("})");
    auto exec = ws.read_json();
    REQUIRE(is_topic(exec, "execution"));
    auto ef = load_fixture("ws_private_execution.docs.json").as_object();
    CHECK(keys_of(exec) == keys_of(ef));
    CHECK(keys_of(exec.at("data").at(0).as_object()) == keys_of(ef.at("data").at(0).as_object()));
    check_same_kinds(exec.at("data").at(0).as_object(), ef.at("data").at(0).as_object());
    CHECK(exec.at("data").at(0).at("execQty") == "0.20");
    CHECK(exec.at("data").at(0).at("execPrice") == "3100.00");

    auto filled = ws.read_json();
    REQUIRE(is_topic(filled, "order"));
    CHECK(filled.at("data").at(0).at("orderStatus") == "Filled");
    CHECK(filled.at("data").at(0).at("cumExecQty") == "0.20");

    auto pos = ws.read_json();
    REQUIRE(is_topic(pos, "position"));
    auto pf = load_fixture("ws_private_position.docs.json").as_object();
    auto const& prow = pos.at("data").at(0).as_object();
    CHECK(keys_of(prow) == keys_of(pf.at("data").at(0).as_object()));
    check_same_kinds(prow, pf.at("data").at(0).as_object());
    CHECK(prow.at("size") == "0.20");
    CHECK(prow.at("entryPrice") == "3100.00");

    auto wallet = ws.read_json();
    REQUIRE(is_topic(wallet, "wallet"));
    auto wf = load_fixture("ws_private_wallet.docs.json").as_object();
    auto const& wrow = wallet.at("data").at(0).as_object();
    CHECK(keys_of(wrow) == keys_of(wf.at("data").at(0).as_object()));
    CHECK(keys_of(wrow.at("coin").at(0).as_object()) == keys_of(wf.at("data").at(0).at("coin").at(0).as_object()));

    // REST agrees with what the stream said.
    auto const now = wall_ms();
    auto rest_pos = signed_request(p, "/v5/position/list", "category=linear&symbol=ETHUSDT", now).json();
    auto const& rrow = rest_pos.at("result").at("list").at(0).as_object();
    CHECK(rrow.at("size") == prow.at("size"));
    CHECK(rrow.at("avgPrice") == prow.at("entryPrice"));
    CHECK_FALSE(rrow.contains("entryPrice"));
    CHECK(rrow.at("cumRealisedPnl") == prow.at("cumRealisedPnl"));
    auto rest_orders = signed_request(p, "/v5/order/realtime", "category=linear&orderId=" + id, now).json();
    CHECK(rest_orders.at("result").at("list").at(0).at("orderStatus") == "Filled");
    auto rest_wallet = signed_request(p, "/v5/account/wallet-balance", "accountType=UNIFIED&coin=USDT", now).json();
    auto const& rw = rest_wallet.at("result").at("list").at(0).as_object();
    CHECK(rw.at("totalWalletBalance") == wrow.at("totalWalletBalance"));
    auto open = signed_request(p, "/v5/order/realtime", "category=linear&settleCoin=USDT", now).json();
    for (auto const& o : open.at("result").at("list").as_array())
        CHECK(o.at("orderId").as_string() != id);
}

TEST_CASE("server: WebSocket faults and idle cut-off", "[server][ws][faults]")
{
    sim_config cfg;
    cfg.ws_idle_timeout_s = 1;
    running_sim sim(cfg);
    auto const p = sim.port();
    {
        // Idle: no ping, no data ⇒ closed by the server.
        ws_client ws(p, "/v5/private");
        auto r = ws.read(std::chrono::seconds(5));
        CHECK_FALSE(r.timed_out);
        CHECK(r.ec == websocket::error::closed);
    }
    {
        ws_client a(p, "/v5/public/linear");
        ws_client b(p, "/v5/private");
        b.send(ws_auth_op("demo-key", "demo-secret", wall_ms() + 10000));
        REQUIRE(b.read_json().at("success").as_bool());
        auto dropped = control(p, "/sim/ws/drop", R"({"channel":"private","user":"demo","mode":"close"})");
        CHECK(dropped.at("dropped") == 1);
        CHECK(b.read().ec == websocket::error::closed);
        // The public one is untouched.
        a.send(R"({"op":"ping"})");
        CHECK(a.read_json().at("ret_msg") == "pong");
        control(p, "/sim/ws/drop", R"({"channel":"all","mode":"abrupt"})");
        auto r = a.read();
        CHECK(r.ec);
        CHECK(r.ec != websocket::error::closed);
    }
    {
        // Private auth rejection switch.
        control(p, "/sim/faults", R"({"wsRejectAuth":true})");
        ws_client ws(p, "/v5/private");
        ws.send(ws_auth_op("demo-key", "demo-secret", wall_ms() + 10000));
        CHECK(ws.read_json().at("ret_msg") == "Params Error");
    }
    auto counters = request(p, plain_get("/sim/counters")).json().at("counters").as_object();
    CHECK(counters.at("wsIdleCloses").as_int64() >= 1);
    CHECK(counters.at("wsDrops").as_int64() == 2);
}

TEST_CASE("server: new WebSocket connections per address are limited like Bybit's 500 per 5 min",
    "[server][ws][limits]")
{
    running_sim sim;
    auto const p = sim.port();
    CHECK(request(p, plain_get("/sim/faults")).json().at("faults").at("wsConnectLimitPer5min") == 500);
    control(p, "/sim/faults", R"({"wsConnectLimitPer5min":2})");
    ws_client a(p, "/v5/private");
    ws_client b(p, "/v5/public/linear");
    // The third new connection within the window is refused, whatever its stream.
    auto upgrade = plain_get("/v5/private");
    upgrade.set(http::field::upgrade, "websocket");
    upgrade.set(http::field::connection, "Upgrade");
    upgrade.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
    upgrade.set(http::field::sec_websocket_version, "13");
    CHECK(request(p, upgrade).status == 429);
    auto counters = request(p, plain_get("/sim/counters")).json().at("counters").as_object();
    CHECK(counters.at("wsConnectsRefused") == 1);
    // Open connections are not affected; clearing the faults clears the count.
    a.send(R"({"op":"ping"})");
    CHECK(!a.read().text.empty());
    control(p, "/sim/faults/clear", "{}");
    ws_client c(p, "/v5/private");
}

TEST_CASE("server: REST faults over sockets", "[server][faults]")
{
    running_sim sim;
    auto const p = sim.port();
    control(p, "/sim/faults", R"({"httpErrorCount":1,"httpErrorStatus":503})");
    CHECK(request(p, plain_get("/v5/market/time")).status == 503);
    CHECK(request(p, plain_get("/v5/market/time")).status == 200);

    control(p, "/sim/faults", R"({"slowCount":1,"slowMs":300})");
    auto const t0 = std::chrono::steady_clock::now();
    CHECK(request(p, plain_get("/v5/market/time")).status == 200);
    CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(300));

    control(p, "/sim/faults", R"({"ipLimitCount":1})");
    CHECK(request(p, plain_get("/v5/market/time")).status == 403);

    control(p, "/sim/faults", R"({"rateLimitCount":1})");
    auto limited = signed_request(p, "/v5/account/wallet-balance", "accountType=UNIFIED", wall_ms());
    CHECK(limited.json().at("retCode") == 10006);
    CHECK(limited.headers["X-Bapi-Limit-Status"] == "0");
    CHECK_FALSE(limited.headers["X-Bapi-Limit-Reset-Timestamp"].empty());

    auto bad = request(p, json_post("/sim/faults", R"({"noSuchFault":1})"));
    CHECK(bad.status == 400);
    CHECK(bad.json().at("ok") == false);
    control(p, "/sim/faults/clear");
    auto faults = request(p, plain_get("/sim/faults")).json().at("faults").as_object();
    CHECK(faults.at("slowCount") == 0);
}

TEST_CASE("server: connection limit and max_active_time", "[server][limits]")
{
    sim_config cfg;
    cfg.max_connections = 2;
    running_sim sim(cfg);
    ws_client a(sim.port(), "/v5/public/linear");
    ws_client b(sim.port(), "/v5/private?max_active_time=1m");
    // The third connection is refused (closed before the handshake completes).
    CHECK_THROWS(ws_client(sim.port(), "/v5/public/spot"));
    a.send(R"({"op":"ping"})");
    CHECK(a.read_json().at("ret_msg") == "pong");
}

TEST_CASE("server: bad max_active_time is refused", "[server][limits]")
{
    running_sim sim;
    CHECK_THROWS(ws_client(sim.port(), "/v5/private?max_active_time=5s"));
    ws_client ok(sim.port(), "/v5/private?max_active_time=30s");
    ok.send(R"({"op":"ping"})");
    CHECK(ok.read_json().at("op") == "pong");
}

TEST_CASE("server: multi-item execution pushes and duplicate Filled events", "[server][ws][faults]")
{
    running_sim sim;
    auto const p = sim.port();
    ws_client ws(p, "/v5/private");
    ws.send(ws_auth_op("demo-key", "demo-secret", wall_ms() + 10000));
    REQUIRE(ws.read_json().at("success").as_bool());
    ws.send(R"({"op":"subscribe","args":["order.linear","execution.linear"]})");
    REQUIRE(ws.read_json().at("success").as_bool());
    control(p, "/sim/faults", R"({"wsDuplicateFilled":true})");

    auto placed = control(p, "/sim/orders",
        R"({"key":"demo-key","category":"linear","symbol":"BTCUSDT","side":"Buy","qty":"0.004","price":"60000"})");
    auto const id = std::string(placed.at("order").at("orderId").as_string());
    auto created = ws.read_json();
    CHECK(created.at("topic") == "order.linear");
    CHECK(created.at("data").at(0).at("orderStatus") == "New");

    control(p, "/sim/orders/fill", R"({"orderId":")" + id + R"(","parts":2})");
    auto exec = ws.read_json();
    REQUIRE(exec.at("topic") == "execution.linear");
    auto const& fills = exec.at("data").as_array();
    REQUIRE(fills.size() == 2);
    CHECK(fills.at(0).at("execQty") == "0.002");
    CHECK(fills.at(1).at("execQty") == "0.002");
    CHECK(fills.at(1).at("leavesQty") == "0.000");

    auto partial = ws.read_json();
    CHECK(partial.at("data").at(0).at("orderStatus") == "PartiallyFilled");
    auto filled = ws.read_json();
    CHECK(filled.at("data").at(0).at("orderStatus") == "Filled");
    CHECK(filled.at("data").at(0).at("cancelType") == "UNKNOWN");
    auto dup = ws.read_json();
    CHECK(dup.at("data").at(0).at("orderStatus") == "Filled");
    CHECK(dup.at("data").at(0).at("cancelType") == "CancelByUser");
    CHECK(dup.at("data").at(0).at("rejectReason") == "EC_OrigClOrdIDDoesNotExist");
}
