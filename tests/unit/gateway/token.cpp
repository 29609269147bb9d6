// Test that header file is self-contained.
#include "gateway/token.hpp"

#include <catch2/catch.hpp>

using tradepush::gateway::find_token;

namespace {
using headers = std::map<std::string, std::string, std::less<>>;
}

TEST_CASE("token from the CONNECT payload wins over the header", "[gateway][token]")
{
    boost::json::object auth{{"token", "payload.jwt.x"}};
    CHECK(find_token(auth, headers{{"authorization", "Bearer header.jwt.y"}}) == "payload.jwt.x");
}

TEST_CASE("token from Authorization: Bearer, scheme case-insensitive", "[gateway][token]")
{
    boost::json::object none;
    CHECK(find_token(none, headers{{"authorization", "Bearer abc.def.ghi"}}) == "abc.def.ghi");
    CHECK(find_token(none, headers{{"authorization", "bearer   abc.def.ghi"}}) == "abc.def.ghi");
    CHECK(find_token(none, headers{{"authorization", "BEARER abc"}}) == "abc");
}

TEST_CASE("no token: other schemes, non-string payload token, nothing at all", "[gateway][token]")
{
    boost::json::object none;
    CHECK(find_token(none, headers{{"authorization", "Basic dXNlcjpwYXNz"}}).empty());
    CHECK(find_token(none, headers{{"authorization", "Bear"}}).empty());
    CHECK(find_token(none, headers{}).empty());
    // A present but non-string token is not replaced by the header: the client meant the payload.
    boost::json::object numeric{{"token", 42}};
    CHECK(find_token(numeric, headers{{"authorization", "Bearer abc"}}).empty());
}
