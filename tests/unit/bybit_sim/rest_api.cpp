// REST behaviour through app::handle_http, no sockets: envelope and shapes against the documented
// fixtures, validation, pagination, rate limits and REST faults.
#include "sim_test_util.hpp"

#include "percent.hpp"

using namespace tradepush::bybit_sim;
using namespace tradepush::bybit_sim::test;

namespace {

constexpr std::int64_t t0 = 1'700'000'000'000;

struct rest_fixture {
    std::shared_ptr<app> a = make_demo_app();

    http_reply
    get(std::string const& path, std::string const& query, std::string const& key = "demo-key",
        std::string const& secret = "demo-secret")
    {
        return a->handle_http(signed_get(path, query, key, secret, a->clock().now_ms()), "127.0.0.1");
    }
};

json::object const&
first_row(json::object const& envelope_obj)
{
    return envelope_obj.at("result").at("list").as_array().at(0).as_object();
}

} // namespace

TEST_CASE_METHOD(rest_fixture, "rest: /v5/market/time envelope and clock consistency", "[rest]")
{
    auto r = a->handle_http(plain_get("/v5/market/time"), "127.0.0.1");
    CHECK(r.status == 200);
    auto body = body_of(r);
    auto fixture = load_fixture("rest_market_time.docs.json").as_object();
    CHECK(keys_of(body) == keys_of(fixture));
    CHECK(keys_of(body.at("result").as_object()) == keys_of(fixture.at("result").as_object()));
    check_same_kinds(body, fixture);
    check_same_kinds(body.at("result").as_object(), fixture.at("result").as_object());
    CHECK(body.at("time").as_int64() == t0);
    CHECK(body.at("result").at("timeSecond").as_string() == "1700000000");
    CHECK(body.at("result").at("timeNano").as_string() == "1700000000000000000");
    // Skew shows in all three fields.
    a->clock().set_skew_ms(3000);
    a->clock().freeze(std::nullopt);
    auto skewed = body_of(a->handle_http(plain_get("/v5/market/time"), "127.0.0.1"));
    auto const time = skewed.at("time").as_int64();
    CHECK(std::abs(time - (wall_ms() + 3000)) < 1000);
    CHECK(std::string(skewed.at("result").at("timeNano").as_string()).substr(0, 13) == std::to_string(time));
}

TEST_CASE_METHOD(rest_fixture, "rest: ticker shapes match the fixtures", "[rest][shapes]")
{
    auto linear = body_of(a->handle_http(plain_get("/v5/market/tickers?category=linear&symbol=BTCUSDT"), "x"));
    auto inverse_fixture = load_fixture("rest_market_tickers_inverse.docs.json").as_object();
    CHECK(keys_of(linear) == keys_of(inverse_fixture));
    CHECK(keys_of(linear.at("result").as_object()) == keys_of(inverse_fixture.at("result").as_object()));
    CHECK(keys_of(first_row(linear)) == keys_of(first_row(inverse_fixture)));
    check_same_kinds(first_row(linear), first_row(inverse_fixture));

    auto spot = body_of(a->handle_http(plain_get("/v5/market/tickers?category=spot"), "x"));
    auto spot_fixture = load_fixture("rest_market_tickers_spot.docs.json").as_object();
    CHECK(spot.at("result").at("list").as_array().size() == 2);
    CHECK(keys_of(first_row(spot)) == keys_of(first_row(spot_fixture)));
    check_same_kinds(first_row(spot), first_row(spot_fixture));

    CHECK(body_of(a->handle_http(plain_get("/v5/market/tickers?category=linear&symbol=NOPE"), "x")).at("retMsg") ==
        "Not supported symbols");
    auto missing = body_of(a->handle_http(plain_get("/v5/market/tickers"), "x"));
    CHECK(missing.at("retCode") == 10001);
    CHECK(missing.at("result").as_object().empty());
}

