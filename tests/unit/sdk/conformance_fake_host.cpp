// Test that header file is self-contained.
#include <tradepush/conformance/fake_host.hpp>

// Then the fake host itself, driven with real plugin images: the virtual clock, the epoch fence, the
// scripted HTTP and WebSocket peers, and the contract checks (each fed by a deliberately bad plugin).
#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <memory>
#include <string>

namespace tc = tradepush::conformance;
using namespace std::chrono_literals;

namespace {

#ifdef TRADEPUSH_SDK_REST_PLUGIN
constexpr char const* example_path = TRADEPUSH_SDK_EXAMPLE_PLUGIN;
constexpr char const* rest_path = TRADEPUSH_SDK_REST_PLUGIN;
constexpr char const* stale_path = TRADEPUSH_SDK_BAD_STALE_EMIT_PLUGIN;
constexpr char const* off_strand_path = TRADEPUSH_SDK_BAD_OFF_STRAND_PLUGIN;
constexpr char const* slow_path = TRADEPUSH_SDK_BAD_SLOW_PLUGIN;
constexpr char const* throw_path = TRADEPUSH_SDK_BAD_THROW_PLUGIN;
#else
constexpr char const* example_path = nullptr;
constexpr char const* rest_path = nullptr;
constexpr char const* stale_path = nullptr;
constexpr char const* off_strand_path = nullptr;
constexpr char const* slow_path = nullptr;
constexpr char const* throw_path = nullptr;
#endif

constexpr char const* rest_config = R"({"base":"https://api.example.test","ws":"wss://stream.example.test"})";

std::unique_ptr<tc::plugin_library>
load(char const* path)
{
    std::string error;
    auto lib = tc::plugin_library::open(path, error);
    INFO(error);
    REQUIRE(lib != nullptr);
    return lib;
}

std::string
hex_hmac(std::string const& key, std::string const& msg)
{
    unsigned char out[32];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<unsigned char const*>(msg.data()),
        msg.size(), out, &len);
    static constexpr char digits[] = "0123456789abcdef";
    std::string s;
    for(unsigned i = 0; i < len; ++i) {
        s += digits[out[i] >> 4];
        s += digits[out[i] & 0xf];
    }
    return s;
}

#define REQUIRE_PLUGIN_PATHS()                                                                              \
    if(rest_path == nullptr) {                                                                              \
        WARN("conformance test plugin paths not defined; skipped");                                        \
        return;                                                                                             \
    }

} // namespace

