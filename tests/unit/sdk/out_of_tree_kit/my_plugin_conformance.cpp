// A plugin author's conformance test in plain C++ (no test framework): the generic suite plus one
// plugin-specific check through the fake host. Usage: my_plugin_conformance libtradepush-example.so
#include <tradepush/conformance/suite.hpp>

#include <chrono>
#include <cstdio>
#include <string>

namespace tc = tradepush::conformance;

int
main(int argc, char** argv)
{
    if(argc != 2) {
        std::fprintf(stderr, "usage: %s plugin.so\n", argv[0]);
        return 2;
    }
    // The generic, capability-gated suite.
    tc::suite_options options;
    options.create_destroy_cycles = 100;
    options.on_result = [](tc::test_result const& r) { std::printf("%s\n", tc::format(r).c_str()); };
    auto const report = tc::run_suite(argv[1], options);

    // A check of our own: the example's first snapshot arrives exactly after snapshot_delay_ms.
    std::string error;
    auto lib = tc::plugin_library::open(argv[1], error);
    if(!lib) {
        std::fprintf(stderr, "%s\n", error.c_str());
        return 1;
    }
    bool ok = report.passed();
    {
        tc::fake_host host{*lib};
        ok = ok && host.create(R"({"snapshot_delay_ms":250,"tick_ms":0})");
        ok = ok && host.open_account("alice", tc::account_info{}, 1) == TRADEPUSH_OK;
        host.advance(std::chrono::milliseconds(249));
        ok = ok && host.emits().empty();
        host.advance(std::chrono::milliseconds(1));
        ok = ok && host.data_emits(TRADEPUSH_STREAM_BALANCE, "alice").size() == 1 && host.violations().empty();
    }
    std::printf("%s: own checks %s\n", ok ? "PASS" : "FAIL", ok ? "passed" : "failed");
    return ok ? 0 : 1;
}