TEST_CASE_METHOD(rest_fixture, "rest: private shapes match the fixtures", "[rest][shapes]")
{
    auto wallet = body_of(get("/v5/account/wallet-balance", "accountType=UNIFIED"));
    auto wf = load_fixture("rest_wallet_balance_unified.docs.json").as_object();
    CHECK(wallet.at("retCode") == 0);
    CHECK(keys_of(wallet) == keys_of(wf));
    CHECK(keys_of(first_row(wallet)) == keys_of(first_row(wf)));
    check_same_kinds(first_row(wallet), first_row(wf));
    auto const& coin = first_row(wallet).at("coin").as_array().at(0).as_object();
    auto const& fcoin = first_row(wf).at("coin").as_array().at(0).as_object();
    CHECK(keys_of(coin) == keys_of(fcoin));
    check_same_kinds(coin, fcoin);

    auto pos = body_of(get("/v5/position/list", "category=linear&symbol=BTCUSDT"));
    auto pf = load_fixture("rest_position_list_inverse.docs.json").as_object();
    CHECK(keys_of(pos.at("result").as_object()) == keys_of(pf.at("result").as_object()));
    CHECK(keys_of(first_row(pos)) == keys_of(first_row(pf)));
    check_same_kinds(first_row(pos), first_row(pf));
    CHECK(first_row(pos).at("avgPrice") == "64000.0");
    CHECK(first_row(pos).at("side") == "Buy");

    auto orders = body_of(get("/v5/order/realtime", "category=linear&settleCoin=USDT"));
    auto of = load_fixture("rest_order_realtime_linear.docs.json").as_object();
    CHECK(orders.at("result").at("list").as_array().size() == 2);
    CHECK(keys_of(orders.at("result").as_object()) == keys_of(of.at("result").as_object()));
    CHECK(keys_of(first_row(orders)) == keys_of(first_row(of)));
    check_same_kinds(first_row(orders), first_row(of));
    // An unfilled order: avgPrice "" (spec §3, "" for unset).
    CHECK(first_row(orders).at("avgPrice") == "");

    // Close part of the demo position so a closed-pnl row exists.
    auto close = a->handle_http(json_post("/sim/orders",
                                    R"({"user":"demo","symbol":"BTCUSDT","side":"Sell","orderType":"Market","qty":"0.004"})"),
        "x");
    REQUIRE(close.status == 200);
    auto pnl = body_of(get("/v5/position/closed-pnl", "category=linear"));
    auto cf = load_fixture("rest_position_closed_pnl_linear.docs.json").as_object();
    CHECK(keys_of(pnl.at("result").as_object()) == keys_of(cf.at("result").as_object()));
    auto ours = keys_of(first_row(pnl));
    auto theirs = keys_of(first_row(cf));
    // The docs table (spec §3.4) adds openFee/closeFee that the older sample lacks.
    theirs.insert("openFee");
    theirs.insert("closeFee");
    CHECK(ours == theirs);
    check_same_kinds(first_row(pnl), first_row(cf));
}

TEST_CASE_METHOD(rest_fixture, "rest: parameter validation", "[rest]")
{
    auto code = [](http_reply const& r) { return body_of(r).at("retCode").as_int64(); };
    CHECK(code(get("/v5/position/list", "category=linear")) == 10001);
    CHECK(code(get("/v5/order/realtime", "category=linear")) == 10001);
    CHECK(code(get("/v5/position/list", "category=linear&settleCoin=USDT&limit=201")) == 10001);
    CHECK(code(get("/v5/order/realtime", "category=linear&settleCoin=USDT&limit=0")) == 10001);
    CHECK(code(get("/v5/order/realtime", "category=linear&settleCoin=USDT&limit=51")) == 10001);
    CHECK(code(get("/v5/position/closed-pnl", "category=linear&limit=101")) == 10001);
    CHECK(code(get("/v5/position/closed-pnl", "category=spot")) == 10001);
    CHECK(code(get("/v5/account/wallet-balance", "")) == 10001);
    CHECK(code(get("/v5/account/wallet-balance", "accountType=FUND")) == 10001);
    auto const week = 7LL * 24 * 3600 * 1000;
    CHECK(code(get("/v5/position/closed-pnl", "category=linear&startTime=1&endTime=" + std::to_string(1 + week + 1))) ==
        10001);
    CHECK(code(get("/v5/position/closed-pnl", "category=linear&startTime=1&endTime=" + std::to_string(1 + week))) == 0);
    CHECK(code(get("/v5/order/realtime", "category=linear&settleCoin=USDT&cursor=garbage")) == 10001);

    // settleCoin lists only open positions; symbol returns the flat row too.
    auto flat = body_of(get("/v5/position/list", "category=linear&symbol=ETHUSDT"));
    REQUIRE(flat.at("result").at("list").as_array().size() == 1);
    CHECK(first_row(flat).at("size") == "0.00");
    CHECK(first_row(flat).at("side") == "");
    auto open = body_of(get("/v5/position/list", "category=linear&settleCoin=USDT"));
    CHECK(open.at("result").at("list").as_array().size() == 1);

    // Unknown path: 404; GET with a body: 403.
    CHECK(a->handle_http(plain_get("/v5/nope"), "x").status == 404);
    auto with_body = signed_get("/v5/account/wallet-balance", "accountType=UNIFIED", "demo-key", "demo-secret", t0);
    with_body.body() = "{}";
    CHECK(a->handle_http(with_body, "x").status == 403);
}