TEST_CASE("fake_host: timers fire only when the virtual clock reaches them")
{
    REQUIRE_PLUGIN_PATHS();
    auto lib = load(example_path);
    tc::fake_host host{*lib};
    REQUIRE(host.create(R"({"snapshot_delay_ms":500,"tick_ms":0})"));
    REQUIRE(host.open_account("alice", tc::account_info{}, 0xf) == TRADEPUSH_OK);
    CHECK(host.epoch("alice") == 1u);
    CHECK(host.pending_timers() == 1);

    host.advance(499ms);
    CHECK(host.emits().empty());
    host.advance(1ms);
    REQUIRE(host.emits().size() == 4);
    for(auto const& e : host.emits()) {
        CHECK(e.delivered);
        CHECK(e.user == "alice");
        CHECK(e.epoch == 1);
        CHECK(e.account == "main");
        CHECK(e.at_ns == 1'000'000'000 + 500'000'000);
    }
    CHECK(host.data_emits(TRADEPUSH_STREAM_BALANCE, "alice").size() == 1);
    CHECK(host.violations().empty());
    CHECK(host.plugin_calls() >= 3); // create, open_account, on_timer
}

TEST_CASE("fake_host: reset_user fences the epoch and swallows completions of the old owner")
{
    REQUIRE_PLUGIN_PATHS();
    auto lib = load(example_path);
    tc::fake_host host{*lib};
    REQUIRE(host.create(R"({"snapshot_delay_ms":100,"tick_ms":0})"));
    REQUIRE(host.open_account("alice", tc::account_info{}, 0xf) == TRADEPUSH_OK);
    REQUIRE(host.live_ops("alice") == 1);

    CHECK(host.reset_user("alice") == TRADEPUSH_OK);
    CHECK_FALSE(host.epoch("alice").has_value());
    CHECK(host.live_ops("alice") == 0);
    host.advance(1s);
    CHECK(host.emits().empty());
    CHECK(host.dropped_completions() == 1);

    // The next session of the user gets the next epoch; its snapshot carries it.
    REQUIRE(host.open_account("alice", tc::account_info{}, 0xf) == TRADEPUSH_OK);
    CHECK(host.epoch("alice") == 2u);
    host.advance(100ms);
    REQUIRE(host.emits().size() == 4);
    CHECK(host.emits().front().epoch == 2);
    CHECK(host.violations().empty());

    // Resetting an unknown user or twice is harmless to the host too.
    CHECK(host.reset_user("nobody") == TRADEPUSH_OK);
    CHECK(host.reset_user("alice") == TRADEPUSH_OK);
    CHECK(host.reset_user("alice") == TRADEPUSH_OK);
}

TEST_CASE("fake_host: scripted HTTP peers answer, capture and hold requests")
{
    REQUIRE_PLUGIN_PATHS();
    auto lib = load(rest_path);
    tc::fake_host host{*lib};
    tc::http_reply ok;
    ok.body = R"({"total":10.5,"available_balance":7})";
    ok.delay = 200ms;
    host.on_http("GET", "/v1/balance", ok);
    REQUIRE(host.create(rest_config));

    tc::account_info acct{"main", "rest", "demo", "k-123", "s3cret"};
    REQUIRE(host.open_account("alice", acct, 1) == TRADEPUSH_OK);
    REQUIRE(host.http_requests().size() == 1);
    auto const& req = host.http_requests().front();
    CHECK(req.method == "GET");
    CHECK(req.url == "https://api.example.test/v1/balance?account=main");
    CHECK(req.path() == "/v1/balance");
    CHECK(req.query() == "account=main");
    CHECK(req.matched);
    CHECK(req.user == "alice");
    CHECK(req.header_value("x-key") == std::string{"k-123"});
    // The signature the plugin computed through host hmac_sha256, checked independently.
    auto const ts = req.header_value("X-TS").value_or("");
    CHECK(ts == std::to_string(tc::fake_host_options{}.start_wall_ms));
    CHECK(req.header_value("X-SIGN") == hex_hmac("s3cret", ts + "GET" + "/v1/balance?account=main"));

    host.advance(199ms);
    CHECK(host.emits().empty());
    host.advance(1ms);
    REQUIRE(host.data_emits(TRADEPUSH_STREAM_BALANCE).size() == 1);
    CHECK(host.data_emits(TRADEPUSH_STREAM_BALANCE).front().json == ok.body);

    // A handler can hold a request; the test completes it later.
    tc::fake_host held{*lib};
    held.on_http("", "https://api.example.test/", tc::http_handler{[](tc::http_request_record const&) {
        return std::optional<tc::http_reply>{};
    }});
    REQUIRE(held.create(rest_config));
    REQUIRE(held.open_account("bob", acct, 1) == TRADEPUSH_OK);
    held.advance(5s);
    CHECK(held.emits().empty());
    tc::http_reply bad;
    bad.status = 503;
    REQUIRE(held.complete_http(held.http_requests().front().op, bad));
    CHECK_FALSE(held.complete_http(held.http_requests().front().op, bad)); // already answered
    held.run_ready();
    REQUIRE(held.emits().size() == 1);
    CHECK(held.emits().front().is_status);
    CHECK(held.emits().front().state == TRADEPUSH_STATE_ERROR);
    CHECK(held.emits().front().message == "HTTP 503");
    // Its timeout (the 10 s default) is moot now; a request nobody answers times out like in the daemon.
    REQUIRE(held.open_account("dave", acct, 1) == TRADEPUSH_OK);
    held.advance(9999ms);
    CHECK(held.emits().size() == 1);
    held.advance(1ms);
    REQUIRE(held.emits().size() == 2);
    CHECK(held.emits().back().user == "dave");
    CHECK(held.emits().back().message == "timeout");
    CHECK(held.dropped_completions() == 0);

    // No route: a transport error for the plugin, a record for the test.
    tc::fake_host bare{*lib};
    REQUIRE(bare.create(rest_config));
    REQUIRE(bare.open_account("carol", acct, 1) == TRADEPUSH_OK);
    bare.run_ready();
    REQUIRE(bare.unmatched_http().size() == 1);
    REQUIRE(bare.emits().size() == 1);
    CHECK(bare.emits().front().message.find("no scripted HTTP peer") != std::string::npos);
}

TEST_CASE("fake_host: reset_user while an HTTP request is in flight drops its completion")
{
    REQUIRE_PLUGIN_PATHS();
    auto lib = load(rest_path);
    tc::fake_host host{*lib};
    tc::http_reply ok;
    ok.body = R"({"total":1})";
    ok.delay = 1s;
    host.on_http("GET", "/v1/balance", ok);
    REQUIRE(host.create(rest_config));
    REQUIRE(host.open_account("alice", tc::account_info{}, 1) == TRADEPUSH_OK);
    CHECK(host.live_ops("alice") == 1);
    CHECK(host.reset_user("alice") == TRADEPUSH_OK);
    host.advance(5s);
    CHECK(host.emits().empty());
    CHECK(host.dropped_completions() == 1);
    CHECK(host.violations().empty());
}

TEST_CASE("fake_host: scripted WebSocket peers see frames and push messages")
{
    REQUIRE_PLUGIN_PATHS();
    auto lib = load(rest_path);
    tc::fake_host host{*lib};
    tc::ws_peer peer;
    peer.delay = 50ms;
    // An auto-responder: answer the subscribe frame with a ticker 10 ms later.
    peer.on_message = [](tc::fake_host& h, tradepush_op ws, std::string_view payload, bool) {
        if(payload.find("tickers.BTCUSDT") != std::string_view::npos)
            h.ws_push(ws, R"({"symbol":"BTCUSDT","last_price":97000.5})", false, 10ms);
    };
    host.on_ws("wss://stream.example.test/", peer);
    REQUIRE(host.create(rest_config));
    REQUIRE(host.subscribe_ticker("spot", "BTCUSDT") == TRADEPUSH_OK);
    REQUIRE(host.websockets().size() == 1);
    auto const op = host.websockets().front().op;
    CHECK(host.websockets().front().user.empty());

    host.advance(50ms);
    REQUIRE(host.websocket(op)->open);
    REQUIRE(host.websocket(op)->sent.size() == 1);
    CHECK(host.websocket(op)->sent.front().payload == R"({"op":"subscribe","args":["tickers.BTCUSDT"]})");
    CHECK(host.emits().empty());
    host.advance(10ms);
    REQUIRE(host.data_emits(TRADEPUSH_STREAM_TICKER).size() == 1);
    auto const e = host.data_emits(TRADEPUSH_STREAM_TICKER).front(); // a copy: data_emits returns by value
    CHECK(e.category == "spot");
    CHECK(e.symbol == "BTCUSDT");

    // The test pushes too; then the peer closes and the plugin forgets the socket.
    CHECK(host.ws_push(op, R"({"symbol":"BTCUSDT","last_price":1})"));
    host.run_ready();
    CHECK(host.data_emits(TRADEPUSH_STREAM_TICKER).size() == 2);
    CHECK(host.ws_close(op, "bye"));
    host.run_ready();
    CHECK(host.websocket(op)->closed);
    CHECK(host.live_ops() == 0);
    CHECK(host.unsubscribe_ticker("spot", "BTCUSDT") == TRADEPUSH_E_NOT_FOUND);

    // A refusing peer: the plugin sees the close with the reason.
    tc::fake_host refused{*lib};
    tc::ws_peer no;
    no.accept = false;
    no.fail_reason = "HTTP 403";
    refused.on_ws("wss://", no);
    REQUIRE(refused.create(rest_config));
    REQUIRE(refused.subscribe_ticker("spot", "ETHUSDT") == TRADEPUSH_OK);
    refused.run_ready();
    CHECK(refused.websockets().front().closed);
    CHECK(refused.live_ops() == 0);
    CHECK(refused.violations().empty());
}

TEST_CASE("fake_host: a stale-epoch emit is dropped and recorded")
{
    REQUIRE_PLUGIN_PATHS();
    auto lib = load(stale_path);
    tc::fake_host host{*lib};
    REQUIRE(host.create());
    REQUIRE(host.open_account("alice", tc::account_info{}, 1) == TRADEPUSH_OK);
    host.advance(10ms);
    REQUIRE(host.data_emits(TRADEPUSH_STREAM_BALANCE).size() == 1);
    REQUIRE(host.reset_user("alice") == TRADEPUSH_OK);
    host.advance(1s); // the public tick re-emits the session the plugin failed to drop
    auto const stale = host.violations(tc::violation_kind::stale_epoch_emit);
    REQUIRE(stale.size() == 1);
    CHECK(stale.front().detail.find("epoch 1") != std::string::npos);
    CHECK_FALSE(host.emits().back().delivered);
    CHECK(host.data_emits(TRADEPUSH_STREAM_BALANCE).size() == 1);
    CHECK(tc::to_string(tc::violation_kind::stale_epoch_emit) == "stale-epoch emit");
}

TEST_CASE("fake_host: host calls from another thread are refused and recorded, log is allowed")
{
    REQUIRE_PLUGIN_PATHS();
    auto lib = load(off_strand_path);
    tc::fake_host host{*lib};
    REQUIRE(host.create());
    REQUIRE(host.open_account("alice", tc::account_info{}, 1) == TRADEPUSH_OK);
    auto const v = host.violations(tc::violation_kind::off_strand);
    REQUIRE(v.size() == 2); // metric and now_ns; not log
    CHECK(v[0].detail == "metric called from another thread while an entry point ran");
    CHECK(v[1].detail.rfind("now_ns", 0) == 0);
    CHECK(host.metrics().empty());
    auto const logs = host.logs();
    CHECK(std::any_of(logs.begin(), logs.end(),
        [](tc::log_record const& l) { return l.message == "log is allowed from any thread"; }));
}

TEST_CASE("fake_host: overlong callbacks and escaped exceptions are recorded")
{
    REQUIRE_PLUGIN_PATHS();
    {
        auto lib = load(slow_path);
        tc::fake_host_options o;
        o.call_budget = 100ms;
        tc::fake_host host{*lib, o};
        REQUIRE(host.create());
        REQUIRE(host.open_account("alice", tc::account_info{}, 1) == TRADEPUSH_OK);
        auto const v = host.violations(tc::violation_kind::overlong_callback);
        REQUIRE(v.size() == 1);
        CHECK(v.front().detail.rfind("open_account took ", 0) == 0);
        CHECK(host.longest_call() >= 200ms);
    }
    {
        auto lib = load(throw_path);
        tc::fake_host host{*lib};
        REQUIRE(host.create());
        CHECK(host.open_account("alice", tc::account_info{}, 1) == TRADEPUSH_E_INTERNAL);
        auto const v = host.violations(tc::violation_kind::exception_escaped);
        REQUIRE(v.size() == 1);
        CHECK(v.front().detail == "open_account: open_account let this escape");
    }
}

TEST_CASE("fake_host: runs a table obtained without plugin_library (static mode)")
{
    REQUIRE_PLUGIN_PATHS();
    auto lib = load(example_path);
    tc::fake_host host{lib->api()};
    CHECK(host.library() == nullptr);
    REQUIRE(host.create(R"({"tick_ms":0})"));
    REQUIRE(host.open_account("alice", tc::account_info{}, 1) == TRADEPUSH_OK);
    host.run_ready();
    CHECK(host.data_emits(TRADEPUSH_STREAM_BALANCE, "alice").size() == 1);

    // A table without create/destroy is refused, not called.
    tradepush_plugin_api empty{};
    tc::fake_host none{empty};
    std::string error;
    CHECK_FALSE(none.create("{}", &error));
    CHECK(error == "the table has no create or destroy slot");
    CHECK(none.open_account("alice", tc::account_info{}, 1) == TRADEPUSH_E_INTERNAL);
}
