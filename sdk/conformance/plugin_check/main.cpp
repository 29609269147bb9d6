// tradepush-plugin-check: the loader-level conformance checks of specs/plugin-abi.md §2.3.8 for one
// plugin image. Prints one `PASS name: detail` / `FAIL name: detail` line per check and exits 0
// only if every check passes.
//
//   tradepush-plugin-check lib.so [--iterations N]
//
// The stub host does no I/O: operations get ids and never complete, logs are counted.

#include "plugin_host/elf_check.hpp"
#include "plugin_host/loader.hpp"

#include <tradepush/plugin_abi.h>

#include <openssl/hmac.h>

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
// Stub host

/// What the stub host saw; one per process (the checks run sequentially on one thread).
struct stub_state {
    std::uint64_t next_op = 0;
    std::uint64_t logs = 0;
    std::uint64_t ops_started = 0;
    std::uint64_t emits = 0;
    std::uint64_t clock_ns = 0;
};

stub_state stub;

void
stub_log(tradepush_host*, int, tradepush_str)
{
    ++stub.logs;
}
std::uint64_t
stub_now_ns(tradepush_host*)
{
    return stub.clock_ns += 1000;
}
std::uint64_t
stub_wall_ms(tradepush_host*)
{
    return 1'700'000'000'000ULL + stub.clock_ns / 1'000'000;
}
tradepush_op
stub_timer_start(tradepush_host*, tradepush_owner const*, std::uint64_t, std::uint64_t)
{
    ++stub.ops_started;
    return ++stub.next_op;
}
tradepush_op
stub_http_request(tradepush_host*, tradepush_owner const*, tradepush_http_request const*, std::uint64_t)
{
    ++stub.ops_started;
    return ++stub.next_op;
}
tradepush_op
stub_ws_open(tradepush_host*, tradepush_owner const*, tradepush_ws_open const*, std::uint64_t)
{
    ++stub.ops_started;
    return ++stub.next_op;
}
tradepush_status
stub_ws_send(tradepush_host*, tradepush_op, tradepush_str, int)
{
    return TRADEPUSH_OK;
}
void
stub_op_cancel(tradepush_host*, tradepush_op)
{
}
tradepush_status
stub_hmac_sha256(tradepush_host*, tradepush_str key, tradepush_str msg, std::uint8_t out[32])
{
    unsigned int len = 32;
    if (HMAC(EVP_sha256(), key.ptr, static_cast<int>(key.len), reinterpret_cast<unsigned char const*>(msg.ptr),
            msg.len, out, &len)
        == nullptr)
        return TRADEPUSH_E_INTERNAL;
    return TRADEPUSH_OK;
}
void
stub_emit_data(tradepush_host*, tradepush_owner const*, tradepush_str, int, tradepush_str, tradepush_str,
    tradepush_str)
{
    ++stub.emits;
}
void
stub_emit_status(tradepush_host*, tradepush_owner const*, tradepush_str, int, tradepush_str, tradepush_str, int,
    tradepush_str, tradepush_str)
{
    ++stub.emits;
}
void
stub_metric(tradepush_host*, tradepush_str, int, double)
{
}

tradepush_host_api const stub_api = {
    .struct_size = sizeof(tradepush_host_api),
    .abi_major = TRADEPUSH_ABI_MAJOR,
    .abi_minor = TRADEPUSH_ABI_MINOR,
    .reserved = 0,
    .log = stub_log,
    .now_ns = stub_now_ns,
    .wall_ms = stub_wall_ms,
    .timer_start = stub_timer_start,
    .http_request = stub_http_request,
    .ws_open = stub_ws_open,
    .ws_send = stub_ws_send,
    .op_cancel = stub_op_cancel,
    .hmac_sha256 = stub_hmac_sha256,
    .emit_data = stub_emit_data,
    .emit_status = stub_emit_status,
    .metric = stub_metric,
};

// Any distinct non-null address works as the opaque host context.
char stub_host_storage;
auto* const stub_host = reinterpret_cast<tradepush_host*>(&stub_host_storage);

tradepush_str
str(std::string_view s)
{
    return {s.data(), s.size()};
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

/// Creates one instance with config "{}"; the error text of a refusal goes to `err`.
tradepush_instance*
create_instance(tradepush_plugin_api const& api, std::string& err)
{
    char buf[512] = {};
    tradepush_instance* inst = api.create(stub_host, &stub_api, str("{}"), buf, sizeof buf);
    if (inst == nullptr)
        err = buf[0] ? std::string(buf, strnlen(buf, sizeof buf)) : "create returned NULL without a message";
    return inst;
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
        std::string err;
        unsigned done = 0;
        for (; done < iterations; ++done) {
            tradepush_instance* inst = create_instance(api, err);
            if (inst == nullptr)
                break;
            api.destroy(inst);
        }
        report(done == iterations, "create_destroy",
            done == iterations ? std::to_string(iterations) + " cycles, " + std::to_string(stub.ops_started)
                    + " ops started, " + std::to_string(stub.logs) + " log lines"
                               : "create failed at cycle " + std::to_string(done) + ": " + err);
    }

    // reset_user is idempotent and accepts users it never saw.
    {
        std::string err;
        tradepush_instance* inst = create_instance(api, err);
        if (inst == nullptr) {
            report(false, "reset_user", "create failed: " + err);
        } else {
            tradepush_owner const unknown{str("plugin-check-unknown-user"), 7};
            tradepush_owner const user{str("plugin-check-user"), 1};
            int const a = api.reset_user(inst, &unknown);
            int const b = api.reset_user(inst, &user);
            int const c = api.reset_user(inst, &user);
            api.destroy(inst);
            bool const ok = a == TRADEPUSH_OK && b == TRADEPUSH_OK && c == TRADEPUSH_OK;
            report(ok, "reset_user",
                ok ? "unknown user and twice: TRADEPUSH_OK"
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
