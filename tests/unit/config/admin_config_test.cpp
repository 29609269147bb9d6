// [admin]: the operators' socket settings.
#include "config/config.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

using tradepush::config::load_string;

TEST_CASE("[admin] keys reach daemon_config, bad values are refused at the value", "[config][admin]")
{
    std::string const keys = "\n[[auth.keys]]\nalg = \"HS256\"\nsecret = \"unit-test-secret-0123456789abcdef-xyz\"\n";
    auto def = load_string(keys, "test.toml", "/etc/tradepushd");
    REQUIRE(def.has_value());
    CHECK(def->admin.socket == "/run/tradepushd/admin.sock");
    CHECK(def->admin.mode == 0660);
    auto cfg = load_string(R"([admin]
socket = "run/admin.sock"
mode = "0600"
group = "ops"
admin_group = "ops"
operate_group = "support"
max_connections = 4
max_request_bytes = 4096
idle_timeout_s = 10
command_timeout_s = 30
)" + keys, "test.toml", "/etc/tradepushd");
    REQUIRE(cfg.has_value());
    CHECK(cfg->admin.socket == "/etc/tradepushd/run/admin.sock");
    CHECK(cfg->admin.mode == 0600);
    CHECK(cfg->admin.group == "ops");
    CHECK(cfg->admin.operate_group == "support");
    CHECK(cfg->admin.max_connections == 4);
    CHECK(cfg->admin.max_request_bytes == 4096);
    CHECK(cfg->admin.idle_timeout == std::chrono::seconds(10));
    CHECK(cfg->admin.command_timeout == std::chrono::seconds(30));
    auto off = load_string("[admin]\nsocket = \"\"\n" + keys, "test.toml", "/etc");
    REQUIRE(off.has_value());
    CHECK(off->admin.socket.empty());
    for(auto const* bad : {"[admin]\nmode = \"rw\"\n", "[admin]\nmode = \"0999\"\n", "[admin]\nmax_connections = 0\n",
            "[admin]\nsockte = \"/x\"\n"}) {
        INFO(bad);
        auto r = load_string(bad + keys, "test.toml", "/etc");
        REQUIRE(r.has_error());
        CHECK(r.error().message.find("test.toml:2:") == 0);
    }
    auto long_path = load_string("[admin]\nsocket = \"/" + std::string(120, 'x') + "\"\n" + keys, "test.toml", "/etc");
    REQUIRE(long_path.has_error());
    CHECK(long_path.error().message.find("107 bytes") != std::string::npos);
}
