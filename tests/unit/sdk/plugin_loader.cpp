// Loads the built example plugin (and a test-only throwing plugin) with dlopen, as any host would (through
// the conformance kit's plugin_library), and drives them through a minimal hand-rolled fake host: emits
// are recorded, timers fire only when the test says so, and the host table can be truncated (an older
// host), which the kit's fake_host does not offer. No daemon code is involved: this checks the SDK and the
// ABI alone.
#include <tradepush/conformance/plugin_library.hpp>
#include <tradepush/plugin_abi.h>

#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <dlfcn.h>

#include <memory>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace {

#ifdef TRADEPUSH_SDK_EXAMPLE_PLUGIN
constexpr char const* example_path = TRADEPUSH_SDK_EXAMPLE_PLUGIN;
constexpr char const* throwing_path = TRADEPUSH_SDK_THROWING_PLUGIN;
#else
constexpr char const* example_path = nullptr;
constexpr char const* throwing_path = nullptr;
#endif

std::string
str(tradepush_str s)
{
    return s.len == 0 ? std::string{} : std::string{s.ptr, s.len};
}

tradepush_str
abi(std::string const& s)
{
    return tradepush_str{s.data(), s.size()};
}

// Borrowing a temporary would dangle once the full expression ends.
tradepush_str abi(std::string&&) = delete;

//------------------------------------------------------------------------------------------------------

/// One recorded emit_data call (copied: the plugin's strings are borrowed).
struct emit {
    std::string user;
    std::uint64_t epoch;
    std::string account;
    int stream;
    std::string category;
    std::string symbol;
    std::string json;
};

/// One pending timer.
struct timer {
    std::string user;
    std::uint64_t epoch;
    std::uint64_t delay_ns;
    std::uint64_t cookie;
};

/// A fake host: records emits, logs and cancels; keeps timers until fire_timers().
struct fake_host {
    tradepush_host_api api{};
    std::vector<emit> emits;
    std::vector<std::pair<int, std::string>> logs;
    std::map<tradepush_op, timer> timers;
    std::vector<tradepush_op> cancelled;
    tradepush_op next_op{100};

    fake_host()
    {
        api.struct_size = sizeof api;
        api.abi_major = TRADEPUSH_ABI_MAJOR;
        api.abi_minor = TRADEPUSH_ABI_MINOR;
        api.log = [](tradepush_host* h, int level, tradepush_str m) { self(h).logs.emplace_back(level, str(m)); };
        api.now_ns = [](tradepush_host*) -> std::uint64_t { return 0; };
        api.wall_ms = [](tradepush_host*) -> std::uint64_t { return 1732400000000; };
        api.timer_start = [](tradepush_host* h, tradepush_owner const* o, std::uint64_t delay, std::uint64_t cookie) {
            auto& self_ = self(h);
            auto const op = self_.next_op++;
            self_.timers.emplace(op, timer{str(o->user), o->epoch, delay, cookie});
            return op;
        };
        api.op_cancel = [](tradepush_host* h, tradepush_op op) {
            self(h).cancelled.push_back(op);
            self(h).timers.erase(op);
        };
        api.emit_data = [](tradepush_host* h, tradepush_owner const* o, tradepush_str account, int stream,
                            tradepush_str category, tradepush_str symbol, tradepush_str json) {
            self(h).emits.push_back(
                emit{str(o->user), o->epoch, str(account), stream, str(category), str(symbol), str(json)});
        };
        api.metric = [](tradepush_host*, tradepush_str, int, double) {};
    }

    static fake_host&
    self(tradepush_host* h)
    {
        return *reinterpret_cast<fake_host*>(h);
    }

    tradepush_host*
    handle()
    {
        return reinterpret_cast<tradepush_host*>(this);
    }

    /// Fires every timer pending now (not those the handlers start), in start order; returns how many.
    std::size_t
    fire_timers(tradepush_plugin_api const& plugin, tradepush_instance* instance)
    {
        auto const pending = timers;
        timers.clear();
        for(auto const& [op, t] : pending)
            plugin.on_timer(instance, op, t.cookie);
        return pending.size();
    }

    /// The emits of one user.
    std::vector<emit>
    emits_of(std::string const& user) const
    {
        std::vector<emit> out;
        std::copy_if(emits.begin(), emits.end(), std::back_inserter(out), [&](emit const& e) { return e.user == user; });
        return out;
    }
};

