// The generic plugin conformance suite (sdk/conformance/kit) against the built libtradepush-bybit.so,
// loaded with dlopen exactly as tradepushd loads it. The kit knows nothing about Bybit, so every fresh
// fake host gets scripted Bybit peers (suite_options::setup):
//
//   HTTP  GET /v5/market/time             recorded fixture (a 2023 server clock: far from the fake wall
//                                          clock, so signing with local time instead of server time shows)
//         GET /v5/account/wallet-balance  recorded UNIFIED wallet fixture
//         GET /v5/position/list           one linear BTCUSDT position (the recorded list is inverse, which
//                                          the adapter does not list), so the session also holds the mark
//         GET /v5/order/realtime          recorded linear fixture; its nextPageCursor is followed, and the
//                                          page it names is answered with an empty last page
//   WS    /v5/private                     auth -> success, subscribe -> ack, ping -> pong (fixtures)
//         /v5/public/linear, /spot        subscribe -> ack + the recorded ticker snapshot, ping -> pong
//
// After each test, suite_options::inspect reads that test's host: nothing may be unscripted, no
// stream_status and no warning may appear (a healthy Bybit gives the adapter nothing to report), and
// every signed request and private auth frame is kept, to be checked after the run against the spec's
// signing rules with an HMAC independent of both the plugin and the kit (sha256.hpp).
#include "fake_host.hpp"
#include "sha256.hpp"

#include <tradepush/conformance/suite.hpp>

#include <boost/json/parse.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tc = tradepush::conformance;
namespace json = boost::json;
using tradepush::bybit::test::read_fixture;

namespace {

#ifdef TRADEPUSH_BYBIT_PLUGIN
constexpr char const* plugin_path = TRADEPUSH_BYBIT_PLUGIN;
#else
constexpr char const* plugin_path = nullptr;
#endif

constexpr std::string_view base = "http://127.0.0.1:18080";

// Loopback URLs the fake host routes for every network; short ping and reconciliation periods so the
// suite's 10-20 virtual seconds per test exercise the periodic paths too (and their fencing in TC-R03);
// a fixed jitter seed makes every run identical.
std::string const config =
    R"({"allow_insecure_loopback":true,"rest_url":"http://127.0.0.1:18080",)"
    R"("ws_public_linear_url":"ws://127.0.0.1:18080/v5/public/linear",)"
    R"("ws_public_spot_url":"ws://127.0.0.1:18080/v5/public/spot",)"
    R"("ws_private_url":"ws://127.0.0.1:18080/v5/private",)"
    R"("jitter_seed":7,"ping_interval_ms":3000,"pong_timeout_ms":1000,"reconcile_interval_ms":5000})";

std::string const positions_body =
    R"({"retCode":0,"retMsg":"OK","result":{"category":"linear","nextPageCursor":"","list":[)"
    R"({"positionIdx":0,"symbol":"BTCUSDT","side":"Buy","size":"0.5","avgPrice":"60000","markPrice":"60500",)"
    R"("unrealisedPnl":"250","curRealisedPnl":"-3.5","cumRealisedPnl":"10","leverage":"10","liqPrice":"",)"
    R"("positionValue":"30000","takeProfit":"0","stopLoss":"0","updatedTime":"1688639400000","seq":100}]},)"
    R"("retExtInfo":{},"time":1688639403423})";

std::string const last_orders_page =
    R"({"retCode":0,"retMsg":"OK","result":{"category":"linear","nextPageCursor":"","list":[]},)"
    R"("retExtInfo":{},"time":1688639403423})";

// The server time of rest_market_time.docs.json.
constexpr std::uint64_t fixture_server_ms = 1688639403423;

/// The recorded fixtures, read once.
struct fixtures {
    std::string time = read_fixture("rest_market_time.docs.json");
    std::string wallet = read_fixture("rest_wallet_balance_unified.docs.json");
    std::string orders = read_fixture("rest_order_realtime_linear.docs.json");
    std::string auth_ok = read_fixture("ws_auth_success.docs.json");
    std::string private_ack = read_fixture("ws_subscribe_ack_private.docs.json");
    std::string private_pong = read_fixture("ws_pong_private.docs.json");
    std::string linear_ack = read_fixture("ws_subscribe_ack_public_linear.docs.json");
    std::string linear_pong = read_fixture("ws_pong_public_linear.docs.json");
    std::string linear_ticker = read_fixture("ws_public_ticker_linear_snapshot.docs.json");
    std::string spot_ack = read_fixture("ws_subscribe_ack_public_spot.docs.json");
    std::string spot_pong = read_fixture("ws_pong_public_spot.docs.json");
    std::string spot_ticker = read_fixture("ws_public_ticker_spot_snapshot.docs.json");
};

/// What the hosts saw, across every test of the run (collected by suite_options::inspect).
struct captured {
    std::vector<tc::http_request_record> signed_requests;
    std::vector<std::string> auth_frames;
    std::vector<std::string> cursor_queries;
    std::size_t ticker_subscribes = 0;
    std::size_t pings = 0;
    std::vector<std::string> problems; ///< "TC-xxx: what", anything a healthy Bybit must not cause

