// Test that header file is self-contained.
#include <tradepush/plugin.hpp>

// Then unit tests of the wrapper itself, without loading any plugin: handler detection, the generated
// table, the host wrapper's struct_size checks and the trampolines' exception containment.
#include <catch2/catch.hpp>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace sdk = tradepush::sdk;

namespace {

// Implements every handler with the documented signatures.
struct full_plugin {
    full_plugin(sdk::host, std::string_view) {}
    void on_timer(sdk::op, std::uint64_t) {}
    void on_http_done(sdk::op, std::uint64_t, sdk::http_response const&) {}
    void on_ws_event(sdk::op, std::uint64_t, sdk::ws_event_kind, std::string_view) {}
    sdk::status open_account(sdk::owner const&, sdk::account const&, std::uint32_t) { return sdk::status::ok; }
    sdk::status request_snapshot(sdk::owner const&, std::string_view, sdk::stream) { return sdk::status::ok; }
    sdk::status close_account(sdk::owner const&, std::string_view) { return sdk::status::ok; }
    sdk::status subscribe_ticker(std::string_view, std::string_view) { return sdk::status::ok; }
    sdk::status unsubscribe_ticker(std::string_view, std::string_view) { return sdk::status::ok; }
    sdk::status reset_user(sdk::owner const&) { return sdk::status::ok; }
};

// Implements nothing optional, and one handler with a wrong result type (must count as missing).
struct minimal_plugin {
    minimal_plugin(sdk::host, std::string_view) {}
    int reset_user(sdk::owner const&) { return 0; }
};

constexpr auto full_table = sdk::detail::make_plugin_api<full_plugin>("full", "1", "{}");
constexpr auto minimal_table = sdk::detail::make_plugin_api<minimal_plugin>("minimal", "1", "{}");

// The optional slots that are set, as a bit set in declaration order (a function, so g++ does not warn
// that a known function's address is never NULL).
unsigned
set_slots(tradepush_plugin_api const& t)
{
    void const* const slots[] = {reinterpret_cast<void const*>(t.on_timer), reinterpret_cast<void const*>(t.on_http_done),
        reinterpret_cast<void const*>(t.on_ws_event), reinterpret_cast<void const*>(t.open_account),
        reinterpret_cast<void const*>(t.request_snapshot), reinterpret_cast<void const*>(t.close_account),
        reinterpret_cast<void const*>(t.subscribe_ticker), reinterpret_cast<void const*>(t.unsubscribe_ticker),
        reinterpret_cast<void const*>(t.reset_user)};
    unsigned bits = 0;
    for(unsigned i = 0; i < 9; ++i)
        bits |= slots[i] != nullptr ? 1u << i : 0u;
    return bits;
}

TEST_CASE("make_plugin_api fills the table and detects optional handlers")
{
    STATIC_REQUIRE(full_table.struct_size == sizeof(tradepush_plugin_api));
    STATIC_REQUIRE(full_table.abi_major == TRADEPUSH_ABI_MAJOR);
    STATIC_REQUIRE(full_table.abi_minor == TRADEPUSH_ABI_MINOR);
    CHECK(full_table.create != nullptr);
    CHECK(full_table.destroy != nullptr);
    CHECK(set_slots(full_table) == 0x1ffu);
    CHECK(minimal_table.create != nullptr);
    CHECK(set_slots(minimal_table) == 0u); // reset_user returns int, not status: not a handler
    CHECK(std::string_view{minimal_table.name} == "minimal");
}

// A host table that records calls; its struct_size can be shortened to play an older host.
struct recording_host {
    tradepush_host_api api{};
    std::vector<std::string> logs;
    std::vector<tradepush_op> cancelled;
    std::vector<std::string> http_seen; // "METHOD url body timeout" then "name: value" per header
    tradepush_op next_op{1};

