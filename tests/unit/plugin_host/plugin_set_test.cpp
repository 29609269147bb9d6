// plugin_set: load, blue/green reload from the configured file, refusals that keep the old image
// serving, verified unmapping, and unload at shutdown. Uses real plugin images.
#include "plugin_host/plugin_set.hpp"

#include "test_plugin.hpp"

#include <catch2/catch.hpp>

#include <dlfcn.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>

namespace fs = std::filesystem;
namespace ph = tradepush::plugin_host;
using namespace tradepush;

namespace {

fs::path
fresh_dir(std::string const& name)
{
    fs::path dir = fs::path(TP_RUN_DIR) / name;
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

std::size_t
files_in(fs::path const& dir)
{
    if(!fs::exists(dir))
        return 0;
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

/// True while the dynamic linker still has an object of that exact path mapped.
bool
mapped(fs::path const& image)
{
    void* h = ::dlopen(image.c_str(), RTLD_NOW | RTLD_NOLOAD);
    if(!h)
        return false;
    ::dlclose(h);
    return true;
}

/// Lines of /proc/self/maps naming a file under `dir`.
std::size_t
maps_under(fs::path const& dir)
{
    std::ifstream maps("/proc/self/maps");
    std::string line;
    std::size_t n = 0;
    while(std::getline(maps, line))
        n += line.find(dir.string()) != std::string::npos ? 1 : 0;
    return n;
}

/// Replaces the plugin file the config names, as an operator (or a package upgrade) would.
void
install(char const* from, fs::path const& to)
{
    fs::copy_file(from, to, fs::copy_options::overwrite_existing);
}

/// Runs the loop in small steps until `done()` (at most 10 s).
bool
run_until(boost::asio::io_context& ioc, std::function<bool()> const& done)
{
    auto const deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while(!done() && std::chrono::steady_clock::now() < deadline) {
        ioc.restart();
        ioc.run_for(std::chrono::milliseconds(10));
    }
    return done();
}

feed::account
account_on(std::string exchange)
{
    return feed::account{"main", std::move(exchange), "testnet", "KEY", "SECRET"};
}

} // namespace

TEST_CASE("reload swaps images blue/green and refusals keep the old one serving", "[plugin_host][reload]")
{
    auto const dir = fresh_dir("plugin_set_refusals");
    auto const file = dir / "libtradepush-test.so";
    auto const run_dir = dir / "run";
    install(TP_PLUGIN_GOOD, file);

    boost::asio::io_context ioc;
    test_plugin::recording_sink sink;
    ph::plugin_set set(ioc.get_executor(), nullptr, run_dir);
    auto p = set.load({file, "{}"});
    REQUIRE(p.has_value());
    feed::provider& prov = **p;
    prov.set_sink(&sink);
    prov.open_account("alice", account_on("test"), 0xF, 4);
    // The test plugin has no tickers: refused with a status, but still a live subscription to replay.
    prov.subscribe_ticker("test", "linear", "BTCUSDT");
    REQUIRE(set.status().size() == 1);
    auto const first_image = fs::path(set.status()[0].image);
    CHECK(set.status()[0].version == "0.0.1");
    CHECK(mapped(first_image));

    SECTION("a newer build at the same path replaces the old image, which unmaps")
    {
        install(TP_PLUGIN_GOOD_V2, file);
        auto r = set.reload("test");
        REQUIRE(r.has_value());
        CHECK(r->old_version == "0.0.1");
        CHECK(r->new_version == "0.0.2");
        CHECK(r->accounts == 1);
        CHECK(r->tickers == 1);
        CHECK(r->old_unmapped);
        CHECK(sink.restarts == std::vector<std::string>{"test"});
        auto const st = set.status().at(0);
        CHECK(st.version == "0.0.2");
        CHECK(st.reloads == 1);
        CHECK(fs::path(st.image) != first_image);
        CHECK_FALSE(mapped(first_image));
        CHECK_FALSE(fs::exists(first_image));
        CHECK(files_in(run_dir) == 1);
        CHECK(set.stats().reloads == 1);
        CHECK(set.stats().resident_after_unload == 0);
        // The re-opened session is on the new instance: it took the replayed open_account.
        CHECK(st.counters.plugin_calls >= 1);
    }

    SECTION("refused reloads leave the loaded image serving")
    {
        struct refusal {
            char const* what;
            std::function<void()> prepare;
            std::string says;
        };
        refusal const cases[] = {
            {"create fails", [&] { install(TP_PLUGIN_FAILS_CREATE, file); }, "create failed: refusing this config"},
            {"ABI major differs", [&] { install(TP_PLUGIN_WRONG_MAJOR, file); }, "major"},
            {"not a shared object", [&] { install(TP_PLUGIN_NOT_A_LIBRARY, file); }, file.string()},
            {"extra exports", [&] { install(TP_PLUGIN_EXTRA_EXPORTS, file); }, file.string()},
            {"another plugin", [&] { install(TP_EXAMPLE_PLUGIN, file); }, "now holds plugin 'example'"},
            {"file gone", [&] { fs::remove(file); }, file.string()},
        };
        std::uint64_t failures = 0;
        for(auto const& c : cases) {
            INFO(c.what);
            c.prepare();
            auto const calls_before = set.status().at(0).counters.plugin_calls;
            auto r = set.reload("test");
            REQUIRE(r.has_error());
            INFO(r.error());
            CHECK(r.error().find(c.says) != std::string::npos);
            CHECK(r.error().find("0.0.1 keeps serving") != std::string::npos);
            CHECK(set.stats().reload_failures == ++failures);
            auto const st = set.status().at(0);
            CHECK(fs::path(st.image) == first_image);
            CHECK(mapped(first_image));
            // Nothing of the refused image stays behind.
            CHECK(files_in(run_dir) == 1);
            // Still serving: a command reaches the plugin.
            prov.request_snapshot("alice", "main", feed::stream_type::pnl, 4);
            CHECK(set.status().at(0).counters.plugin_calls == calls_before + 1);
        }
        CHECK(sink.restarts.empty());
        CHECK(set.stats().reloads == 0);
    }

    SECTION("an unknown name is an error")
    {
        auto r = set.reload("nope");
        REQUIRE(r.has_error());
        CHECK(r.error() == "reload nope: no such plugin");
    }

    set.unload_all();
    CHECK(set.status().empty());
    CHECK(files_in(run_dir) == 0);
    CHECK(maps_under(run_dir) == 0);
}

TEST_CASE("a second plugin of the same name is refused", "[plugin_host][reload]")
{
    auto const dir = fresh_dir("plugin_set_duplicate");
    boost::asio::io_context ioc;
    ph::plugin_set set(ioc.get_executor(), nullptr, dir / "run");
    REQUIRE(set.load({TP_PLUGIN_GOOD, "{}"}));
    auto r = set.load({TP_PLUGIN_GOOD_V2, "{}"});
    REQUIRE(r.has_error());
    CHECK(r.error().find("already loaded from") != std::string::npos);
    CHECK(files_in(dir / "run") == 1);
}

TEST_CASE("20 reloads of the example plugin: fresh snapshots each time, one image mapped", "[plugin_host][reload]")
{
    auto const dir = fresh_dir("plugin_set_example");
    auto const run_dir = dir / "run";
    boost::asio::io_context ioc;
    test_plugin::recording_sink sink;
    ph::plugin_set set(ioc.get_executor(), nullptr, run_dir);
    // No periodic ticks: every emit after the first snapshots is a reload's fresh snapshot.
    auto p = set.load({TP_EXAMPLE_PLUGIN, R"({"tick_ms": 0, "snapshot_delay_ms": 0})"});
    REQUIRE(p.has_value());
    feed::provider& prov = **p;
    prov.set_sink(&sink);
    prov.open_account("alice", account_on("example"), 0xF, 1);
    prov.open_account("bob", account_on("example"), 0x5, 2);
    prov.subscribe_ticker("example", "linear", "BTCUSDT");
    std::size_t const per_round_data = 4 + 2;
    REQUIRE(run_until(ioc, [&] { return sink.datas.size() == per_round_data && sink.tickers.size() == 1; }));

    for(std::size_t round = 1; round <= 20; ++round) {
        INFO("reload " << round);
        auto const image = fs::path(set.status().at(0).image);
        auto r = set.reload("example");
        REQUIRE(r.has_value());
        CHECK(r->accounts == 2);
        CHECK(r->tickers == 1);
        CHECK(r->old_unmapped);
        CHECK_FALSE(mapped(image));
        REQUIRE(run_until(ioc, [&] {
            return sink.datas.size() == per_round_data * (round + 1) && sink.tickers.size() == round + 1;
        }));
        for(auto i = per_round_data * round; i < sink.datas.size(); ++i)
            CHECK(sink.datas[i].epoch == (sink.datas[i].user == "alice" ? 1u : 2u));
        CHECK(files_in(run_dir) == 1);
        CHECK(maps_under(run_dir) >= 1);
    }
    CHECK(set.stats().reloads == 20);
    CHECK(set.stats().resident_after_unload == 0);
    CHECK(sink.restarts.size() == 20);
    set.unload_all();
    CHECK(maps_under(run_dir) == 0);
    CHECK(files_in(run_dir) == 0);
}
