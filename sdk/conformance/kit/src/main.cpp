// tradepush-plugin-conformance: runs the conformance kit's generic suite against one plugin image.
// Prints one `PASS TC-xxx name` / `FAIL TC-xxx name: detail` / `SKIP TC-xxx name: reason` line per test
// and exits 0 only if no test failed (2 on a usage error).
//
//   tradepush-plugin-conformance lib.so [--config JSON] [--account label:exchange:network:key:secret]
//       [--symbol SYMBOL] [--timeout-ms N] [--budget-ms N] [--cycles N] [--only ID[,ID...]]... [--list]
//       [--verbose]
// --verbose also echoes the plugin's log lines to stderr and prints what each passing test measured.
#include <tradepush/conformance/suite.hpp>

#include <charconv>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace conformance = tradepush::conformance;

namespace {

int
usage(char const* why)
{
    if(why != nullptr)
        std::fprintf(stderr, "tradepush-plugin-conformance: %s\n", why);
    std::fprintf(stderr,
        "usage: tradepush-plugin-conformance lib.so [--config JSON]\n"
        "           [--account label:exchange:network:key:secret] [--symbol SYMBOL]\n"
        "           [--timeout-ms N] [--budget-ms N] [--cycles N] [--only ID[,ID...]] [--verbose]\n"
        "       tradepush-plugin-conformance --list\n");
    return 2;
}

bool
parse_number(std::string_view s, unsigned long& out)
{
    auto const [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc{} && ptr == s.data() + s.size() && out > 0;
}

/// Splits "a:b:c:d:e" into exactly five fields (the secret may contain ':').
bool
parse_account(std::string_view s, conformance::account_info& out)
{
    std::vector<std::string> parts;
    for(int i = 0; i < 4; ++i) {
        auto const colon = s.find(':');
        if(colon == std::string_view::npos)
            return false;
        parts.emplace_back(s.substr(0, colon));
        s.remove_prefix(colon + 1);
    }
    parts.emplace_back(s);
    out = conformance::account_info{parts[0], parts[1], parts[2], parts[3], parts[4]};
    return !out.label.empty();
}

} // namespace

int
main(int argc, char** argv)
{
    conformance::suite_options options;
    std::string lib;
    for(int i = 1; i < argc; ++i) {
        std::string_view const a = argv[i];
        auto const value = [&]() -> char const* { return i + 1 < argc ? argv[++i] : nullptr; };
        unsigned long n = 0;
        if(a == "--list") {
            for(auto const& t : conformance::suite_tests())
                std::printf("%s %s\n", t.id.c_str(), t.name.c_str());
            return 0;
        } else if(a == "--config") {
            auto const v = value();
            if(v == nullptr)
                return usage("--config needs a value");
            options.config_json = v;
        } else if(a == "--account") {
            auto const v = value();
            if(v == nullptr || !parse_account(v, options.account))
                return usage("--account needs label:exchange:network:key:secret");
        } else if(a == "--symbol") {
            auto const v = value();
            if(v == nullptr || *v == '\0')
                return usage("--symbol needs a value");
            options.ticker_symbol = v;
        } else if(a == "--timeout-ms") {
            auto const v = value();
            if(v == nullptr || !parse_number(v, n))
                return usage("--timeout-ms needs a positive number");
            options.snapshot_timeout = std::chrono::milliseconds(n);
        } else if(a == "--budget-ms") {
            auto const v = value();
            if(v == nullptr || !parse_number(v, n))
                return usage("--budget-ms needs a positive number");
            options.call_budget = std::chrono::milliseconds(n);
        } else if(a == "--cycles") {
            auto const v = value();
            if(v == nullptr || !parse_number(v, n) || n > 10'000'000)
                return usage("--cycles needs a positive number");
            options.create_destroy_cycles = static_cast<unsigned>(n);
        } else if(a == "--only") {
            auto const v = value();
            if(v == nullptr)
                return usage("--only needs a test ID");
            std::string_view ids = v;
            while(!ids.empty()) {
                auto const comma = ids.find(',');
                auto const id = ids.substr(0, comma);
                bool known = false;
                for(auto const& t : conformance::suite_tests())
                    known = known || t.id == id;
                if(!known)
                    return usage(("unknown test ID " + std::string{id} + " (see --list)").c_str());
                options.only.emplace_back(id);
                ids = comma == std::string_view::npos ? std::string_view{} : ids.substr(comma + 1);
            }
        } else if(a == "--verbose") {
            options.echo_logs = true;
        } else if(!a.empty() && a[0] != '-' && lib.empty()) {
            lib = a;
        } else {
            return usage(("unexpected argument " + std::string{a}).c_str());
        }
    }
    if(lib.empty())
        return usage("no plugin given");

    bool const verbose = options.echo_logs;
    options.on_result = [verbose](conformance::test_result const& r) {
        std::printf("%s\n", conformance::format(r).c_str());
        // What a passing test measured (cycles, virtual times, swallowed completions), on request.
        if(verbose && r.result == conformance::outcome::pass && !r.detail.empty())
            std::printf("    %s\n", r.detail.c_str());
        std::fflush(stdout);
    };
    auto const report = conformance::run_suite(lib, options);
    std::printf("%s: %zu passed, %zu failed, %zu skipped\n", report.passed() ? "PASS" : "FAIL",
        report.count(conformance::outcome::pass), report.count(conformance::outcome::fail),
        report.count(conformance::outcome::skip));
    return report.passed() ? 0 : 1;
}