    recording_host()
    {
        api.struct_size = sizeof api;
        api.abi_major = TRADEPUSH_ABI_MAJOR;
        api.abi_minor = TRADEPUSH_ABI_MINOR;
        api.log = [](tradepush_host* h, int, tradepush_str m) { self(h).logs.emplace_back(m.ptr, m.len); };
        api.now_ns = [](tradepush_host*) -> std::uint64_t { return 42; };
        api.timer_start = [](tradepush_host* h, tradepush_owner const*, std::uint64_t, std::uint64_t) {
            return self(h).next_op++;
        };
        api.op_cancel = [](tradepush_host* h, tradepush_op op) { self(h).cancelled.push_back(op); };
        api.http_request = [](tradepush_host* h, tradepush_owner const* o, tradepush_http_request const* r,
                               std::uint64_t) {
            auto& seen = self(h).http_seen;
            seen.push_back(std::string{sdk::to_string_view(o->user)} + " " + std::string{sdk::to_string_view(r->method)} +
                " " + std::string{sdk::to_string_view(r->url)} + " " + std::string{sdk::to_string_view(r->body)} + " " +
                std::to_string(r->timeout_ms) + " " + std::to_string(r->struct_size == sizeof *r));
            for(std::size_t i = 0; i < r->header_count; ++i)
                seen.push_back(std::string{sdk::to_string_view(r->headers[i].name)} + ": " +
                    std::string{sdk::to_string_view(r->headers[i].value)});
            return self(h).next_op++;
        };
        api.hmac_sha256 = [](tradepush_host*, tradepush_str, tradepush_str, std::uint8_t out[32]) {
            for(int i = 0; i < 32; ++i)
                out[i] = static_cast<std::uint8_t>(i);
            return TRADEPUSH_OK;
        };
    }

    static recording_host&
    self(tradepush_host* h)
    {
        return *reinterpret_cast<recording_host*>(h);
    }

    sdk::host
    handle()
    {
        return sdk::host{reinterpret_cast<tradepush_host*>(this), &api};
    }
};

// Records what on_http_done and on_ws_event receive, to check the conversions.
struct completion_plugin {
    completion_plugin(sdk::host, std::string_view) {}
    void
    on_http_done(sdk::op op, std::uint64_t cookie, sdk::http_response const& r)
    {
        seen = std::to_string(op) + " " + std::to_string(cookie) + " " + std::to_string(r.status) + " [" +
            std::string{r.error} + "] " + std::string{r.body} + " " + std::to_string(r.elapsed.count());
        for(auto const& [name, value] : r.headers)
            seen += " " + std::string{name} + "=" + std::string{value};
    }
    void
    on_ws_event(sdk::op, std::uint64_t, sdk::ws_event_kind kind, std::string_view data)
    {
        seen = std::to_string(static_cast<int>(kind)) + " " + std::string{data};
    }
    std::string seen;
};

constexpr auto completion_table = sdk::detail::make_plugin_api<completion_plugin>("completion", "1", "{}");

// Throws from everything, to check the trampolines.
struct throwing_plugin {
    throwing_plugin(sdk::host, std::string_view config)
    {
        if(config == "throw")
            throw std::runtime_error("bad config");
    }
    void on_timer(sdk::op, std::uint64_t) { throw std::runtime_error("timer failed"); }
    sdk::status subscribe_ticker(std::string_view, std::string_view) { throw 7; }
};

constexpr auto throwing_table = sdk::detail::make_plugin_api<throwing_plugin>("throwing", "1", "{}");

} // namespace

TEST_CASE("host wrapper calls the slots the host offers")
{
    recording_host rec;
    auto h = rec.handle();
    h.log(sdk::log_level::info, "hello");
    REQUIRE(rec.logs == std::vector<std::string>{"hello"});
    CHECK(h.now() == std::chrono::nanoseconds{42});
    CHECK(h.start_timer(sdk::owner{"u", 1}, std::chrono::milliseconds{5}, 9) == 1);
    h.cancel(1);
    h.cancel(0); // 0 is "no operation" and never reaches the host
    CHECK(rec.cancelled == std::vector<tradepush_op>{1});
    CHECK(h.hmac_sha256("k", "m")[31] == 31);
}

