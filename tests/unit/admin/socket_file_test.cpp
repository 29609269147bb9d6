// Test that header file is self-contained.
#include "admin/socket_file.hpp"

#include "test_util.hpp"

#include "catch_result.hpp"

#include <catch2/catch.hpp>

#include <fstream>

using namespace tradepush::admin;

namespace {

// A socket file bound by `fd`; listening only if asked.
int
bind_at(std::string const& path, bool listen)
{
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.data(), path.size());
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    if(listen)
        REQUIRE(::listen(fd, 4) == 0);
    return fd;
}

} // namespace

TEST_CASE("claim_socket_path", "[admin][socket_file]")
{
    admin_test::temp_dir dir;
    auto const path = dir.file("admin.sock");

    SECTION("absent: free")
    {
        CHECK(claim_socket_path(path));
    }
    SECTION("stale socket (nobody listens): removed")
    {
        ::close(bind_at(path, false));
        REQUIRE(identify(path));
        CHECK(claim_socket_path(path));
        CHECK_FALSE(identify(path));
    }
    SECTION("live socket: refused, left alone")
    {
        int fd = bind_at(path, true);
        auto r = claim_socket_path(path);
        REQUIRE_FALSE(r);
        CHECK(r.error().find("answers") != std::string::npos);
        CHECK(identify(path));
        ::close(fd);
    }
    SECTION("regular file: refused")
    {
        std::ofstream(path) << "x";
        auto r = claim_socket_path(path);
        REQUIRE_FALSE(r);
        CHECK(r.error().find("not a socket") != std::string::npos);
    }
    SECTION("path too long")
    {
        CHECK_FALSE(claim_socket_path(dir.path + "/" + std::string(120, 'x')));
    }
}

TEST_CASE("resolve_group and permissions", "[admin][socket_file]")
{
    admin_test::temp_dir dir;
    auto const path = dir.file("admin.sock");
    auto g = resolve_group("root");
    REQUIRE(g);
    CHECK(*g == 0);
    auto missing = resolve_group("no-such-group-tradepush");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().find("does not exist") != std::string::npos);

    int fd = bind_at(path, true);
    REQUIRE(set_socket_permissions(path, 0640, gid_t{0}));
    struct stat st{};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0640);
    CHECK(st.st_gid == 0);
    ::close(fd);
}

TEST_CASE("remove_if_same spares a successor's socket", "[admin][socket_file]")
{
    admin_test::temp_dir dir;
    auto const path = dir.file("admin.sock");
    // Our listener stays open (as in the daemon), which keeps its inode from being recycled.
    int ours = bind_at(path, true);
    auto const mine = identify(path);
    REQUIRE(mine);
    ::unlink(path.c_str());
    // Someone removed the file and a successor bound the same path: a new inode.
    ::close(bind_at(path, false));
    remove_if_same(path, *mine);
    ::close(ours);
    CHECK(identify(path));
    remove_if_same(path, *identify(path));
    CHECK_FALSE(identify(path));
}
