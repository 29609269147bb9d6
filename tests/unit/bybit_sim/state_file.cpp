// Test that header file is self-contained.
#include "state_file.hpp"

#include "app.hpp"

#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>

#include <cstdio>
#include <fstream>

#include <unistd.h>

using namespace tradepush::bybit_sim;

namespace {

std::string
temp_file(std::string const& suffix, std::string const& text)
{
    // Unique per process so parallel ctest runs never share a file.
    std::string path = "/tmp/bybit_sim_state_" + std::to_string(::getpid()) + suffix;
    std::ofstream(path) << text;
    return path;
}

} // namespace

TEST_CASE("state file: JSON preset with instruments and users", "[state]")
{
    app a{sim_config{}};
    a.clock().freeze(1'700'000'000'000);
    auto const path = temp_file(".json", R"({
      "instruments": [{"symbol":"SOLUSDT","category":"linear","base":"SOL","quote":"USDT","price":"150",
                       "priceDecimals":3,"qtyDecimals":1}],
      "users": [{"user":"alice","keys":[{"key":"ak","secret":"as","permissions":"read_only"}],
                 "balances":{"USDT":"5000"},
                 "positions":[{"symbol":"SOLUSDT","size":"-10","avgPrice":"155","leverage":"5"}],
                 "orders":[{"category":"linear","symbol":"SOLUSDT","side":"Buy","qty":"1","price":"140"}]}]
    })");
    std::string err;
    REQUIRE(load_state_file(a, path, err));
    std::remove(path.c_str());
    auto const* key = a.eng().find_key("ak");
    REQUIRE(key);
    CHECK(key->perm == permission::read_only);
    auto const* acct = a.eng().find_account("alice");
    REQUIRE(acct);
    CHECK(acct->coins.at("USDT").wallet == Approx(5000));
    CHECK(acct->positions.at("SOLUSDT").size == Approx(-10));
    CHECK(a.eng().orders("alice", category::linear, false).size() == 1);
}

TEST_CASE("state file: TOML preset and errors", "[state]")
{
    app a{sim_config{}};
    install_demo_preset(a);
    auto const path = temp_file(".toml", R"(
[[users]]
user = "bob"
balances = { USDT = "100" }
[[users.keys]]
key = "bk"
secret = "bs"
permissions = "none"
)");
    std::string err;
    REQUIRE(load_state_file(a, path, err));
    std::remove(path.c_str());
    REQUIRE(a.eng().find_key("bk"));
    CHECK(a.eng().find_key("bk")->perm == permission::none);

    auto bad = boost::json::parse(R"({"users":[{"user":"x","keys":[{"key":"k","secret":"s","permissions":"god"}]}]})");
    CHECK_FALSE(apply_state(a, bad.as_object(), err));
    CHECK(err.find("permissions") != std::string::npos);
    auto bad_pos = boost::json::parse(R"({"users":[{"user":"x","positions":[{"symbol":"NOPE","size":"1","avgPrice":"1"}]}]})");
    CHECK_FALSE(apply_state(a, bad_pos.as_object(), err));
    CHECK_FALSE(load_state_file(a, "/nonexistent/state.json", err));
    auto const broken = temp_file(".broken.toml", "users = [");
    CHECK_FALSE(load_state_file(a, broken, err));
    std::remove(broken.c_str());
}