TEST_CASE("host wrapper treats slots beyond struct_size and NULL slots as missing")
{
    recording_host rec;
    // An "older host" whose table ends right after now_ns.
    rec.api.struct_size = offsetof(tradepush_host_api, now_ns) + sizeof rec.api.now_ns;
    auto h = rec.handle();
    h.log(sdk::log_level::info, "still here");
    CHECK(rec.logs.size() == 1);
    CHECK(h.now() == std::chrono::nanoseconds{42});
    CHECK(h.wall_ms() == 0);
    CHECK(h.start_timer(sdk::owner{}, std::chrono::nanoseconds{0}, 1) == 0);
    CHECK(h.http(sdk::owner{}, sdk::http_request{}, 1) == 0);
    CHECK(h.ws_send(1, "x") == sdk::status::unsupported);
    std::array<std::uint8_t, 32> out{};
    CHECK(h.hmac_sha256("k", "m", out) == sdk::status::unsupported);
    CHECK_THROWS_AS(h.hmac_sha256("k", "m"), std::runtime_error);
    h.emit_data(sdk::owner{"u", 1}, "main", sdk::stream::balance, "{}"); // must not crash

    // A full-size table with a NULL slot.
    recording_host rec2;
    rec2.api.timer_start = nullptr;
    CHECK(rec2.handle().start_timer(sdk::owner{}, std::chrono::nanoseconds{0}, 1) == 0);
}

TEST_CASE("owner converts to and from the ABI owner")
{
    sdk::owner o{"alice", 7};
    auto abi = o.to_abi();
    CHECK(sdk::to_string_view(abi.user) == "alice");
    CHECK(abi.epoch == 7);
    CHECK(sdk::owner::from_abi(&abi) == o);
    CHECK(sdk::owner::from_abi(nullptr).is_public());
}

TEST_CASE("trampolines contain exceptions")
{
    recording_host rec;
    char err[64] = "untouched";

    // create: NULL plus the message in err (truncated to err_cap, NUL-terminated) and in the log.
    CHECK(throwing_table.create(reinterpret_cast<tradepush_host*>(&rec), &rec.api, sdk::to_abi("throw"), err,
              sizeof err) == nullptr);
    CHECK(std::string{err} == "bad config");
    char tiny[4];
    CHECK(throwing_table.create(reinterpret_cast<tradepush_host*>(&rec), &rec.api, sdk::to_abi("throw"), tiny,
              sizeof tiny) == nullptr);
    CHECK(std::string{tiny} == "bad");
    CHECK(rec.logs.back() == "create: exception: bad config");

    auto* instance = throwing_table.create(reinterpret_cast<tradepush_host*>(&rec), &rec.api, {}, err, sizeof err);
    REQUIRE(instance != nullptr);
    throwing_table.on_timer(instance, 1, 2);
    CHECK(rec.logs.back() == "on_timer: exception: timer failed");
    CHECK(throwing_table.subscribe_ticker(instance, sdk::to_abi("spot"), sdk::to_abi("X")) == TRADEPUSH_E_INTERNAL);
    CHECK(rec.logs.back().rfind("subscribe_ticker: exception: unknown exception", 0) == 0);
    throwing_table.destroy(instance);
}

TEST_CASE("host::http passes the request through the ABI struct")
{
    recording_host rec;
    sdk::http_request request;
    request.method = "POST";
    request.url = "https://api.example.com/v5/order";
    request.headers = {{"X-Key", "k"}, {"Content-Type", "application/json"}};
    request.body = "{}";
    request.timeout = std::chrono::milliseconds{1500};
    CHECK(rec.handle().http(sdk::owner{"alice", 3}, request, 5) == 1);
    CHECK(rec.http_seen == std::vector<std::string>{"alice POST https://api.example.com/v5/order {} 1500 1",
        "X-Key: k", "Content-Type: application/json"});
}

TEST_CASE("completion trampolines convert the ABI arguments")
{
    recording_host rec;
    char err[16];
    auto* instance =
        completion_table.create(reinterpret_cast<tradepush_host*>(&rec), &rec.api, {}, err, sizeof err);
    REQUIRE(instance != nullptr);
    auto& plugin = sdk::detail::unbox<completion_plugin>(instance).plugin_;

    tradepush_header const headers[] = {{sdk::to_abi("a"), sdk::to_abi("1")}, {sdk::to_abi("b"), sdk::to_abi("2")}};
    tradepush_http_response response{};
    response.struct_size = sizeof response;
    response.status = 200;
    response.headers = headers;
    response.header_count = 2;
    response.body = sdk::to_abi("ok");
    response.elapsed_ns = 77;
    completion_table.on_http_done(instance, 9, 4, &response);
    CHECK(plugin.seen == "9 4 200 [] ok 77 a=1 b=2");

    completion_table.on_ws_event(instance, 9, 4, TRADEPUSH_WS_TEXT, sdk::to_abi("hello"));
    CHECK(plugin.seen == "1 hello");
    completion_table.destroy(instance);
}