/// A dlopen'ed plugin image, closed on scope exit: the conformance kit's loader (dlopen RTLD_NOW |
/// RTLD_LOCAL, the entry symbol, ABI negotiation), with the raw entry kept for renegotiation checks.
struct library {
    std::unique_ptr<tradepush::conformance::plugin_library> image;
    tradepush_plugin_entry_fn entry{nullptr};

    explicit library(char const* path)
    {
        std::string error;
        image = tradepush::conformance::plugin_library::open(path, error);
        INFO("open " << path << ": " << error);
        REQUIRE(image != nullptr);
        entry = image->entry();
    }
};

/// An instance of a plugin, destroyed on scope exit.
struct instance {
    tradepush_plugin_api const& api;
    tradepush_instance* ptr;

    instance(tradepush_plugin_api const& a, fake_host& host, std::string const& config) : api(a)
    {
        char err[256] = "";
        ptr = api.create(host.handle(), &host.api, abi(config), err, sizeof err);
        INFO("create error: " << err);
        REQUIRE(ptr != nullptr);
    }
    ~instance() { api.destroy(ptr); }
    instance(instance const&) = delete;
    instance& operator=(instance const&) = delete;
};

tradepush_status
open_account(instance const& in, std::string const& user, std::uint64_t epoch, std::string const& label,
    std::uint32_t mask = 0xf)
{
    tradepush_owner const owner{abi(user), epoch};
    std::string const exchange = "example", network = "demo", key = "key", secret = "secret";
    tradepush_account account{};
    account.struct_size = sizeof account;
    account.label = abi(label);
    account.exchange = abi(exchange);
    account.network = abi(network);
    account.api_key = abi(key);
    account.api_secret = abi(secret);
    return in.api.open_account(in.ptr, &owner, &account, mask);
}

// Until tests/sdk.cmake passes the plugin paths, the loader tests have nothing to load.
#define REQUIRE_PLUGIN_PATHS()                                                                              \
    if(example_path == nullptr) {                                                                           \
        WARN("TRADEPUSH_SDK_EXAMPLE_PLUGIN not defined; skipped");                                          \
        return;                                                                                             \
    }

} // namespace

TEST_CASE("example plugin: entry returns a v1 table, NULL for another host major")
{
    REQUIRE_PLUGIN_PATHS();
    library lib{example_path};
    auto const* api = lib.entry(TRADEPUSH_ABI_MAJOR, TRADEPUSH_ABI_MINOR);
    REQUIRE(api != nullptr);
    CHECK(api->struct_size == sizeof(tradepush_plugin_api));
    CHECK(api->abi_major == TRADEPUSH_ABI_MAJOR);
    CHECK(api->abi_minor == TRADEPUSH_ABI_MINOR);
    CHECK(std::string{api->name} == "example");
    CHECK(std::string{api->version} == "1.0.0");
    CHECK(boost::json::parse(api->features_json).is_object());
    // It implements every handler, so every slot is set (the throwing plugin below checks NULL slots).
    CHECK((api->create && api->destroy && api->on_timer && api->on_http_done && api->on_ws_event &&
        api->open_account && api->request_snapshot && api->close_account && api->subscribe_ticker &&
        api->unsubscribe_ticker && api->reset_user));

    CHECK(lib.entry(2, 0) == nullptr);
    CHECK(lib.entry(0, 9) == nullptr);
    CHECK(lib.entry(TRADEPUSH_ABI_MAJOR, TRADEPUSH_ABI_MINOR + 5) == api); // a newer host minor is fine
}