    void
    inspect(std::string const& id, tc::fake_host const& h)
    {
        for(auto const& r : h.http_requests()) {
            if(!r.matched)
                problems.push_back(id + ": unscripted HTTP " + r.method + " " + r.url);
            else if(r.path() != "/v5/market/time")
                signed_requests.push_back(r);
            if(r.path() == "/v5/order/realtime" && r.query().find("cursor=") != std::string::npos)
                cursor_queries.push_back(r.query());
        }
        for(auto const& w : h.websockets()) {
            if(!w.matched)
                problems.push_back(id + ": unscripted WebSocket " + w.url);
            for(auto const& f : w.sent) {
                if(f.payload.find(R"("op":"auth")") != std::string::npos)
                    auth_frames.push_back(f.payload);
                if(f.payload.find(R"("tickers.)") != std::string::npos)
                    ++ticker_subscribes;
                if(f.payload.find(R"("op":"ping")") != std::string::npos)
                    ++pings;
            }
        }
        // A healthy start announces nothing (README, stream_status): any status means a peer was
        // misunderstood, a ping went unanswered, or a request failed.
        for(auto const& e : h.emits())
            if(e.is_status)
                problems.push_back(id + ": stream_status " + std::to_string(e.state) + " " + e.code + " " + e.message);
        for(auto const& l : h.logs())
            if(l.level >= TRADEPUSH_LOG_WARN)
                problems.push_back(id + ": log " + std::to_string(l.level) + " " + l.message);
    }
};

std::string
replace_all(std::string s, std::string_view from, std::string_view to)
{
    for(auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
        s.replace(at, from.size(), to);
    return s;
}

tc::http_reply
ok(std::string body)
{
    tc::http_reply r;
    r.body = std::move(body);
    // What Bybit sends on every private answer; the adapter reports the remaining budget as a gauge.
    r.headers = {{"X-Bapi-Limit", "10"}, {"X-Bapi-Limit-Status", "9"}};
    // A round trip, so the clock's RTT midpoint is not degenerate.
    r.delay = std::chrono::milliseconds(20);
    return r;
}

/// The `op` of a plugin frame, or "" when it is not a JSON object with one.
std::string
op_of(std::string_view payload, json::value& v)
{
    boost::system::error_code ec;
    v = json::parse(payload, ec);
    if(ec || !v.is_object())
        return {};
    auto const* op = v.as_object().if_contains("op");
    return op && op->is_string() ? std::string(op->as_string()) : std::string{};
}

/// A public ticker peer: acks the subscription and sends the recorded snapshot, re-labelled for the
/// symbol asked for (the recording is BTCUSDT), then answers pings.
tc::ws_peer
public_peer(std::shared_ptr<fixtures const> const& fx, bool linear)
{
    tc::ws_peer p;
    p.delay = std::chrono::milliseconds(5);
    p.on_message = [fx, linear](tc::fake_host& h, tradepush_op ws, std::string_view payload, bool) {
        json::value v;
        auto const op = op_of(payload, v);
        if(op == "subscribe") {
            h.ws_push(ws, linear ? fx->linear_ack : fx->spot_ack, false, std::chrono::milliseconds(5));
            auto const* args = v.as_object().if_contains("args");
            if(args && args->is_array())
                for(auto const& topic : args->as_array())
                    if(topic.is_string() && std::string_view(topic.as_string()).starts_with("tickers.")) {
                        auto const symbol = std::string_view(topic.as_string()).substr(8);
                        h.ws_push(ws, replace_all(linear ? fx->linear_ticker : fx->spot_ticker, "BTCUSDT", symbol),
                            false, std::chrono::milliseconds(10));
                    }
        } else if(op == "ping") {
            h.ws_push(ws, linear ? fx->linear_pong : fx->spot_pong, false, std::chrono::milliseconds(5));
        }
    };
    return p;
}

/// Scripts one fake host as a well-behaved Bybit.
void
script_bybit(tc::fake_host& h, std::shared_ptr<fixtures const> const& fx)
{
    h.on_http("GET", "/v5/market/time", ok(fx->time));
    h.on_http("GET", "/v5/account/wallet-balance", ok(fx->wallet));
    h.on_http("GET", "/v5/position/list", ok(positions_body));
    h.on_http("GET", "/v5/order/realtime", tc::http_handler{[fx](tc::http_request_record const& r) {
        // The recorded page names a next one; that one is the last.
        return std::optional{ok(r.query().find("cursor=") != std::string::npos ? last_orders_page : fx->orders)};
    }});

    tc::ws_peer priv;
    priv.delay = std::chrono::milliseconds(5);
    priv.on_message = [fx](tc::fake_host& h, tradepush_op ws, std::string_view payload, bool) {
        json::value v;
        auto const op = op_of(payload, v);
        if(op == "auth") {
            h.ws_push(ws, fx->auth_ok, false, std::chrono::milliseconds(5));
        } else if(op == "subscribe") {
            h.ws_push(ws, fx->private_ack, false, std::chrono::milliseconds(5));
        } else if(op == "ping") {
            h.ws_push(ws, fx->private_pong, false, std::chrono::milliseconds(5));
        }
    };
    h.on_ws("ws://127.0.0.1:18080/v5/private", std::move(priv));
    h.on_ws("ws://127.0.0.1:18080/v5/public/linear", public_peer(fx, true));
    h.on_ws("ws://127.0.0.1:18080/v5/public/spot", public_peer(fx, false));
}

std::string
hex(std::array<std::uint8_t, 32> const& d)
{
    constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for(auto b : d) {
        out += digits[b >> 4];
        out += digits[b & 0xf];
    }
    return out;
}

bool
all_digits(std::string_view s)
{
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

} // namespace

TEST_CASE("conformance: libtradepush-bybit.so passes the whole suite against scripted Bybit peers")
{
    if(plugin_path == nullptr) {
        WARN("TRADEPUSH_BYBIT_PLUGIN not defined; skipped");
        return;
    }
    auto const fx = std::make_shared<fixtures const>();
    auto const cap = std::make_shared<captured>();
    tc::suite_options o;
    o.config_json = config;
    // The suite's account is on "demo" with the plugin's own exchange name; the config sends every network
    // to the scripted peers. Credentials spelled out: the signature checks below depend on them.
    o.account.api_key = "conformance-key";
    o.account.api_secret = "conformance-secret";
    o.setup = [fx](tc::fake_host& h) { script_bybit(h, fx); };
    o.inspect = [cap](std::string const& id, tc::fake_host const& h) { cap->inspect(id, h); };
    // Part of a unit binary: 1000 create/destroy cycles are cheap, keep the suite's default.
    auto const report = tc::run_suite(plugin_path, o);

    std::string text;
    for(auto const& r : report.results)
        text += tc::format(r) + "\n";
    INFO(text);
    CHECK(report.plugin_name == "bybit");
    CHECK(report.results.size() == tc::suite_tests().size());
    // The adapter declares every capability the suite gates on, so nothing may be skipped either.
    for(auto const& t : tc::suite_tests()) {
        auto const* r = report.find(t.id);
        INFO(t.id);
        REQUIRE(r != nullptr);
        CHECK(r->result == tc::outcome::pass);
    }
    CHECK(report.passed());

    // Nothing unscripted, no status, no warning in any test.
    for(auto const& p : cap->problems)
        FAIL_CHECK(p);
    // The peers were actually used: tickers subscribed, pings sent (and answered: no status above), the
    // order cursor followed byte for byte.
    CHECK(cap->ticker_subscribes > 0);
    CHECK(cap->pings > 0);
    REQUIRE(!cap->cursor_queries.empty());
    CHECK(cap->cursor_queries.front()
        == "category=linear&settleCoin=USDT&limit=50&cursor=page_args%3Dfd4300ae-7847-404e-b947-b46980a4d140"
           "%26symbol%3D6%26");

    // Signed REST requests: spec §2 headers, HMAC-SHA256 over timestamp + key + recv_window + query as
    // sent, timestamped with the server's clock (the fixture's 2023), not the fake wall clock (2024).
    REQUIRE(!cap->signed_requests.empty());
    for(auto const& r : cap->signed_requests) {
        INFO(r.method + " " + r.url);
        CHECK(r.method == "GET");
        CHECK(r.url.starts_with(base));
        CHECK(r.body.empty()); // a body on GET earns an HTTP 403 from Bybit
        auto const key = r.header_value("X-BAPI-API-KEY");
        auto const ts = r.header_value("X-BAPI-TIMESTAMP");
        auto const recv = r.header_value("X-BAPI-RECV-WINDOW");
        auto const sign = r.header_value("X-BAPI-SIGN");
        REQUIRE(key);
        REQUIRE(ts);
        REQUIRE(recv);
        REQUIRE(sign);
        CHECK(*key == "conformance-key");
        REQUIRE(all_digits(*ts));
        auto const ts_ms = std::stoull(*ts);
        CHECK(ts_ms >= fixture_server_ms - 1000);
        CHECK(ts_ms <= fixture_server_ms + 10 * 60 * 1000);
        CHECK(*recv == "5000");
        CHECK(sign->size() == 64);
        CHECK(*sign == hex(tradepush::bybit::test::hmac_sha256("conformance-secret", *ts + *key + *recv + r.query())));
    }

    // Private WebSocket auth: ["key", expires (server ms + auth_expiry), hex HMAC("GET/realtime" + expires)].
    REQUIRE(!cap->auth_frames.empty());
    for(auto const& frame : cap->auth_frames) {
        INFO(frame);
        auto const v = json::parse(frame);
        auto const& args = v.at("args").as_array();
        REQUIRE(args.size() == 3);
        CHECK(args[0].as_string() == "conformance-key");
        auto const expires = args[1].to_number<std::uint64_t>();
        CHECK(expires >= fixture_server_ms + 10000 - 1000);
        CHECK(expires <= fixture_server_ms + 10 * 60 * 1000);
        CHECK(args[2].as_string()
            == hex(tradepush::bybit::test::hmac_sha256("conformance-secret", "GET/realtime" + std::to_string(expires))));
    }
}
