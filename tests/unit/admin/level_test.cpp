// Test that header file is self-contained.
#include "admin/level.hpp"

#include <catch2/catch.hpp>

using namespace tradepush::admin;

TEST_CASE("level names round-trip", "[admin][level]")
{
    for(auto l : {level::read, level::operate, level::admin})
        CHECK(parse_level(to_string(l)) == l);
    CHECK_FALSE(parse_level("root"));
    CHECK_FALSE(parse_level(""));
}

TEST_CASE("level_for maps injected credentials", "[admin][level]")
{
    level_policy policy;
    policy.daemon_uid = 998;
    policy.admin_gid = 1500;
    policy.operate_gid = 1600;

    auto peer = [](uid_t uid, gid_t gid, std::vector<gid_t> groups = {}) {
        peer_credentials p;
        p.pid = 1;
        p.uid = uid;
        p.gid = gid;
        p.groups = std::move(groups);
        return p;
    };

    SECTION("root is admin whatever its groups")
    {
        CHECK(level_for(peer(0, 0), policy) == level::admin);
    }
    SECTION("the daemon's own uid is admin (ExecReload= runs as it)")
    {
        CHECK(level_for(peer(998, 998), policy) == level::admin);
    }
    SECTION("admin group as supplementary or primary gid")
    {
        CHECK(level_for(peer(1000, 1000, {27, 1500}), policy) == level::admin);
        CHECK(level_for(peer(1000, 1500), policy) == level::admin);
    }
    SECTION("operate group")
    {
        CHECK(level_for(peer(1001, 1001, {1600}), policy) == level::operate);
        CHECK(level_for(peer(1001, 1600), policy) == level::operate);
    }
    SECTION("admin wins over operate")
    {
        CHECK(level_for(peer(1002, 1002, {1600, 1500}), policy) == level::admin);
    }
    SECTION("anyone else is read")
    {
        CHECK(level_for(peer(65534, 65534), policy) == level::read);
        CHECK(level_for(peer(1003, 1003, {27, 100}), policy) == level::read);
    }
    SECTION("no groups configured: only root and the daemon")
    {
        level_policy bare;
        bare.daemon_uid = 998;
        CHECK(level_for(peer(1000, 1500, {1500}), bare) == level::read);
        CHECK(level_for(peer(998, 998), bare) == level::admin);
    }
}
