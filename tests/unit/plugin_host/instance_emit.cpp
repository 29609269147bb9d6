// Emits: JSON validation, routing to the sink, status emits, tickers.
#include "test_plugin.hpp"

#include <catch2/catch.hpp>

using namespace tradepush;
using namespace tradepush::test_plugin;

TEST_CASE("emit_data with invalid JSON is dropped and counted", "[plugin_host][instance][emit]")
{
    harness h;
    ctl().emit_invalid_json = true;
    h.prov.open_account("alice", test_account(), all_streams, 1);
    h.run();
    CHECK(ctl().timers_fired == 4);
    CHECK(h.sink.datas.empty());
    CHECK(h.inst.counters().invalid_emits == 4);
}

TEST_CASE("emit_data with a bad stream or missing owner is dropped", "[plugin_host][instance][emit]")
{
    harness h;
    ctl().on_open = [](tradepush_host* host, tradepush_host_api const* api, tradepush_owner const* owner) {
        tradepush_str const json{"{}", 2};
        api->emit_data(host, owner, {"main", 4}, 99, {}, {}, json);              // unknown stream
        tradepush_owner const anon{{nullptr, 0}, 1};
        api->emit_data(host, &anon, {"main", 4}, TRADEPUSH_STREAM_BALANCE, {}, {}, json); // account w/o user
        api->emit_data(host, owner, {nullptr, 0}, TRADEPUSH_STREAM_BALANCE, {}, {}, json); // no account
        api->emit_data(host, owner, {}, TRADEPUSH_STREAM_TICKER, {}, {}, json); // ticker w/o symbol
        api->emit_status(host, owner, {"main", 4}, TRADEPUSH_STREAM_PNL, {}, {}, 9, {}, {}); // bad state
    };
    h.prov.open_account("alice", test_account(), 0, 1);
    CHECK(h.inst.counters().invalid_emits == 5);
    CHECK(h.sink.datas.empty());
    CHECK(h.sink.statuses.empty());
}

TEST_CASE("emit_status reaches the sink for one stream, all streams and tickers", "[plugin_host][instance][emit]")
{
    harness h;
    ctl().on_open = [](tradepush_host* host, tradepush_host_api const* api, tradepush_owner const* owner) {
        api->emit_status(host, owner, {"main", 4}, TRADEPUSH_STREAM_ORDERS, {}, {}, TRADEPUSH_STATE_STALE,
            {"reconnecting", 12}, {"ws lost", 7});
        api->emit_status(host, owner, {"main", 4}, TRADEPUSH_STREAM_ALL_ACCOUNT, {}, {}, TRADEPUSH_STATE_LIVE,
            {}, {});
        tradepush_owner const pub{{nullptr, 0}, 0};
        api->emit_status(host, &pub, {}, TRADEPUSH_STREAM_TICKER, {"linear", 6}, {"BTCUSDT", 7},
            TRADEPUSH_STATE_ERROR, {"symbol_unknown", 14}, {});
    };
    h.prov.open_account("alice", test_account(), 0, 3);
    REQUIRE(h.sink.statuses.size() == 2);
    CHECK(h.sink.statuses[0].type == feed::stream_type::orders);
    CHECK(h.sink.statuses[0].state == feed::stream_state::stale);
    CHECK(h.sink.statuses[0].code == "reconnecting");
    CHECK(h.sink.statuses[0].message == "ws lost");
    CHECK(h.sink.statuses[0].epoch == 3);
    CHECK_FALSE(h.sink.statuses[1].type);
    REQUIRE(h.sink.ticker_statuses.size() == 1);
    CHECK(h.sink.ticker_statuses[0].exchange == "testex");
    CHECK(h.sink.ticker_statuses[0].code == "symbol_unknown");
}

TEST_CASE("ticker emits go to on_ticker under the plugin's name", "[plugin_host][instance][emit]")
{
    harness h;
    h.prov.subscribe_ticker("testex", "linear", "BTCUSDT");
    REQUIRE(h.sink.tickers.size() == 1);
    CHECK(h.sink.tickers[0].exchange == "testex");
    CHECK(h.sink.tickers[0].category == "linear");
    CHECK(h.sink.tickers[0].symbol == "BTCUSDT");
    CHECK(h.sink.tickers[0].json == "{\"last\":\"100.5\"}");
}

TEST_CASE("emits after set_sink(nullptr) go nowhere", "[plugin_host][instance][emit]")
{
    harness h;
    h.prov.open_account("alice", test_account(), all_streams, 1);
    h.prov.set_sink(nullptr);
    h.run();
    CHECK(ctl().timers_fired == 4);
    CHECK(h.sink.datas.empty());
}

TEST_CASE("host services: clock, hmac, metrics", "[plugin_host][instance]")
{
    plugin_host::instance_options o;
    o.now_ns = [] { return std::uint64_t{42}; };
    o.wall_ms = [] { return std::uint64_t{1700000000000}; };
    harness h(std::move(o));
    std::uint64_t now = 0, wall = 0;
    std::uint8_t mac[32] = {};
    tradepush_status st = TRADEPUSH_E_INTERNAL;
    ctl().on_open = [&](tradepush_host* host, tradepush_host_api const* api, tradepush_owner const*) {
        now = api->now_ns(host);
        wall = api->wall_ms(host);
        // RFC 4231 test case 2.
        st = api->hmac_sha256(host, {"Jefe", 4}, {"what do ya want for nothing?", 28}, mac);
        api->metric(host, {"rest_calls", 10}, 0, 1);
        api->metric(host, {"rest_calls", 10}, 0, 2);
        api->metric(host, {"ws_lag_ms", 9}, 1, 5);
        api->metric(host, {"ws_lag_ms", 9}, 1, 3);
        api->log(host, TRADEPUSH_LOG_INFO, {"hello from the plugin", 21});
    };
    h.prov.open_account("alice", test_account(), 0, 1);
    CHECK(now == 42);
    CHECK(wall == 1700000000000);
    REQUIRE(st == TRADEPUSH_OK);
    static std::uint8_t const expect[32] = {0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24, 0x26,
        0x08, 0x95, 0x75, 0xc7, 0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27, 0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec,
        0x38, 0x43};
    CHECK(std::equal(mac, mac + 32, expect));
    CHECK(h.inst.metrics().at("rest_calls") == 3);
    CHECK(h.inst.metrics().at("ws_lag_ms") == 3);
}

TEST_CASE("host table: size and version", "[plugin_host][instance]")
{
    harness h;
    CHECK(h.inst.host_api().struct_size == sizeof(tradepush_host_api));
    CHECK(h.inst.host_api().abi_major == TRADEPUSH_ABI_MAJOR);
    CHECK(h.inst.host_api().abi_minor == TRADEPUSH_ABI_MINOR);
    CHECK(ctl().host == h.inst.host_handle());
}