TEST_CASE_METHOD(rest_fixture, "rest: cursor pagination with percent-encoded cursors", "[rest][pagination]")
{
    for (int i = 0; i < 5; ++i) {
        auto r = a->handle_http(
            json_post("/sim/orders", R"({"user":"demo","symbol":"ETHUSDT","side":"Buy","qty":"0.01","price":")" +
                    std::to_string(2000 + i) + R"("})"),
            "x");
        REQUIRE(r.status == 200);
    }
    std::set<std::string> seen;
    std::string cursor;
    int pages = 0;
    for (; pages < 10; ++pages) {
        std::string q = "category=linear&settleCoin=USDT&limit=2";
        // The cursor goes on the wire exactly as received (already percent-encoded) and is signed so.
        if (!cursor.empty())
            q += "&cursor=" + cursor;
        auto body = body_of(get("/v5/order/realtime", q));
        REQUIRE(body.at("retCode") == 0);
        for (auto const& row : body.at("result").at("list").as_array())
            CHECK(seen.insert(std::string(row.at("orderId").as_string())).second);
        cursor = std::string(body.at("result").at("nextPageCursor").as_string());
        if (cursor.empty())
            break;
        CHECK(cursor.find("%3D") != std::string::npos);
        CHECK(cursor.find("%26") != std::string::npos);
    }
    CHECK(seen.size() == 7);
    CHECK(pages == 3);

    // Twice-encoded cursors are accepted too; the signature is over the wire string either way.
    auto first = body_of(get("/v5/order/realtime", "category=linear&settleCoin=USDT&limit=2"));
    auto c = std::string(first.at("result").at("nextPageCursor").as_string());
    auto twice = body_of(get("/v5/order/realtime", "category=linear&settleCoin=USDT&limit=2&cursor=" + percent_encode(c)));
    CHECK(twice.at("retCode") == 0);
    CHECK(twice.at("result").at("list").as_array().size() == 2);

    // A client that decodes the cursor before signing but sends it encoded gets 10004.
    auto const decoded = *percent_decode(c);
    auto req = signed_get("/v5/order/realtime", "category=linear&settleCoin=USDT&limit=2&cursor=" + decoded, "demo-key",
        "demo-secret", t0);
    req.target("/v5/order/realtime?category=linear&settleCoin=USDT&limit=2&cursor=" + c);
    CHECK(body_of(a->handle_http(req, "x")).at("retCode") == 10004);

    // maxPageSize fault caps any limit.
    a->faults().max_page_size = 1;
    auto capped = body_of(get("/v5/order/realtime", "category=linear&settleCoin=USDT&limit=50"));
    CHECK(capped.at("result").at("list").as_array().size() == 1);
}

