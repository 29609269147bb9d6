// Test that header file is self-contained.
#include "feed/feed.hpp"

#include <catch2/catch.hpp>

using namespace tradepush::feed;

TEST_CASE("stream_type names round-trip and unknown names are refused")
{
    for(std::size_t i = 0; i < stream_type_count; ++i) {
        auto const t = static_cast<stream_type>(i);
        CHECK(parse_stream_type(to_string(t)) == t);
    }
    CHECK(to_string(stream_type::balance) == "balance");
    CHECK(to_string(stream_type::positions) == "positions");
    CHECK(to_string(stream_type::pnl) == "pnl");
    CHECK(to_string(stream_type::orders) == "orders");
    CHECK_FALSE(parse_stream_type("Balance"));
    CHECK_FALSE(parse_stream_type(""));
    CHECK_FALSE(parse_stream_type("ticker"));
    CHECK(to_string(static_cast<stream_type>(9)) == "unknown");
}

TEST_CASE("stream_state names round-trip")
{
    for(auto s : {stream_state::live, stream_state::stale, stream_state::error})
        CHECK(parse_stream_state(to_string(s)) == s);
    CHECK(to_string(stream_state::error) == "error");
    CHECK_FALSE(parse_stream_state("dead"));
}
