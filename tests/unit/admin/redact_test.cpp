// Test that header file is self-contained.
#include "admin/redact.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <catch2/catch.hpp>

using namespace tradepush::admin;
namespace json = boost::json;

TEST_CASE("secret-looking keys", "[admin][redact]")
{
    for(auto k : {"secret", "api_secret", "API_SECRET", "token", "refresh_token", "password", "db_passwd",
            "passphrase", "credentials", "api_key", "apiKey", "private_key"})
        CHECK(is_secret_key(k));
    for(auto k : {"user", "exchange", "key", "name", "level", "keys_loaded"})
        CHECK_FALSE(is_secret_key(k));
}

TEST_CASE("redact replaces values at any depth", "[admin][redact]")
{
    auto in = json::parse(R"({"user":"alice","api_secret":"s3cr3t","nested":{"password":{"x":1},"ok":2},
        "list":[{"token":"t0k"},3]})");
    auto out = json::serialize(redact(in));
    CHECK(out.find("s3cr3t") == std::string::npos);
    CHECK(out.find("t0k") == std::string::npos);
    CHECK(out.find("\"x\"") == std::string::npos);
    auto v = json::parse(out);
    CHECK(v.at("user") == "alice");
    CHECK(v.at("api_secret") == "***");
    CHECK(v.at("nested").at("password") == "***");
    CHECK(v.at("nested").at("ok") == 2);
    CHECK(v.at("list").at(0).at("token") == "***");
    CHECK(v.at("list").at(1) == 3);
}

TEST_CASE("config redaction also hides any key containing 'key'", "[admin][redact]")
{
    for(auto k : {"key", "apiKey", "KEY_ID", "signing_key", "api_secret", "token"})
        CHECK(is_secret_config_key(k));
    for(auto k : {"user", "tick_ms", "url", "category"})
        CHECK_FALSE(is_secret_config_key(k));
    auto out = json::serialize(redact_config(json::parse(R"({"tick_ms":5,"key":"k3y","auth":{"Token":"t0k"}})")));
    CHECK(out.find("k3y") == std::string::npos);
    CHECK(out.find("t0k") == std::string::npos);
    CHECK(out.find("\"tick_ms\":5") != std::string::npos);
}