TEST_CASE_METHOD(rest_fixture, "rest: rate limit headers and 10006", "[rest][limits]")
{
    auto header = [](http_reply const& r, std::string const& name) -> std::string {
        for (auto const& [k, v] : r.headers)
            if (k == name)
                return v;
        return "<absent>";
    };
    a->faults().rest_limit_per_s = 3;
    for (int i = 0; i < 3; ++i) {
        auto r = get("/v5/account/wallet-balance", "accountType=UNIFIED");
        CHECK(body_of(r).at("retCode") == 0);
        CHECK(header(r, "X-Bapi-Limit") == "3");
        CHECK(header(r, "X-Bapi-Limit-Status") == std::to_string(2 - i));
        CHECK(header(r, "X-Bapi-Limit-Reset-Timestamp") == std::to_string(t0));
    }
    auto limited = get("/v5/account/wallet-balance", "accountType=UNIFIED");
    CHECK(body_of(limited).at("retCode") == 10006);
    CHECK(body_of(limited).at("retMsg") == "Too many visits. Exceeded the API Rate Limit.");
    CHECK(header(limited, "X-Bapi-Limit-Status") == "0");
    CHECK(header(limited, "X-Bapi-Limit-Reset-Timestamp") == std::to_string(t0 + 1000));
    // Per endpoint: another endpoint is unaffected.
    CHECK(body_of(get("/v5/position/list", "category=linear&settleCoin=USDT")).at("retCode") == 0);
    // The window rolls.
    a->clock().advance_ms(1000);
    CHECK(body_of(get("/v5/account/wallet-balance", "accountType=UNIFIED")).at("retCode") == 0);

    // A storm without the reset header (pybit#340).
    a->faults().rate_limit_count = 2;
    a->faults().rate_limit_reset_header = false;
    auto storm = get("/v5/position/list", "category=linear&settleCoin=USDT");
    CHECK(body_of(storm).at("retCode") == 10006);
    CHECK(header(storm, "X-Bapi-Limit-Reset-Timestamp") == "<absent>");
    CHECK(body_of(get("/v5/position/list", "category=linear&settleCoin=USDT")).at("retCode") == 10006);
    CHECK(body_of(get("/v5/position/list", "category=linear&settleCoin=USDT")).at("retCode") == 0);
}

TEST_CASE_METHOD(rest_fixture, "rest: network faults", "[rest][faults]")
{
    a->faults().http_error_count = 1;
    a->faults().http_error_status = 502;
    auto r = a->handle_http(plain_get("/v5/market/time"), "x");
    CHECK(r.status == 502);
    CHECK(r.content_type == "text/html");
    CHECK(a->handle_http(plain_get("/v5/market/time"), "x").status == 200);

    a->faults().ip_limit_count = 1;
    auto ip = a->handle_http(plain_get("/v5/market/time"), "x");
    CHECK(ip.status == 403);
    CHECK(ip.body.find("access too frequent") != std::string::npos);

    a->faults().slow_count = 1;
    a->faults().slow_ms = 250;
    CHECK(a->handle_http(plain_get("/v5/market/time"), "x").delay == std::chrono::milliseconds(250));
    CHECK(a->handle_http(plain_get("/v5/market/time"), "x").delay == std::chrono::milliseconds(0));

    // The real per-IP limit (600 / 5 s), lowered.
    a->faults().ip_limit_per_5s = 2;
    CHECK(a->handle_http(plain_get("/v5/market/time"), "10.0.0.1").status == 200);
    CHECK(a->handle_http(plain_get("/v5/market/time"), "10.0.0.1").status == 200);
    CHECK(a->handle_http(plain_get("/v5/market/time"), "10.0.0.1").status == 403);
    CHECK(a->handle_http(plain_get("/v5/market/time"), "10.0.0.2").status == 200);
}

TEST_CASE_METHOD(rest_fixture, "rest: POST order create/cancel signed over the raw body", "[rest]")
{
    std::string const body = R"({"category": "linear", "symbol": "ETHUSDT", "side": "Buy", "orderType": "Limit", "qty": "0.1", "price": "2500"})";
    auto post = [&](std::string const& path, std::string const& b, std::string const& key, std::string const& secret) {
        http::request<http::string_body> req{http::verb::post, path, 11};
        auto const ts = std::to_string(a->clock().now_ms());
        req.set("X-BAPI-API-KEY", key);
        req.set("X-BAPI-TIMESTAMP", ts);
        req.set("X-BAPI-RECV-WINDOW", "5000");
        req.set("X-BAPI-SIGN", rest_signature(secret, ts, key, "5000", b));
        req.body() = b;
        return body_of(a->handle_http(req, "x"));
    };
    auto created = post("/v5/order/create", body, "demo-key", "demo-secret");
    REQUIRE(created.at("retCode") == 0);
    auto const id = std::string(created.at("result").at("orderId").as_string());
    CHECK(post("/v5/order/create", body, "demo-readonly-key", "demo-readonly-secret").at("retCode") == 10005);
    auto cancelled = post("/v5/order/cancel", R"({"category":"linear","symbol":"ETHUSDT","orderId":")" + id + "\"}",
        "demo-key", "demo-secret");
    CHECK(cancelled.at("retCode") == 0);
    CHECK(a->eng().find_order(id)->status == "Cancelled");
}
