// Test that header file is self-contained.
#include "plugin_host/net_url.hpp"

#include <catch2/catch.hpp>

using tradepush::plugin_host::parse_net_url;

TEST_CASE("parse_net_url splits absolute URLs", "[net_url]")
{
    auto u = parse_net_url("HTTPS://api.example.com/v5/market?x=1#frag");
    REQUIRE(u);
    CHECK(u->scheme == "https");
    CHECK(u->secure);
    CHECK(u->host == "api.example.com");
    CHECK(u->port == 443);
    CHECK(u->target == "/v5/market?x=1");
    CHECK(u->host_header() == "api.example.com");
    CHECK_FALSE(u->host_is_ip());

    u = parse_net_url("ws://127.0.0.1:8080");
    REQUIRE(u);
    CHECK(u->target == "/");
    CHECK(u->port == 8080);
    CHECK(u->host_header() == "127.0.0.1:8080");
    CHECK(u->host_is_ip());

    u = parse_net_url("wss://[::1]:9443?q");
    REQUIRE(u);
    CHECK(u->host == "::1");
    CHECK(u->target == "/?q");
    CHECK(u->host_header() == "[::1]:9443");

    u = parse_net_url("http://[::1]/");
    REQUIRE(u);
    CHECK(u->host_header() == "[::1]");
}

TEST_CASE("parse_net_url rejects what it cannot connect to", "[net_url]")
{
    for (auto bad : {"", "example.com", "ftp://x", "http://", "http:///p", "http://h:", "http://h:0", "http://h:65536",
             "http://h:8a", "http://u@h/", "http://[::1", "http://[::1]x/"}) {
        INFO(bad);
        CHECK_FALSE(parse_net_url(bad));
    }
}