TEST_CASE("example plugin: open_account emits the four account streams with the owner's epoch")
{
    REQUIRE_PLUGIN_PATHS();
    library lib{example_path};
    auto const& api = *lib.entry(TRADEPUSH_ABI_MAJOR, TRADEPUSH_ABI_MINOR);
    fake_host host;
    instance in{api, host, R"({"snapshot_delay_ms": 0, "tick_ms": 1000})"};

    REQUIRE(open_account(in, "alice", 7, "main") == TRADEPUSH_OK);
    // Nothing is emitted inside the command; the snapshot waits for a timer owned by alice@7.
    CHECK(host.emits.empty());
    REQUIRE(host.timers.size() == 2);
    auto const& snapshot = host.timers.begin()->second;
    CHECK(snapshot.user == "alice");
    CHECK(snapshot.epoch == 7);
    CHECK(snapshot.delay_ns == 0);
    auto const& tick = std::next(host.timers.begin())->second;
    CHECK(tick.user.empty());
    CHECK(tick.delay_ns == 1'000'000'000);

    // Fire only the snapshot timer.
    auto const snapshot_op = host.timers.begin()->first;
    auto const cookie = snapshot.cookie;
    host.timers.erase(snapshot_op);
    api.on_timer(in.ptr, snapshot_op, cookie);

    REQUIRE(host.emits.size() == 4);
    std::set<int> streams;
    for(auto const& e : host.emits) {
        CHECK(e.user == "alice");
        CHECK(e.epoch == 7);
        CHECK(e.account == "main");
        CHECK(e.category.empty());
        INFO(e.json);
        CHECK(boost::json::parse(e.json).is_object());
        CHECK(e.json.find_first_of(" \t\r\n") == std::string::npos); // compact (no string here has spaces)
        streams.insert(e.stream);
    }
    CHECK(streams == std::set<int>{TRADEPUSH_STREAM_BALANCE, TRADEPUSH_STREAM_POSITIONS, TRADEPUSH_STREAM_PNL,
        TRADEPUSH_STREAM_ORDERS});
    CHECK(boost::json::parse(host.emits[0].json).as_object().contains("available_balance"));

    // Deterministic per user: a fresh instance emits the same first snapshot.
    fake_host host2;
    instance in2{api, host2, R"({"tick_ms":0})"};
    REQUIRE(open_account(in2, "alice", 1, "main") == TRADEPUSH_OK);
    host2.fire_timers(api, in2.ptr);
    REQUIRE(host2.emits.size() == 4);
    for(std::size_t i = 0; i < 4; ++i)
        CHECK(host2.emits[i].json == host.emits[i].json);

    // The tick re-emits every open account stream, still with alice's epoch.
    host.emits.clear();
    host.fire_timers(api, in.ptr);
    CHECK(host.emits.size() == 4);
    CHECK(host.emits_of("alice").size() == 4);
    CHECK(host.timers.size() == 1); // re-armed

    // request_snapshot re-emits one stream; unknown accounts and non-account streams are refused.
    host.emits.clear();
    std::string const alice_id = "alice";
    tradepush_owner const alice{abi(alice_id), 7};
    std::string const main_label = "main", other = "other";
    CHECK(api.request_snapshot(in.ptr, &alice, abi(main_label), TRADEPUSH_STREAM_PNL) == TRADEPUSH_OK);
    REQUIRE(host.emits.size() == 1);
    CHECK(host.emits[0].stream == TRADEPUSH_STREAM_PNL);
    CHECK(api.request_snapshot(in.ptr, &alice, abi(other), TRADEPUSH_STREAM_PNL) == TRADEPUSH_E_NOT_FOUND);
    CHECK(api.request_snapshot(in.ptr, &alice, abi(main_label), TRADEPUSH_STREAM_TICKER) == TRADEPUSH_E_INVALID);
}

TEST_CASE("example plugin: reset_user and close_account stop the user's emits")
{
    REQUIRE_PLUGIN_PATHS();
    library lib{example_path};
    auto const& api = *lib.entry(TRADEPUSH_ABI_MAJOR, TRADEPUSH_ABI_MINOR);
    fake_host host;
    instance in{api, host, "{}"};

    // A reset before the first snapshot cancels the pending snapshot timer through the host.
    REQUIRE(open_account(in, "alice", 1, "main") == TRADEPUSH_OK);
    REQUIRE(open_account(in, "bob", 1, "main") == TRADEPUSH_OK);
    auto const alice_timer = host.timers.begin()->first;
    std::string const alice_id = "alice", bob_id = "bob", main_label = "main";
    tradepush_owner const alice{abi(alice_id), 1};
    CHECK(api.reset_user(in.ptr, &alice) == TRADEPUSH_OK);
    CHECK(std::find(host.cancelled.begin(), host.cancelled.end(), alice_timer) != host.cancelled.end());
    host.fire_timers(api, in.ptr); // bob's snapshot and the tick
    host.fire_timers(api, in.ptr); // another tick
    CHECK(host.emits_of("alice").empty());
    CHECK(host.emits_of("bob").size() == 8);

    // Resetting twice, or an unknown user, is fine.
    CHECK(api.reset_user(in.ptr, &alice) == TRADEPUSH_OK);
    std::string const nobody_id = "nobody";
    tradepush_owner const nobody{abi(nobody_id), 3};
    CHECK(api.reset_user(in.ptr, &nobody) == TRADEPUSH_OK);

    // A new epoch opens a fresh session; a reset after its snapshot stops the ticks for it.
    REQUIRE(open_account(in, "alice", 2, "main") == TRADEPUSH_OK);
    host.fire_timers(api, in.ptr);
    REQUIRE(host.emits_of("alice").size() == 4);
    CHECK(host.emits_of("alice").front().epoch == 2);
    tradepush_owner const alice2{abi(alice_id), 2};
    CHECK(api.reset_user(in.ptr, &alice2) == TRADEPUSH_OK);
    host.emits.clear();
    host.fire_timers(api, in.ptr);
    CHECK(host.emits_of("alice").empty());
    CHECK(host.emits_of("bob").size() == 4);

    // close_account drops bob; then nothing is left and the tick stops re-arming.
    tradepush_owner const bob{abi(bob_id), 1};
    CHECK(api.close_account(in.ptr, &bob, abi(main_label)) == TRADEPUSH_OK);
    CHECK(api.close_account(in.ptr, &bob, abi(main_label)) == TRADEPUSH_E_NOT_FOUND);
    host.emits.clear();
    host.fire_timers(api, in.ptr);
    CHECK(host.emits.empty());
    CHECK(host.timers.empty());
}

TEST_CASE("example plugin: public ticker streams")
{
    REQUIRE_PLUGIN_PATHS();
    library lib{example_path};
    auto const& api = *lib.entry(TRADEPUSH_ABI_MAJOR, TRADEPUSH_ABI_MINOR);
    fake_host host;
    instance in{api, host, R"({"tick_ms":250})"};
    std::string const linear = "linear", futures = "futures", btc = "BTCUSDT", quote = "A\"B";

    REQUIRE(api.subscribe_ticker(in.ptr, abi(linear), abi(btc)) == TRADEPUSH_OK);
    REQUIRE(host.emits.size() == 1);
    auto const& e = host.emits[0];
    CHECK(e.user.empty());
    CHECK(e.epoch == 0);
    CHECK(e.stream == TRADEPUSH_STREAM_TICKER);
    CHECK(e.category == "linear");
    CHECK(e.symbol == "BTCUSDT");
    CHECK(boost::json::parse(e.json).as_object().at("symbol").as_string() == "BTCUSDT");
    REQUIRE(host.timers.size() == 1);
    CHECK(host.timers.begin()->second.delay_ns == 250'000'000);

    // A symbol with a quote still yields valid JSON.
    REQUIRE(api.subscribe_ticker(in.ptr, abi(linear), abi(quote)) == TRADEPUSH_OK);
    CHECK(boost::json::parse(host.emits.back().json).as_object().at("symbol").as_string() == "A\"B");

    CHECK(api.subscribe_ticker(in.ptr, abi(futures), abi(btc)) == TRADEPUSH_E_INVALID);
    host.emits.clear();
    host.fire_timers(api, in.ptr);
    CHECK(host.emits.size() == 2);

    CHECK(api.unsubscribe_ticker(in.ptr, abi(linear), abi(btc)) == TRADEPUSH_OK);
    CHECK(api.unsubscribe_ticker(in.ptr, abi(linear), abi(btc)) == TRADEPUSH_E_NOT_FOUND);
    host.emits.clear();
    host.fire_timers(api, in.ptr);
    REQUIRE(host.emits.size() == 1);
    CHECK(host.emits[0].symbol == "A\"B");
}

TEST_CASE("example plugin: config errors fail create with a message")
{
    REQUIRE_PLUGIN_PATHS();
    library lib{example_path};
    auto const& api = *lib.entry(TRADEPUSH_ABI_MAJOR, TRADEPUSH_ABI_MINOR);
    fake_host host;
    for(std::string const config : {R"({"tick_ms":"x"})", R"({"nope":1})", "[]", R"({"tick_ms":1} x)"}) {
        char err[128] = "";
        CHECK(api.create(host.handle(), &host.api, abi(config), err, sizeof err) == nullptr);
        INFO(config);
        CHECK(std::string{err}.rfind("config:", 0) == 0);
    }
    for(std::string const config : {"", "{}", " { } ", R"({"tick_ms":0,"snapshot_delay_ms":5})"}) {
        instance in{api, host, config};
    }
}

TEST_CASE("example plugin: an older host without timers gets an error, not a crash")
{
    REQUIRE_PLUGIN_PATHS();
    library lib{example_path};
    auto const& api = *lib.entry(TRADEPUSH_ABI_MAJOR, TRADEPUSH_ABI_MINOR);
    fake_host host;
    host.api.struct_size = offsetof(tradepush_host_api, wall_ms) + sizeof host.api.wall_ms;
    instance in{api, host, "{}"};
    CHECK(open_account(in, "alice", 1, "main") == TRADEPUSH_E_TRANSIENT);
    CHECK(host.timers.empty());
}

TEST_CASE("example plugin: the image really unloads after use (no GNU unique, no TLS destructors)")
{
    REQUIRE_PLUGIN_PATHS();
    for(int round = 0; round < 20; ++round) {
        {
            library lib{example_path};
            auto const& api = *lib.entry(TRADEPUSH_ABI_MAJOR, TRADEPUSH_ABI_MINOR);
            fake_host host;
            instance in{api, host, "{}"};
            REQUIRE(open_account(in, "alice", 1, "main") == TRADEPUSH_OK);
            std::string const linear = "linear", btc = "BTCUSDT";
            REQUIRE(api.subscribe_ticker(in.ptr, abi(linear), abi(btc)) == TRADEPUSH_OK);
            host.fire_timers(api, in.ptr);
        }
        // RTLD_NOLOAD only finds an image that is still mapped (spec §1.5: verify, do not trust dlclose).
        void* still = ::dlopen(example_path, RTLD_NOLOAD | RTLD_LAZY);
        if(still != nullptr)
            ::dlclose(still);
        REQUIRE(still == nullptr);
    }
}

TEST_CASE("throwing plugin: exceptions never cross the ABI")
{
    REQUIRE_PLUGIN_PATHS();
    library lib{throwing_path};
    auto const& api = *lib.entry(TRADEPUSH_ABI_MAJOR, TRADEPUSH_ABI_MINOR);
    fake_host host;

    char err[128] = "";
    std::string const bad = "throw";
    CHECK(api.create(host.handle(), &host.api, abi(bad), err, sizeof err) == nullptr);
    CHECK(std::string{err} == "config says throw");

    instance in{api, host, ""};
    CHECK(open_account(in, "alice", 1, "main") == TRADEPUSH_E_INTERNAL);
    REQUIRE(!host.logs.empty());
    CHECK(host.logs.back().first == TRADEPUSH_LOG_ERROR);
    CHECK(host.logs.back().second == "open_account: exception: open_account failed");

    std::string const spot = "spot", sym = "X", label = "main";
    CHECK(api.subscribe_ticker(in.ptr, abi(spot), abi(sym)) == TRADEPUSH_E_INTERNAL);
    CHECK(host.logs.back().second.find("unknown exception") != std::string::npos);

    // The fake host offers no HMAC: the SDK's throwing helper fails inside the handler.
    std::string const alice_id = "alice";
    tradepush_owner const alice{abi(alice_id), 1};
    CHECK(api.close_account(in.ptr, &alice, abi(label)) == TRADEPUSH_E_INTERNAL);
    CHECK(host.logs.back().second == "close_account: exception: host hmac_sha256 failed");

    api.on_timer(in.ptr, 1, 1);
    CHECK(host.logs.back().second == "on_timer: exception: on_timer failed");
    CHECK(api.reset_user(in.ptr, &alice) == TRADEPUSH_OK);

    // Handlers the class lacks are NULL slots.
    CHECK(api.request_snapshot == nullptr);
    CHECK(api.unsubscribe_ticker == nullptr);
    CHECK(api.on_http_done == nullptr);
}
