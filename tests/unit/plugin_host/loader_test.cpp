// Test that header file is self-contained.
#include "plugin_host/loader.hpp"

#include "plugin_host/elf_check.hpp"

#include <catch2/catch.hpp>

#include <dlfcn.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

namespace fs = std::filesystem;
namespace ph = tradepush::plugin_host;

namespace {

/// A fresh run dir per test case, so leftover image copies are attributable.
fs::path
fresh_run_dir(std::string const& name)
{
    fs::path dir = fs::path(TP_RUN_DIR) / name;
    fs::remove_all(dir);
    return dir;
}

std::size_t
files_in(fs::path const& dir)
{
    if (!fs::exists(dir))
        return 0;
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

bool
contains(std::vector<std::string> const& v, std::string const& s)
{
    return std::find(v.begin(), v.end(), s) != v.end();
}

/// Loads `plugin`, expects a refusal of kind `code` whose message names the file and contains
/// `text`, and that no image copy is left behind.
void
expect_refused(char const* plugin, ph::loader_errc code, std::string const& text, std::string const& dir_name)
{
    auto const dir = fresh_run_dir(dir_name);
    auto r = ph::load_plugin(plugin, {dir});
    REQUIRE(r.has_error());
    INFO(r.error().message);
    CHECK(r.error().code == code);
    CHECK(r.error().message.find(plugin) != std::string::npos);
    CHECK(r.error().message.find(text) != std::string::npos);
    CHECK(files_in(dir) == 0);
}

} // namespace

TEST_CASE("loader refuses bad plugins with a clear message", "[loader]")
{
    expect_refused(TP_PLUGIN_NOT_A_LIBRARY, ph::loader_errc::not_shared_object, "not a shared object", "not_a_library");
    expect_refused(TP_PLUGIN_EXTRA_EXPORTS, ph::loader_errc::bad_exports,
        "exports tp_extra_function besides tradepush_plugin_entry_v1", "extra_exports");
    expect_refused(TP_PLUGIN_RETURNS_NULL, ph::loader_errc::refused, "refuses this host", "returns_null");
    expect_refused(TP_PLUGIN_WRONG_MAJOR, ph::loader_errc::abi_mismatch, "ABI major 2, host 1", "wrong_major");
    expect_refused(TP_PLUGIN_NEWER_MINOR, ph::loader_errc::abi_mismatch,
        "ABI minor " + std::to_string(TRADEPUSH_ABI_MINOR + 1) + " newer than host "
            + std::to_string(TRADEPUSH_ABI_MINOR),
        "newer_minor");
    expect_refused(TP_PLUGIN_SMALL_STRUCT, ph::loader_errc::bad_table, "struct_size 8 too small", "small_struct");
    expect_refused(TP_PLUGIN_MISSING_SLOT, ph::loader_errc::bad_table, "missing slot destroy", "missing_slot");
    expect_refused(TP_PLUGIN_UNRESOLVED, ph::loader_errc::dlopen_failed, "dlopen: ", "unresolved");
    expect_refused(TP_PLUGIN_UNRESOLVED, ph::loader_errc::dlopen_failed, "undefined symbol: tp_missing_function",
        "unresolved2");
    // An executable (PIE, so ET_DYN like a library) is not a plugin either.
    expect_refused(TP_PLUGIN_CHECK_TOOL, ph::loader_errc::not_shared_object, "not a shared object", "executable");
    // The UNIQUE plugin's version script exports its static by wildcard: refused before dlopen.
    expect_refused(TP_PLUGIN_UNIQUE, ph::loader_errc::bad_exports, "besides tradepush_plugin_entry_v1", "unique");
}

TEST_CASE("loader accepts a plugin without completion slots (they are optional)", "[loader]")
{
    auto const dir = fresh_run_dir("no_completions");
    auto p = ph::load_plugin(TP_PLUGIN_NO_COMPLETIONS, {dir});
    REQUIRE(p.has_value());
    CHECK(p->api().on_timer == nullptr);
    CHECK(p->api().on_ws_event == nullptr);
    CHECK(p->api().open_account != nullptr);
    CHECK(ph::unload(std::move(*p)));
}

TEST_CASE("loader refuses missing files and directories", "[loader]")
{
    auto const dir = fresh_run_dir("missing");
    auto r = ph::load_plugin(fs::path(TP_RUN_DIR) / "no-such-plugin.so", {dir});
    REQUIRE(r.has_error());
    CHECK(r.error().code == ph::loader_errc::unreadable);
    CHECK(r.error().message.find("no-such-plugin.so") != std::string::npos);

    auto d = ph::load_plugin(fs::path(TP_PLUGIN_GOOD).parent_path(), {dir});
    REQUIRE(d.has_error());
    CHECK(d.error().code == ph::loader_errc::unreadable);
    CHECK(d.error().message.find("not a regular file") != std::string::npos);
}

TEST_CASE("loader loads the good plugin from unique image paths and unloads it for real", "[loader]")
{
    auto const dir = fresh_run_dir("good");
    auto a = ph::load_plugin(TP_PLUGIN_GOOD, {dir});
    REQUIRE(a.has_value());
    auto b = ph::load_plugin(TP_PLUGIN_GOOD, {dir});
    REQUIRE(b.has_value());

    CHECK(a->loaded());
    CHECK(a->name() == "test");
    CHECK(a->version() == "0.0.1");
    CHECK(a->features_json() == "{}");
    CHECK(a->api().abi_major == TRADEPUSH_ABI_MAJOR);
    CHECK(a->api().struct_size == sizeof(tradepush_plugin_api));
    CHECK(a->api().subscribe_ticker == nullptr); // optional slots stay NULL
    CHECK(a->source_path() == fs::path(TP_PLUGIN_GOOD));

    // Never the same image twice: a reload must not get the old mapping back.
    CHECK(a->image_path() != b->image_path());
    CHECK(a->image_path().is_absolute());
    CHECK(a->image_path().filename().string().rfind("good-", 0) == 0);
    CHECK(a->image_path().extension() == ".so");
    CHECK(a->api().create != b->api().create); // two distinct mappings
    CHECK(files_in(dir) == 2);

    // The table works: one instance, created and destroyed.
    char err[64] = {};
    tradepush_instance* inst = a->api().create(nullptr, nullptr, {"{}", 2}, err, sizeof err);
    REQUIRE(inst != nullptr);
    a->api().destroy(inst);

    // Moving keeps one owner.
    ph::loaded_plugin moved = std::move(*a);
    CHECK(moved.loaded());
    CHECK_FALSE(a->loaded()); // NOLINT(bugprone-use-after-move): testing the moved-from state

    auto const img_a = moved.image_path();
    auto const img_b = b->image_path();
    CHECK(ph::unload(std::move(moved)));
    CHECK_FALSE(fs::exists(img_a));
    CHECK(ph::unload(std::move(*b)));
    CHECK_FALSE(fs::exists(img_b));
    CHECK(files_in(dir) == 0);
}

TEST_CASE("loader: destroying a loaded_plugin unloads it and deletes the copy", "[loader]")
{
    auto const dir = fresh_run_dir("dtor");
    fs::path img;
    {
        auto p = ph::load_plugin(TP_PLUGIN_GOOD, {dir});
        REQUIRE(p.has_value());
        img = p->image_path();
        CHECK(fs::exists(img));
    }
    CHECK_FALSE(fs::exists(img));
}

TEST_CASE("loader: load/unload/reload cycles all unmap", "[loader]")
{
    auto const dir = fresh_run_dir("reload");
    std::vector<fs::path> seen;
    for (int i = 0; i < 20; ++i) {
        auto p = ph::load_plugin(TP_PLUGIN_GOOD, {dir});
        REQUIRE(p.has_value());
        CHECK(std::find(seen.begin(), seen.end(), p->image_path()) == seen.end());
        seen.push_back(p->image_path());
        REQUIRE(ph::unload(std::move(*p)));
    }
}

TEST_CASE("loader: unload reports a pinned image as still mapped", "[loader]")
{
    // tls_dtor's entry constructs a thread_local std::string on this thread; glibc then defers
    // the real dlclose until the thread exits. The image stays mapped for the rest of this test
    // process, which is harmless.
    auto const dir = fresh_run_dir("tls_dtor");
    auto p = ph::load_plugin(TP_PLUGIN_TLS_DTOR, {dir});
    REQUIRE(p.has_value());
    CHECK_FALSE(p->elf().unloadable());
    auto const img = p->image_path();
    CHECK_FALSE(ph::unload(std::move(*p)));
    CHECK_FALSE(fs::exists(img)); // the copy is deleted anyway; the mapping outlives it
}

TEST_CASE("a STB_GNU_UNIQUE symbol really prevents unloading", "[elf]")
{
    // The loader refuses unique.so for its exports, so show the pinning with raw dlopen on a
    // private copy: after dlclose, RTLD_NOLOAD still finds it.
    auto const dir = fresh_run_dir("unique_raw");
    fs::create_directories(dir);
    auto const img = dir / "unique-copy.so";
    fs::copy_file(TP_PLUGIN_UNIQUE, img);
    void* h = ::dlopen(img.c_str(), RTLD_NOW | RTLD_LOCAL);
    REQUIRE(h != nullptr);
    REQUIRE(::dlclose(h) == 0);
    void* again = ::dlopen(img.c_str(), RTLD_NOW | RTLD_NOLOAD);
    CHECK(again != nullptr);
    if (again != nullptr)
        ::dlclose(again);
    fs::remove(img);
}

TEST_CASE("elf_check: the good plugin exports only the entry, no UNIQUE, no TLS destructors", "[elf]")
{
    auto r = ph::inspect_elf_file(TP_PLUGIN_GOOD);
    REQUIRE(r.has_value());
    CHECK(r->exports == std::vector<std::string>{TRADEPUSH_PLUGIN_ENTRY_SYMBOL});
    CHECK(r->unique_symbols.empty());
    CHECK(r->tls_dtor_imports.empty());
    CHECK(r->unloadable());
}

TEST_CASE("elf_check: finds STB_GNU_UNIQUE from an inline function's static", "[elf]")
{
    auto r = ph::inspect_elf_file(TP_PLUGIN_UNIQUE);
    REQUIRE(r.has_value());
    // _ZZ10tp_countervE1c: `c` in tp_counter(), bound UNIQUE because built without -fno-gnu-unique.
    CHECK(contains(r->unique_symbols, "_ZZ10tp_countervE1c"));
    CHECK_FALSE(r->unloadable());
}

TEST_CASE("elf_check: finds thread_local destructors", "[elf]")
{
    auto r = ph::inspect_elf_file(TP_PLUGIN_TLS_DTOR);
    REQUIRE(r.has_value());
    CHECK(r->exports == std::vector<std::string>{TRADEPUSH_PLUGIN_ENTRY_SYMBOL});
    CHECK(r->unique_symbols.empty());
    CHECK_FALSE(r->tls_dtor_imports.empty());
    CHECK(r->tls_dtor_imports.front().rfind("__cxa_thread_atexit", 0) == 0);
}

TEST_CASE("elf_check: garbage and truncated images are refused, not crashed on", "[elf]")
{
    auto text = ph::inspect_elf_file(TP_PLUGIN_NOT_A_LIBRARY);
    REQUIRE(text.has_error());
    CHECK(text.error().code == ph::loader_errc::not_shared_object);

    auto bytes = ph::read_image_file(TP_PLUGIN_GOOD);
    REQUIRE(bytes.has_value());
    // Every truncation point of the header region, then coarse steps through the rest.
    for (std::size_t n = 0; n < bytes->size(); n += (n < 256 ? 1 : 97)) {
        std::span<unsigned char const> const cut(bytes->data(), n);
        auto r = ph::inspect_elf(cut, "cut");
        (void)r; // any outcome but a crash or sanitizer report is fine
    }
    auto whole = ph::inspect_elf(*bytes, "good");
    CHECK(whole.has_value());
    // Section header table offset (e_shoff, bytes 40..47) pointing past the end: an error, no
    // out-of-bounds read.
    auto bad = *bytes;
    std::fill(bad.begin() + 40, bad.begin() + 48, static_cast<unsigned char>(0x7f));
    auto corrupt = ph::inspect_elf(bad, "corrupt");
    REQUIRE(corrupt.has_error());
    CHECK(corrupt.error().message.find("corrupt: not a shared object") == 0);
}
