// plugin_provider: hub-like calls become plugin commands; refusals become stream_status errors.
#include "test_plugin.hpp"

#include <catch2/catch.hpp>

using namespace tradepush;
using namespace tradepush::test_plugin;

TEST_CASE("provider: has_exchange is the plugin name", "[plugin_host][provider]")
{
    harness h;
    CHECK(h.prov.has_exchange("testex"));
    CHECK_FALSE(h.prov.has_exchange("bybit"));
    CHECK_FALSE(h.prov.has_exchange(""));
}

TEST_CASE("provider: hub calls map to plugin commands", "[plugin_host][provider]")
{
    harness h;
    h.prov.open_account("alice", test_account("sub1"), (1u << 0) | (1u << 2) | (1u << 7), 4);
    h.prov.request_snapshot("alice", "sub1", feed::stream_type::orders, 4);
    h.prov.close_account("alice", "sub1");
    h.prov.subscribe_ticker("testex", "spot", "ETHUSDT");
    h.prov.unsubscribe_ticker("testex", "spot", "ETHUSDT");
    h.prov.subscribe_ticker("otherex", "spot", "ETHUSDT"); // not ours: ignored
    h.prov.reset_user("alice");
    h.run();
    CHECK(ctl().calls == std::vector<std::string>{
        "open_account alice sub1 5 4 KEY", // bits beyond the four streams are masked off
        "request_snapshot alice sub1 3 4",
        "close_account alice sub1 4",
        "subscribe_ticker spot ETHUSDT",
        "unsubscribe_ticker spot ETHUSDT",
        "reset_user alice 4",
    });
    CHECK(h.inst.epoch("alice") == std::nullopt);
}

TEST_CASE("provider: a refused open_account becomes a stream_status error", "[plugin_host][provider]")
{
    harness h;
    ctl().open_status = TRADEPUSH_E_AUTH;
    h.prov.open_account("alice", test_account(), all_streams, 9);
    REQUIRE(h.sink.statuses.size() == 1);
    auto const& s = h.sink.statuses[0];
    CHECK(s.user == "alice");
    CHECK(s.account == "main");
    CHECK_FALSE(s.type); // all streams of the account
    CHECK(s.state == feed::stream_state::error);
    CHECK(s.code == "exchange_auth_failed");
    CHECK(s.epoch == 9);
    CHECK(s.message.find("E_AUTH") != std::string::npos);
    CHECK(s.message.find("SECRET") == std::string::npos);
}

TEST_CASE("provider: refused snapshot and ticker map to their status codes", "[plugin_host][provider]")
{
    harness h;
    ctl().snapshot_status = TRADEPUSH_E_RATE_LIMIT;
    ctl().ticker_status = TRADEPUSH_E_NOT_FOUND;
    h.prov.open_account("alice", test_account(), 0, 1);
    h.prov.request_snapshot("alice", "main", feed::stream_type::pnl, 1);
    h.prov.subscribe_ticker("testex", "linear", "NOPEUSDT");
    REQUIRE(h.sink.statuses.size() == 1);
    CHECK(h.sink.statuses[0].type == feed::stream_type::pnl);
    CHECK(h.sink.statuses[0].code == "rate_limited");
    REQUIRE(h.sink.ticker_statuses.size() == 1);
    CHECK(h.sink.ticker_statuses[0].code == "not_found");
    CHECK(h.sink.ticker_statuses[0].symbol == "NOPEUSDT");
}

TEST_CASE("provider: status codes for every plugin status", "[plugin_host][provider]")
{
    using plugin_host::status_code;
    CHECK(status_code(TRADEPUSH_E_AUTH) == "exchange_auth_failed");
    CHECK(status_code(TRADEPUSH_E_RATE_LIMIT) == "rate_limited");
    CHECK(status_code(TRADEPUSH_E_INTERNAL) == "plugin_error");
    CHECK(status_code(static_cast<tradepush_status>(42)) == "plugin_error");
    CHECK(status_code(TRADEPUSH_E_TRANSIENT) == "exchange_unavailable");
}

TEST_CASE("provider: a plugin without optional commands reports unsupported", "[plugin_host][provider]")
{
    control_reset reset;
    auto table = api();
    table.request_snapshot = nullptr;
    table.reset_user = nullptr;
    boost::asio::io_context ioc;
    recording_sink sink;
    plugin_host::instance inst(ioc.get_executor(), table, "testex", "{}", &sink);
    REQUIRE(inst.create());
    plugin_host::plugin_provider prov(inst);
    prov.set_sink(&sink);
    prov.request_snapshot("alice", "main", feed::stream_type::balance, 1);
    prov.reset_user("alice"); // no slot: nothing to drop, no error
    REQUIRE(sink.statuses.size() == 1);
    CHECK(sink.statuses[0].code == "unsupported");
}
