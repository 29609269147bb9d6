// Test that header file is self-contained.
#include "gateway/token.hpp"

#include <catch2/catch.hpp>

using tradepush::gateway::find_token;

TEST_CASE("token from the CONNECT payload wins over the header", "[gateway][token]")
{
    boost::json::object auth{{"token", "payload.jwt.x"}};
    CHECK(find_token(auth, "Bearer header.jwt.y") == "payload.jwt.x");
}

TEST_CASE("token from Authorization: Bearer, scheme case-insensitive", "[gateway][token]")
{
    boost::json::object none;
    CHECK(find_token(none, "Bearer abc.def.ghi") == "abc.def.ghi");
    CHECK(find_token(none, "bearer   abc.def.ghi") == "abc.def.ghi");
    CHECK(find_token(none, "BEARER abc") == "abc");
}

TEST_CASE("no token: other schemes, non-string payload token, nothing at all", "[gateway][token]")
{
    boost::json::object none;
    CHECK(find_token(none, "Basic dXNlcjpwYXNz").empty());
    CHECK(find_token(none, "Bear").empty());
    CHECK(find_token(none, "").empty());
    // A present but non-string token is not replaced by the header: the client meant the payload.
    boost::json::object numeric{{"token", 42}};
    CHECK(find_token(numeric, "Bearer abc").empty());
}
