#pragma once
// The generic conformance suite: capability-gated tests with stable IDs, runnable against any plugin
// image through the fake host. The CLI `tradepush-plugin-conformance` is a thin shell around
// run_suite(); plugin authors call it from their own tests, adding fixtures with suite_options::setup.
//
//   auto report = tradepush::conformance::run_suite("libtradepush-myexchange.so", options);
//   for(auto const& r : report.results) std::puts(tradepush::conformance::format(r).c_str());
//   REQUIRE(report.passed());

#include <tradepush/conformance/fake_host.hpp>
#include <tradepush/conformance/plugin_library.hpp>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace tradepush::conformance {

/// The result of one test.
enum class outcome { pass, fail, skip };

/// A test of the suite: its stable ID (e.g. "TC-R03") and one-line name.
struct test_info {
    std::string id;   ///< stable across releases; new tests get new IDs
    std::string name; ///< what it checks
};

/// What one test found.
struct test_result {
    std::string id;      ///< test ID
    std::string name;    ///< test name
    outcome result = outcome::skip; ///< pass, fail or skip
    std::string detail;  ///< why it failed, why it was skipped (with the capability), or what passed
};

/// How to run the suite.
struct suite_options {
    /// JSON handed to the plugin's create.
    std::string config_json = "{}";
    /// Credentials for open_account; an empty exchange becomes the plugin's name.
    account_info account = account_info{"main", "", "demo", "conformance-key", "conformance-secret"};
    /// Symbol for the ticker tests; the category is the first one features_json declares ("linear" if none).
    std::string ticker_symbol = "BTCUSDT";
    /// Virtual time a snapshot (or the first ticker) may take.
    std::chrono::nanoseconds snapshot_timeout = std::chrono::seconds(10);
    /// Real-time budget of one entry point call.
    std::chrono::nanoseconds call_budget = std::chrono::milliseconds(50);
    /// create/destroy cycles of TC-L02.
    unsigned create_destroy_cycles = 1000;
    /// Run only these test IDs (empty: all). Whole-run tests (TC-T*) still observe every other test.
    std::vector<std::string> only;
    /// Called on every fresh fake_host before create: script HTTP/WebSocket peers (fixtures) here.
    std::function<void(fake_host&)> setup;
    /// Called with each test's fake host once the test is done, before the host is destroyed: what the
    /// scripted peers saw (requests, frames), logs, metrics and stream_status emits, for assertions the
    /// generic tests cannot make (e.g. "no stale status", "every request was scripted"). Not called for
    /// tests that use no host (TC-L01, TC-T*) or whose create failed.
    std::function<void(std::string const& test_id, fake_host const& host)> inspect;
    /// Called as each result is known (e.g. to print it at once).
    std::function<void(test_result const&)> on_result;
    /// Echo plugin log lines to stderr.
    bool echo_logs = false;
};

/// Every result of one run.
struct suite_report {
    std::string plugin_name;          ///< the plugin's name, "" if it did not load
    std::vector<test_result> results; ///< in suite order

    /// True when no test failed (skips are fine).
    bool passed() const noexcept;
    /// How many tests had `o`.
    std::size_t count(outcome o) const noexcept;
    /// The result of test `id`, or nullptr when it was not run.
    test_result const* find(std::string_view id) const noexcept;
};

/// The tests of the suite, in the order they run.
std::vector<test_info> const& suite_tests();

/// Loads `plugin` (dlopen) and runs the suite. A load failure is one FAIL result "TC-L01".
suite_report run_suite(std::filesystem::path const& plugin, suite_options const& options = {});

/// Runs the suite against an already loaded library.
suite_report run_suite(plugin_library const& library, suite_options const& options = {});

/// "PASS TC-xxx name", "FAIL TC-xxx name: detail" or "SKIP TC-xxx name: reason".
std::string format(test_result const& result);

} // namespace tradepush::conformance
