// Test that header file is self-contained.
#include <tradepush/conformance/suite.hpp>

// Then the generic suite against real images: the example passes, each deliberately bad plugin fails
// exactly the test ID for its breach, a plugin that needs upstream payloads passes once the author
// scripts its peers through suite_options::setup, and tests are gated on capabilities.
#include <catch2/catch.hpp>

#include <chrono>
#include <set>
#include <string>
#include <vector>

namespace tc = tradepush::conformance;
using namespace std::chrono_literals;

namespace {

#ifdef TRADEPUSH_SDK_REST_PLUGIN
constexpr char const* example_path = TRADEPUSH_SDK_EXAMPLE_PLUGIN;
constexpr char const* throwing_sdk_path = TRADEPUSH_SDK_THROWING_PLUGIN;
constexpr char const* rest_path = TRADEPUSH_SDK_REST_PLUGIN;
constexpr char const* stale_path = TRADEPUSH_SDK_BAD_STALE_EMIT_PLUGIN;
constexpr char const* off_strand_path = TRADEPUSH_SDK_BAD_OFF_STRAND_PLUGIN;
constexpr char const* slow_path = TRADEPUSH_SDK_BAD_SLOW_PLUGIN;
constexpr char const* throw_path = TRADEPUSH_SDK_BAD_THROW_PLUGIN;
#else
constexpr char const* example_path = nullptr;
constexpr char const* throwing_sdk_path = nullptr;
constexpr char const* rest_path = nullptr;
constexpr char const* stale_path = nullptr;
constexpr char const* off_strand_path = nullptr;
constexpr char const* slow_path = nullptr;
constexpr char const* throw_path = nullptr;
#endif

/// The IDs that failed, with every result printed when a check fails.
std::set<std::string>
failed_ids(tc::suite_report const& report)
{
    std::set<std::string> out;
    for(auto const& r : report.results) {
        UNSCOPED_INFO(tc::format(r));
        if(r.result == tc::outcome::fail)
            out.insert(r.id);
    }
    return out;
}

tc::suite_options
quick_options()
{
    tc::suite_options o;
    // The cycle count is TC-L02's business; 50 keeps the bad-plugin runs fast.
    o.create_destroy_cycles = 50;
    return o;
}

#define REQUIRE_PLUGIN_PATHS()                                                                              \
    if(rest_path == nullptr) {                                                                              \
        WARN("conformance test plugin paths not defined; skipped");                                        \
        return;                                                                                             \
    }

} // namespace

TEST_CASE("suite: the example plugin passes every test")
{
    REQUIRE_PLUGIN_PATHS();
    std::vector<std::string> printed;
    tc::suite_options o;
    o.on_result = [&](tc::test_result const& r) { printed.push_back(tc::format(r)); };
    auto const report = tc::run_suite(example_path, o);
    CHECK(failed_ids(report).empty());
    CHECK(report.passed());
    CHECK(report.plugin_name == "example");
    CHECK(report.count(tc::outcome::skip) == 0);
    CHECK(report.results.size() == tc::suite_tests().size());
    REQUIRE(printed.size() == report.results.size());
    CHECK(printed.front() == "PASS TC-L01 load: ABI negotiation, table and features_json");
    CHECK(report.find("TC-L02")->detail == "1000 cycles");
}

TEST_CASE("suite: each breach fails its test ID")
{
    REQUIRE_PLUGIN_PATHS();
    // Stale-epoch emit after reset_user: the in-flight reset test and the whole-run fence check.
    auto const stale = tc::run_suite(stale_path, quick_options());
    CHECK(failed_ids(stale) == std::set<std::string>{"TC-R03", "TC-T04"});
    CHECK(stale.find("TC-R03")->detail.find("stale-epoch emit") != std::string::npos);

    // Host calls from a std::thread.
    auto const off = tc::run_suite(off_strand_path, quick_options());
    CHECK(failed_ids(off) == std::set<std::string>{"TC-T01"});
    CHECK(off.find("TC-T01")->detail.find("from another thread") != std::string::npos);

    // 200 ms in open_account against the default 50 ms budget.
    auto const slow = tc::run_suite(slow_path, quick_options());
    CHECK(failed_ids(slow) == std::set<std::string>{"TC-T02"});
    CHECK(slow.find("TC-T02")->detail.find("open_account took 2") != std::string::npos);

    // An exception crossing the ABI; the account tests fail too, since open_account never succeeds.
    auto const thrown = tc::run_suite(throw_path, quick_options());
    auto const ids = failed_ids(thrown);
    CHECK(ids.count("TC-X01") == 1);
    CHECK(thrown.find("TC-X01")->detail.find("open_account let this escape") != std::string::npos);
    CHECK(ids.count("TC-T01") == 0);
    CHECK(ids.count("TC-K01") == 0);
}

