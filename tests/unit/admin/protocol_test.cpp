// Test that header file is self-contained.
#include "admin/protocol.hpp"

#include <boost/json/parse.hpp>

#include "catch_result.hpp"

#include <catch2/catch.hpp>

using namespace tradepush::admin;
namespace json = boost::json;

TEST_CASE("normalize_command folds dots and blanks", "[admin][protocol]")
{
    CHECK(normalize_command("user flush") == "user flush");
    CHECK(normalize_command("user.flush") == "user flush");
    CHECK(normalize_command("  log   level ") == "log level");
    CHECK(normalize_command("status") == "status");
    CHECK(normalize_command(" . ") == "");
}

TEST_CASE("parse_request accepts the documented shape", "[admin][protocol]")
{
    auto r = parse_request(R"({"id":7,"cmd":"user.flush","args":{"user":"alice"}})");
    REQUIRE(r);
    CHECK(r->id == json::value(7));
    CHECK(r->cmd == "user flush");
    CHECK(r->args.at("user") == "alice");

    auto bare = parse_request(R"({"cmd":"ping"})");
    REQUIRE(bare);
    CHECK(bare->id.is_null());
    CHECK(bare->args.empty());

    auto string_id = parse_request(R"({"id":"a-1","cmd":"ping","args":null})");
    REQUIRE(string_id);
    CHECK(string_id->id == "a-1");
}

TEST_CASE("parse_request refuses with a reason and keeps the id", "[admin][protocol]")
{
    CHECK_FALSE(parse_request("{not json"));
    CHECK(parse_request("{not json").error().message.starts_with("malformed JSON"));
    CHECK_FALSE(parse_request("[1,2]"));
    auto no_cmd = parse_request(R"({"id":3})");
    REQUIRE_FALSE(no_cmd);
    CHECK(no_cmd.error().id == json::value(3));
    CHECK_FALSE(parse_request(R"({"id":3,"cmd":5})"));
    CHECK_FALSE(parse_request(R"({"id":3,"cmd":"ping","args":[1]})"));
    CHECK_FALSE(parse_request(R"({"cmd":"  "})"));
}

TEST_CASE("response lines are one compact line each", "[admin][protocol]")
{
    auto ok = ok_line(7, json::object{{"text", "a\nb"}});
    CHECK(ok.back() == '\n');
    CHECK(ok.find('\n') == ok.size() - 1); // the embedded newline is escaped
    auto v = json::parse(ok);
    CHECK(v.at("id") == 7);
    CHECK(v.at("ok") == true);
    CHECK(v.at("result").at("text") == "a\nb");

    auto err = json::parse(error_line("x", errc::not_found, "no user 'bob'", json::object{{"hint", 1}}));
    CHECK(err.at("id") == "x");
    CHECK(err.at("ok") == false);
    CHECK(err.at("error").at("code") == "not_found");
    CHECK(err.at("error").at("message") == "no user 'bob'");
    CHECK(err.at("error").at("hint") == 1);
}

TEST_CASE("hello line names the level and the peer uid", "[admin][protocol]")
{
    peer_credentials peer;
    peer.uid = 1234;
    auto v = json::parse(hello_line("1.2.3", level::operate, peer));
    CHECK(v.at("hello") == "tradepushd");
    CHECK(v.at("version") == "1.2.3");
    CHECK(v.at("proto") == protocol_version);
    CHECK(v.at("level") == "operate");
    CHECK(v.at("uid") == 1234);
    CHECK(v.at("pid").is_int64());
}
