// Test that header file is self-contained.
#include "app/config_view.hpp"

#include "config/credentials.hpp"

#include <boost/json/serialize.hpp>

#include <catch2/catch.hpp>

using namespace tradepush;
namespace json = boost::json;

TEST_CASE("config_view shows the config and never a secret", "[app][config_view]")
{
    config::daemon_config cfg;
    cfg.source = "/etc/tradepushd/tradepushd.toml";
    cfg.auth.keys.push_back({"k1", "HS256", "hs256-shared-secret-bytes"});
    cfg.auth.keys.push_back({"k2", "RS256", "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkq\n-----END PUBLIC KEY-----\n"});
    cfg.auth.issuer = "issuer.example";
    cfg.plugins.load.push_back({"libtradepush-bybit.so",
        R"({"tick_ms":250,"api_key":"plugin-api-key","nested":{"Password":"pw-in-plugin","KEY":"upper-key"},"url":"wss://x"})"});
    auto store = std::make_shared<config::credentials>();
    store->users["alice"].push_back({"main", "bybit", "mainnet", "alice-api-key", "alice-api-secret"});
    cfg.credentials.file = "/etc/tradepushd/credentials.toml";
    cfg.credentials.store = store;
    cfg.admin.group = "tradepushd-admin";

    auto const text = json::serialize(app::config_view(cfg));
    for(auto secret : {"hs256-shared-secret-bytes", "MIIBIjANBgkq", "plugin-api-key", "pw-in-plugin", "upper-key",
            "alice-api-key", "alice-api-secret"}) {
        INFO(secret);
        CHECK(text.find(secret) == std::string::npos);
    }
    // What is not secret is there.
    for(auto shown : {"/etc/tradepushd/credentials.toml", "issuer.example", "\"tick_ms\":250", "wss://x",
            "\"alg\":\"HS256\"", "\"kid\":\"k1\"", "tradepushd-admin", "\"mode\":\"0660\"", "\"accounts\":1"}) {
        INFO(shown);
        CHECK(text.find(shown) != std::string::npos);
    }
}
