// The C entry table TRADEPUSH_DEFINE_PLUGIN builds from the adapter: every handler is detected (a
// mistyped one would silently be a NULL slot), create() refuses bad configs with the message, and the
// trampolines drive the adapter through the C ABI with the fake host.
#include "adapter.hpp"

#include "fake_host.hpp"

#include <catch2/catch.hpp>

#include <cstring>
#include <string>

using namespace tradepush::bybit;
namespace sdk = tradepush::sdk;

namespace {

constexpr tradepush_plugin_api table = sdk::detail::make_plugin_api<adapter>("bybit", "0.1.0", features_json);

tradepush_str
s(std::string_view v)
{
    return tradepush_str{v.data(), v.size()};
}

} // namespace

TEST_CASE("every plugin slot is implemented")
{
    CHECK(table.abi_major == TRADEPUSH_ABI_MAJOR);
    CHECK(table.create != nullptr);
    CHECK(table.destroy != nullptr);
    CHECK(table.on_timer != nullptr);
    CHECK(table.on_http_done != nullptr);
    CHECK(table.on_ws_event != nullptr);
    CHECK(table.open_account != nullptr);
    CHECK(table.request_snapshot != nullptr);
    CHECK(table.close_account != nullptr);
    CHECK(table.subscribe_ticker != nullptr);
    CHECK(table.unsubscribe_ticker != nullptr);
    CHECK(table.reset_user != nullptr);
    CHECK(std::string_view(table.features_json).find("\"tickers\":[\"linear\",\"spot\"]") != std::string_view::npos);
}

TEST_CASE("create refuses a bad config with a clear message, the C table drives the adapter")
{
    test::fake_host fh;
    auto const h = fh.handle();
    char err[256] = {};
    auto* bad = table.create(h.native_handle(), h.api(), s(R"({"recv_window_ms": -1})"), err, sizeof err);
    CHECK(bad == nullptr);
    CHECK(std::string(err) == "bybit config: recv_window_ms: must be in 100..120000");

    auto* inst = table.create(h.native_handle(), h.api(), s("{}"), err, sizeof err);
    REQUIRE(inst != nullptr);
    CHECK(fh.ops.empty()); // the constructor starts nothing

    // Through the C ABI: open an account; the clock sync goes out to Bybit mainnet.
    tradepush_owner const owner{s("u1"), 3};
    tradepush_account acc{};
    acc.struct_size = sizeof acc;
    acc.label = s("main");
    acc.exchange = s("bybit");
    acc.network = s("mainnet");
    acc.api_key = s("k");
    acc.api_secret = s("secret");
    CHECK(table.open_account(inst, &owner, &acc, 0xf) == TRADEPUSH_OK);
    auto const http = fh.live("http");
    REQUIRE(http.size() == 1);
    CHECK(http[0].url == "https://api.bybit.com/v5/market/time");
    CHECK(table.subscribe_ticker(inst, s("linear"), s("ETHUSDT")) == TRADEPUSH_OK);
    CHECK(fh.ops.back().url == "wss://stream.bybit.com/v5/public/linear");
    CHECK(table.subscribe_ticker(inst, s("inverse"), s("BTCUSD")) == TRADEPUSH_E_INVALID);
    CHECK(table.request_snapshot(inst, &owner, s("main"), TRADEPUSH_STREAM_PNL) == TRADEPUSH_OK);
    CHECK(table.reset_user(inst, &owner) == TRADEPUSH_OK);
    CHECK(table.close_account(inst, &owner, s("main")) == TRADEPUSH_E_NOT_FOUND);
    table.destroy(inst);
}
