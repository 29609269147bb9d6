// tradepush-plugin-check: the loader-level conformance checks of specs/plugin-abi.md §2.3.8 for one
// plugin image. Prints one `PASS name: detail` / `FAIL name: detail` line per check and exits 0
// only if every check passes.
//
//   tradepush-plugin-check lib.so [--iterations N]
//
// Instances run on the conformance kit's fake host (sdk/conformance/kit): no I/O, a virtual clock, and
// its contract checks applied to the create/destroy and reset_user cycles.

#include "plugin_host/elf_check.hpp"
#include "plugin_host/loader.hpp"

#include <tradepush/conformance/fake_host.hpp>

#include <tradepush/plugin_abi.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <unistd.h>

namespace fs = std::filesystem;
namespace ph = tradepush::plugin_host;

namespace {

//------------------------------------------------------------------------------
// Host

// The instance-level checks run on the conformance kit's fake host: the same host table, epoch fence and
// contract checks (strand affinity, callback budget, escaped exceptions) as tradepush-plugin-conformance,
// with a virtual clock, so nothing here does I/O.
namespace tc = tradepush::conformance;

/// The contract breaches a fake host recorded, as "kind: detail, ..." (empty when none).
std::string
violations_text(tc::fake_host const& h)
{
    std::string out;
    for (auto const& v : h.violations())
        out += (out.empty() ? "" : ", ") + std::string(tc::to_string(v.kind)) + ": " + v.detail;
    return out;
}

//------------------------------------------------------------------------------
// Reporting

int failures = 0;

void
report(bool ok, std::string_view name, std::string const& detail)
{
    std::printf("%s %.*s: %s\n", ok ? "PASS" : "FAIL", static_cast<int>(name.size()), name.data(), detail.c_str());
    std::fflush(stdout);
    if (!ok)
        ++failures;
}

std::string
join(std::vector<std::string> const& v)
{
    std::string out;
    for (auto const& s : v)
        out += (out.empty() ? "" : ", ") + s;
    return out;
}

//------------------------------------------------------------------------------
// Checks

void
check_exports(fs::path const& lib)
{
    auto elf = ph::inspect_elf_file(lib);
    if (!elf) {
        report(false, "exports", elf.error().message);
        return;
    }
    auto exports = ph::list_exports(lib, *elf);
    if (!exports) {
        report(false, "exports", exports.error().message);
        return;
    }
    std::set<std::string> names(exports->begin(), exports->end());
    bool const has_entry = names.erase(TRADEPUSH_PLUGIN_ENTRY_SYMBOL) == 1;
    if (!has_entry)
        report(false, "exports", std::string("does not export ") + TRADEPUSH_PLUGIN_ENTRY_SYMBOL);
    else if (!names.empty())
        report(false, "exports",
            "exports " + join({names.begin(), names.end()}) + " besides " + TRADEPUSH_PLUGIN_ENTRY_SYMBOL);
    else
        report(true, "exports", std::string("only ") + TRADEPUSH_PLUGIN_ENTRY_SYMBOL);
}

void
check_elf(fs::path const& lib)
{
    auto elf = ph::inspect_elf_file(lib);
    if (!elf) {
        report(false, "elf_unique", elf.error().message);
        report(false, "elf_tls_dtor", elf.error().message);
        return;
    }
    report(elf->unique_symbols.empty(), "elf_unique",
        elf->unique_symbols.empty()
            ? "no STB_GNU_UNIQUE symbols"
            : "STB_GNU_UNIQUE symbols (dlclose cannot unload; build with -fno-gnu-unique): "
                + join(elf->unique_symbols));
    report(elf->tls_dtor_imports.empty(), "elf_tls_dtor",
        elf->tls_dtor_imports.empty()
            ? "no thread_local destructors"
            : "imports " + join(elf->tls_dtor_imports) + " (thread_local with a destructor pins the image)");
}

void
check_loaded(ph::loaded_plugin const& p, unsigned iterations)
{
    auto const& api = p.api();

    // The plugin must refuse a host of a newer major (it cannot know that ABI).
    tradepush_plugin_api const* t = p.entry()(TRADEPUSH_ABI_MAJOR + 1, 0);
    report(t == nullptr, "abi_newer_major",
        t == nullptr ? "entry returns NULL for host major " + std::to_string(TRADEPUSH_ABI_MAJOR + 1)
                     : "entry returned a table for host major " + std::to_string(TRADEPUSH_ABI_MAJOR + 1));
    report(api.abi_major == TRADEPUSH_ABI_MAJOR && api.abi_minor <= TRADEPUSH_ABI_MINOR, "abi_version",
        "plugin ABI " + std::to_string(api.abi_major) + "." + std::to_string(api.abi_minor) + ", host "
            + std::to_string(TRADEPUSH_ABI_MAJOR) + "." + std::to_string(TRADEPUSH_ABI_MINOR));

    // struct_size as the plugin declares it (the copy is clamped to ours).
    tradepush_plugin_api const* raw = p.entry()(TRADEPUSH_ABI_MAJOR, TRADEPUSH_ABI_MINOR);
    std::uint32_t declared = 0;
    if (raw != nullptr)
        std::memcpy(&declared, raw, sizeof declared);
    // Larger than ours is fine (a newer layout; we read our prefix), smaller than v1.0 is not.
    bool const size_ok = raw != nullptr && declared >= ph::min_plugin_api_size();
    report(size_ok, "struct_size",
        "declared " + std::to_string(declared) + ", host " + std::to_string(sizeof(tradepush_plugin_api))
            + ", minimum " + std::to_string(ph::min_plugin_api_size()));

    // create/destroy N times with config "{}".
    {
        tc::fake_host host{api};
        std::string err;
        unsigned done = 0;
        for (; done < iterations; ++done) {
            if (!host.create("{}", &err))
                break;
            host.destroy();
        }
        auto const breaches = violations_text(host);
        report(done == iterations && breaches.empty(), "create_destroy",
            done != iterations ? "create failed at cycle " + std::to_string(done) + ": " + err
                : !breaches.empty() ? breaches
                                    : std::to_string(iterations) + " cycles, " + std::to_string(host.plugin_calls())
                        + " calls, " + std::to_string(host.logs().size()) + " log lines");
    }

    // reset_user is idempotent and accepts users it never saw.
    {
        tc::fake_host host{api};
        std::string err;
        if (!host.create("{}", &err)) {
            report(false, "reset_user", "create failed: " + err);
        } else {
            int const a = host.reset_user("plugin-check-unknown-user");
            int const b = host.reset_user("plugin-check-user");
            int const c = host.reset_user("plugin-check-user");
            host.destroy();
            auto const breaches = violations_text(host);
            bool const ok = a == TRADEPUSH_OK && b == TRADEPUSH_OK && c == TRADEPUSH_OK && breaches.empty();
            report(ok, "reset_user",
                ok ? "unknown user and twice: TRADEPUSH_OK"
                   : !breaches.empty() ? breaches
                                       : "statuses unknown=" + std::to_string(a) + " first=" + std::to_string(b)
                            + " second=" + std::to_string(c) + " (expected 0)");
        }
    }
}

void
check_reload(fs::path const& lib, fs::path const& run_dir, unsigned cycles)
{
    std::set<fs::path> paths;
    for (unsigned i = 0; i < cycles; ++i) {
        auto p = ph::load_plugin(lib, {run_dir});
        if (!p) {
            report(false, "reload", "cycle " + std::to_string(i) + ": " + p.error().message);
            return;
        }
        if (!paths.insert(p->image_path()).second) {
            report(false, "reload", "image path reused: " + p->image_path().string());
            return;
        }
        if (!ph::unload(std::move(*p))) {
            report(false, "reload", "cycle " + std::to_string(i) + ": image still mapped after unload");
            return;
        }
    }
    report(true, "reload", std::to_string(cycles) + " load/unload cycles, every image unmapped");
}

int
usage()
{
    std::fprintf(stderr, "usage: tradepush-plugin-check lib.so [--iterations N]\n");
    return 2;
}

} // namespace

