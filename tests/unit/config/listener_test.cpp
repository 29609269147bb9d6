// Test that the header is self-contained.
#include "config/listener.hpp"

#include <catch2/catch.hpp>

#include <string>

using tradepush::config::listener;
using tradepush::config::parse_listener;

TEST_CASE("parse_listener accepts IPv4 and bracketed IPv6", "[config][listener]")
{
    struct good_case {
        char const* text;
        char const* address;
        unsigned short port;
    };
    auto const cases = {
        good_case{"127.0.0.1:8080", "127.0.0.1", 8080},
        good_case{"0.0.0.0:65535", "0.0.0.0", 65535},
        good_case{"[::1]:8080", "::1", 8080},
        good_case{"[::]:443", "::", 443},
        good_case{"[fe80::1:2]:1", "fe80::1:2", 1},
        // Port 0 asks the kernel for any free port; integration tests rely on it.
        good_case{"127.0.0.1:0", "127.0.0.1", 0},
    };
    for (auto const& c : cases) {
        INFO(c.text);
        auto r = parse_listener(c.text);
        REQUIRE(r.has_value());
        CHECK(r->address == c.address);
        CHECK(r->port == c.port);
        // The formatted form parses back to the same listener.
        auto again = parse_listener(to_string(*r));
        REQUIRE(again.has_value());
        CHECK(*again == *r);
    }
}

TEST_CASE("parse_listener rejects malformed addresses with a reason", "[config][listener]")
{
    struct bad_case {
        char const* text;
        char const* reason; // a fragment of the message
    };
    auto const cases = {
        bad_case{"127.0.0.1", "missing ':port'"},
        bad_case{"127.0.0.1:", "missing port"},
        bad_case{":8080", "missing host"},
        bad_case{"::1:8080", "must be in brackets"},
        bad_case{"::1", "must be in brackets"},
        bad_case{"[::1]", "missing ':port'"},
        bad_case{"[::1]8080", "missing ':port'"},
        bad_case{"[::1:8080", "missing ']'"},
        bad_case{"[127.0.0.1]:80", "only for IPv6"},
        bad_case{"127.0.0.1:65536", "out of range"},
        bad_case{"127.0.0.1:99999999999", "out of range"},
        bad_case{"127.0.0.1:-1", "not a number"},
        bad_case{"127.0.0.1:80x", "not a number"},
        bad_case{"127.0.0.1: 80", "not a number"},
        bad_case{"localhost:8080", "not an IP address"},
        bad_case{"256.1.1.1:80", "not an IP address"},
        bad_case{"", "missing ':port'"},
    };
    for (auto const& c : cases) {
        INFO(c.text);
        auto r = parse_listener(c.text);
        REQUIRE(r.has_error());
        CHECK_THAT(r.error(), Catch::Contains(c.reason));
    }
}

TEST_CASE("to_string brackets IPv6 only", "[config][listener]")
{
    CHECK(to_string(listener{"10.0.0.1", 80}) == "10.0.0.1:80");
    CHECK(to_string(listener{"::1", 8080}) == "[::1]:8080");
}
