// Test that header file is self-contained.
#include <tradepush/conformance/plugin_library.hpp>

// Then loading through the kit: the negotiated, size-normalized table, and the loader-style sentences a
// refused file gets (they name the file, like the daemon's loader).
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace tc = tradepush::conformance;

TEST_CASE("plugin_library: opens an image and copies its table")
{
#ifdef TRADEPUSH_SDK_EXAMPLE_PLUGIN
    std::string error;
    auto lib = tc::plugin_library::open(TRADEPUSH_SDK_EXAMPLE_PLUGIN, error);
    INFO(error);
    REQUIRE(lib != nullptr);
    CHECK(error.empty());
    CHECK(lib->name() == "example");
    CHECK(lib->version() == "1.0.0");
    CHECK(lib->features_json().find("account_streams") != std::string::npos);
    CHECK(lib->declared_size() == sizeof(tradepush_plugin_api));
    CHECK(lib->api().struct_size == sizeof(tradepush_plugin_api));
    CHECK(lib->api().create != nullptr);
    // The raw entry is there for renegotiation checks: another host major gets NULL.
    CHECK(lib->entry()(TRADEPUSH_ABI_MAJOR + 1, 0) == nullptr);
    CHECK(lib->path() == std::filesystem::path{TRADEPUSH_SDK_EXAMPLE_PLUGIN});
#else
    WARN("TRADEPUSH_SDK_EXAMPLE_PLUGIN not defined; skipped");
#endif
}

TEST_CASE("plugin_library: refusals name the file and the reason")
{
    std::string error;
    CHECK(tc::plugin_library::open("/nonexistent/libtradepush-x.so", error) == nullptr);
    CHECK(error.rfind("/nonexistent/libtradepush-x.so: dlopen: ", 0) == 0);

    // A text file with a library's name.
    auto const text = std::filesystem::temp_directory_path() / "tradepush-kit-not-a-library.so";
    std::ofstream{text} << "not an ELF file\n";
    error.clear();
    CHECK(tc::plugin_library::open(text, error) == nullptr);
    CHECK(error.find(": dlopen: ") != std::string::npos);
    std::filesystem::remove(text);
}