int
main(int argc, char** argv)
{
    fs::path lib;
    unsigned iterations = 1000;
    for (int i = 1; i < argc; ++i) {
        std::string_view const a = argv[i];
        if (a == "--iterations" && i + 1 < argc) {
            char* end = nullptr;
            unsigned long const n = std::strtoul(argv[++i], &end, 10);
            if (end == argv[i] || *end != '\0' || n == 0 || n > 10'000'000)
                return usage();
            iterations = static_cast<unsigned>(n);
        } else if (!a.empty() && a[0] != '-' && lib.empty()) {
            lib = a;
        } else {
            return usage();
        }
    }
    if (lib.empty())
        return usage();

    // A private run dir for the image copies; removed at the end.
    std::error_code ec;
    fs::path const run_dir = fs::temp_directory_path(ec) / ("tradepush-plugin-check-" + std::to_string(::getpid()));
    try {
        check_exports(lib);
        {
            auto p = ph::load_plugin(lib, {run_dir});
            if (p) {
                report(true, "load", "name \"" + p->name() + "\", version \"" + p->version() + "\"");
                check_loaded(*p, iterations);
                bool const unmapped = ph::unload(std::move(*p));
                report(unmapped, "unload", unmapped ? "image unmapped" : "image still mapped after unload");
                check_reload(lib, run_dir, 20);
            } else {
                report(false, "load", p.error().message);
                for (char const* n : {"abi_newer_major", "abi_version", "struct_size", "create_destroy", "reset_user",
                         "unload", "reload"})
                    report(false, n, "skipped: load failed");
            }
        }
        check_elf(lib);
    } catch (std::exception const& e) {
        report(false, "internal", e.what());
    }
    fs::remove_all(run_dir, ec);
    std::printf("%s: %d check(s) failed\n", failures == 0 ? "PASS" : "FAIL", failures);
    return failures == 0 ? 0 : 1;
}
