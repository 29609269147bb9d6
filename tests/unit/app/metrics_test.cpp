// /metrics rendering: the Prometheus text format (HELP/TYPE once per family, escaped labels, exact
// counts), every family DESIGN §8 asks for, and a cumulative per-plugin latency histogram.
#include "app/metrics.hpp"
#include "app/prometheus.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

using namespace tradepush;

namespace {

/// name{labels} -> value; fails the test on a malformed line or a sample before its TYPE line.
std::map<std::string, std::string>
parse(std::string const& text)
{
    static std::regex const meta(R"(^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) .+$)");
    static std::regex const sample(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$)");
    std::map<std::string, std::string> out;
    std::set<std::string> typed, helped;
    std::istringstream in(text);
    std::string line;
    while(std::getline(in, line)) {
        std::smatch m;
        if(std::regex_match(line, m, meta)) {
            auto& seen = m[1] == "TYPE" ? typed : helped;
            INFO(line);
            CHECK(seen.insert(m[2]).second); // once per family
            continue;
        }
        INFO(line);
        REQUIRE(std::regex_match(line, m, sample));
        auto family = std::regex_replace(m[1].str(), std::regex("_(bucket|sum|count)$"), "");
        CHECK((typed.count(m[1]) || typed.count(family)));
        out[m[1].str() + m[2].str()] = m[3];
    }
    return out;
}

} // namespace

TEST_CASE("prometheus_writer escapes label values and help text and prints counts exactly", "[app][metrics]")
{
    app::prometheus_writer w;
    w.family("x_total", "counter", "a \\ help\nline");
    w.sample("x_total", 12345678901234.0, {{"plugin", "we\"ird\\name\n"}});
    w.sample("x_total", 0.25);
    auto const text = w.take();
    CHECK(text ==
        "# HELP x_total a \\\\ help\\nline\n# TYPE x_total counter\n"
        "x_total{plugin=\"we\\\"ird\\\\name\\n\"} 12345678901234\nx_total 0.25\n");
}

TEST_CASE("render_metrics covers connections, subscriptions by type, pushes, plugins and upstream latency", "[app][metrics]")
{
    app::metrics_snapshot m;
    m.engine.sessions = 7;
    m.engine.conflations = 3;
    m.engine.ws_writes = 60;
    m.engine.refused_full = 2;
    m.engine.slow_consumer_closes = 1;
    m.hub.pushes = 100;
    m.hub.resets = 4;
    m.hub.subscriptions_by_stream = {1, 2, 3, 4, 5};
    plugin_host::plugin_status p;
    p.name = "bybit";
    p.counters.http_responses = 6;
    p.counters.http_failures = 1;
    p.counters.http_error_status = 2;
    p.counters.http_latency_buckets = {1, 2, 0, 0, 0, 0, 0, 0, 0, 3}; // 3 above 10 s
    p.counters.http_latency_sum_s = 31.5;
    m.plugins.push_back(p);
    m.plugin_totals.reloads = 2;
    auto const s = parse(app::render_metrics(m));

    CHECK(s.at("tradepushd_connections") == "7");
    CHECK(s.at("tradepushd_conflations_total") == "3");
    CHECK(s.at("tradepushd_ws_writes_total") == "60");
    CHECK(s.at("tradepushd_connections_refused_full_total") == "2");
    CHECK(s.at("tradepushd_slow_consumer_disconnects_total") == "1");
    CHECK(s.at("tradepushd_pushes_total") == "100");
    CHECK(s.at("tradepushd_user_resets_total") == "4");
    CHECK(s.at("tradepushd_subscriptions{type=\"balance\"}") == "1");
    CHECK(s.at("tradepushd_subscriptions{type=\"ticker\"}") == "5");
    CHECK(s.at("tradepushd_plugin_reloads_total") == "2");
    CHECK(s.at("tradepushd_upstream_requests_total{plugin=\"bybit\"}") == "6");
    CHECK(s.at("tradepushd_upstream_request_errors_total{plugin=\"bybit\"}") == "3");
    // Cumulative buckets, +Inf equal to _count.
    CHECK(s.at("tradepushd_upstream_request_duration_seconds_bucket{plugin=\"bybit\",le=\"0.01\"}") == "1");
    CHECK(s.at("tradepushd_upstream_request_duration_seconds_bucket{plugin=\"bybit\",le=\"0.025\"}") == "3");
    CHECK(s.at("tradepushd_upstream_request_duration_seconds_bucket{plugin=\"bybit\",le=\"10\"}") == "3");
    CHECK(s.at("tradepushd_upstream_request_duration_seconds_bucket{plugin=\"bybit\",le=\"+Inf\"}") == "6");
    CHECK(s.at("tradepushd_upstream_request_duration_seconds_count{plugin=\"bybit\"}") == "6");
    CHECK(s.at("tradepushd_upstream_request_duration_seconds_sum{plugin=\"bybit\"}") == "31.5");
}