TEST_CASE("suite: a plugin needing upstream payloads passes with scripted peers")
{
    REQUIRE_PLUGIN_PATHS();
    tc::suite_options o = quick_options();
    o.config_json = R"({"base":"https://api.example.test","ws":"wss://stream.example.test"})";

    // Without fixtures the snapshot cannot come, and the report says why.
    auto const bare = tc::run_suite(rest_path, o);
    CHECK(failed_ids(bare).count("TC-A01") == 1);
    CHECK(bare.find("TC-A01")->detail.find("supply fixtures") != std::string::npos);

    // The author's fixtures: a balance endpoint and a ticker stream that answers subscriptions.
    o.setup = [](tc::fake_host& h) {
        tc::http_reply balance;
        balance.body = R"({"currency":"USDT","total":100.5,"available_balance":80})";
        balance.delay = 30ms;
        h.on_http("GET", "/v1/balance", balance);
        tc::ws_peer stream;
        stream.delay = 20ms;
        stream.on_message = [](tc::fake_host& host, tradepush_op ws, std::string_view msg, bool) {
            if(msg.find("\"subscribe\"") != std::string_view::npos)
                host.ws_push(ws, R"({"symbol":"BTCUSDT","last_price":97000.5})", false, 5ms);
        };
        h.on_ws("wss://stream.example.test/", stream);
    };
    auto const report = tc::run_suite(rest_path, o);
    CHECK(failed_ids(report).empty());
    CHECK(report.passed());
}

TEST_CASE("suite: tests are gated on capabilities and can be selected")
{
    REQUIRE_PLUGIN_PATHS();
    // The SDK's throwing test plugin has no request_snapshot / unsubscribe_ticker handler.
    auto const gated = tc::run_suite(throwing_sdk_path, quick_options());
    REQUIRE(gated.find("TC-A02") != nullptr);
    CHECK(gated.find("TC-A02")->result == tc::outcome::skip);
    CHECK(tc::format(*gated.find("TC-A02")).find("(capability request_snapshot)") != std::string::npos);
    CHECK(gated.find("TC-K02")->result == tc::outcome::skip);
    // Its trampolines contain every exception: nothing escapes although every handler throws.
    CHECK(gated.find("TC-X01")->result == tc::outcome::pass);

    // --only: just the selected result, even for whole-run tests (which still observe everything).
    tc::suite_options o = quick_options();
    o.only = {"TC-R02"};
    auto const one = tc::run_suite(example_path, o);
    REQUIRE(one.results.size() == 1);
    CHECK(one.results.front().id == "TC-R02");
    o.only = {"TC-T01"};
    auto const whole = tc::run_suite(off_strand_path, o);
    REQUIRE(whole.results.size() == 1);
    CHECK(whole.results.front().result == tc::outcome::fail);

    // A file that does not load is one failure with the loader's sentence.
    auto const missing = tc::run_suite("/nonexistent/libtradepush-nothing.so");
    REQUIRE(missing.results.size() == 1);
    CHECK(missing.results.front().id == "TC-L01");
    CHECK(missing.results.front().detail.find("dlopen") != std::string::npos);
    CHECK_FALSE(missing.passed());
}

TEST_CASE("suite: inspect sees each test's host before it is destroyed")
{
    REQUIRE_PLUGIN_PATHS();
    tc::suite_options o = quick_options();
    o.config_json = R"({"base":"https://api.example.test","ws":"wss://stream.example.test"})";
    o.setup = [](tc::fake_host& h) {
        tc::http_reply balance;
        balance.body = R"({"currency":"USDT","total":100.5,"available_balance":80})";
        h.on_http("GET", "/v1/balance", balance);
        tc::ws_peer stream;
        stream.on_message = [](tc::fake_host& host, tradepush_op ws, std::string_view msg, bool) {
            if(msg.find("\"subscribe\"") != std::string_view::npos)
                host.ws_push(ws, R"({"symbol":"BTCUSDT","last_price":97000.5})", false, 5ms);
        };
        h.on_ws("wss://stream.example.test/", stream);
    };
    // What a plugin author asserts on per test: here, what the peers were asked and what was emitted.
    std::vector<std::string> seen;
    std::size_t balance_requests_in_a01 = 0;
    std::size_t ticker_emits_in_k01 = 0;
    o.inspect = [&](std::string const& id, tc::fake_host const& h) {
        seen.push_back(id);
        if(id == "TC-A01")
            for(auto const& r : h.http_requests())
                if(r.matched && r.path() == "/v1/balance")
                    ++balance_requests_in_a01;
        if(id == "TC-K01")
            ticker_emits_in_k01 = h.data_emits(TRADEPUSH_STREAM_TICKER).size();
    };
    auto const report = tc::run_suite(rest_path, o);
    CHECK(report.passed());
    // Once per test that ran on a host, in suite order: not TC-L01 (no host), not the whole-run TC-T*,
    // not skipped ones.
    std::vector<std::string> expected;
    for(auto const& r : report.results)
        if(r.result != tc::outcome::skip && r.id != "TC-L01" && r.id.rfind("TC-T", 0) != 0)
            expected.push_back(r.id);
    CHECK(seen == expected);
    CHECK(balance_requests_in_a01 > 0);
    CHECK(ticker_emits_in_k01 > 0);
}
