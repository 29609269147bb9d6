// Public tickers: linear snapshot + partial delta merge, spot snapshots, client JSON.
#include "ticker.hpp"

#include "fake_host.hpp"

#include <boost/json/parse.hpp>

#include <catch2/catch.hpp>

using namespace tradepush::bybit;
namespace json = boost::json;

namespace {

json::object
frame(std::string_view text)
{
    return json::parse(text).as_object();
}

} // namespace

TEST_CASE("linear snapshot fixture, then a delta changes only the keys it carries")
{
    ticker_book b;
    // A delta before any snapshot cannot form a full ticker.
    CHECK_FALSE(b.apply(frame(R"({"topic":"tickers.BTCUSDT","type":"delta","data":{"symbol":"BTCUSDT","lastPrice":"1"},"cs":1,"ts":1})")));
    CHECK_FALSE(b.ready());

    CHECK(b.apply(frame(test::read_fixture("ws_public_ticker_linear_snapshot.docs.json"))));
    CHECK(b.ready());
    CHECK(*b.mark_price() == 66666.6);
    CHECK(b.to_json("linear")
        == R"({"symbol":"BTCUSDT","category":"linear","last_price":66666.60,"mark_price":66666.60,)"
           R"("index_price":115418.19,"bid":66666.60,"bid_size":23789.165,"ask":66666.70,"ask_size":23775.469,)"
           R"("high_24h":79266.30,"low_24h":65076.90,"prev_price_24h":79206.20,"price_24h_pcnt":-0.158315,)"
           R"("volume_24h":73191.3870,"turnover_24h":4936790807.6521,"open_interest":492373.72,)"
           R"("open_interest_value":32824881841.75,"funding_rate":-0.005,"next_funding_time":1760342400000,)"
           R"("ts":1760325052630})");

    // The ccxt-comment delta shape: only bid/ask changed.
    CHECK(b.apply(frame(R"({"topic":"tickers.BTCUSDT","type":"delta","data":{"symbol":"BTCUSDT","bid1Price":"66667.10","bid1Size":"2.12","ask1Price":"66667.20","ask1Size":"5.02"},"cs":9532239430,"ts":1760325052730})")));
    auto const j = json::parse(b.to_json("linear"));
    CHECK(j.at("bid").to_number<double>() == 66667.1);
    CHECK(j.at("ask_size").to_number<double>() == 5.02);
    CHECK(j.at("last_price").to_number<double>() == 66666.6); // unchanged fields kept
    CHECK(j.at("ts").as_int64() == 1760325052730);

    // A delta with a new mark.
    CHECK(b.apply(frame(R"({"topic":"tickers.BTCUSDT","type":"delta","data":{"symbol":"BTCUSDT","markPrice":"66700.00"},"cs":2,"ts":3})")));
    CHECK(*b.mark_price() == 66700.0);

    // A new snapshot replaces everything.
    CHECK(b.apply(frame(R"({"topic":"tickers.BTCUSDT","type":"snapshot","data":{"symbol":"BTCUSDT","lastPrice":"5"},"cs":3,"ts":4})")));
    CHECK(b.to_json("linear") == R"({"symbol":"BTCUSDT","category":"linear","last_price":5,"ts":4})");
    CHECK_FALSE(b.mark_price());

    b.clear();
    CHECK_FALSE(b.ready());
}

TEST_CASE("spot snapshot fixture: no bid/ask or mark over WebSocket")
{
    ticker_book b;
    CHECK(b.apply(frame(test::read_fixture("ws_public_ticker_spot_snapshot.docs.json"))));
    CHECK(b.to_json("spot")
        == R"({"symbol":"BTCUSDT","category":"spot","last_price":21109.77,"high_24h":21426.99,"low_24h":20575,)"
           R"("prev_price_24h":20704.93,"price_24h_pcnt":0.0196,"volume_24h":6780.866843,)"
           R"("turnover_24h":141946527.22907118,"usd_index_price":21120.2400136,"ts":1673853746003})");
    CHECK_FALSE(b.mark_price());
}

TEST_CASE("frames that are not tickers are ignored")
{
    ticker_book b;
    CHECK_FALSE(b.apply(frame(test::read_fixture("ws_subscribe_ack_public_linear.docs.json"))));
    CHECK_FALSE(b.apply(frame(test::read_fixture("ws_pong_public_linear.docs.json"))));
    CHECK_FALSE(b.apply(frame(R"({"topic":"tickers.X","type":"snapshot","data":[]})")));
    CHECK(ticker_topic("ETHUSDT") == "tickers.ETHUSDT");
}
