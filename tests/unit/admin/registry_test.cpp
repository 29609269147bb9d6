// Test that header file is self-contained.
#include "admin/registry.hpp"

#include "catch_result.hpp"

#include <catch2/catch.hpp>

#include <thread>

using namespace tradepush::admin;
namespace json = boost::json;

namespace {

command_handler
noop()
{
    return [](json::object, caller const&, responder r) { r.ok(); };
}

} // namespace

TEST_CASE("registry adds, finds and filters by level", "[admin][registry]")
{
    command_registry reg;
    REQUIRE(reg.add(command{"status", level::read, "state", noop()}));
    REQUIRE(reg.add(command{"user.flush", level::operate, "flush", noop()}));
    REQUIRE(reg.add(command{"config reload", level::admin, "reload", noop()}));

    CHECK(reg.find("user flush") != nullptr); // stored normalized
    CHECK(reg.find("user.flush") == nullptr); // lookups take normalized names
    CHECK(reg.find("nope") == nullptr);

    auto names = [&](level l) {
        std::vector<std::string> out;
        for(auto const* c : reg.available(l))
            out.push_back(c->name);
        return out;
    };
    CHECK(names(level::read) == std::vector<std::string>{"status"});
    CHECK(names(level::operate) == std::vector<std::string>{"status", "user flush"});
    CHECK(names(level::admin) == std::vector<std::string>{"config reload", "status", "user flush"});
}

TEST_CASE("registry refuses bad entries", "[admin][registry]")
{
    command_registry reg;
    REQUIRE(reg.add(command{"ping", level::read, "", noop()}));
    auto dup = reg.add(command{"ping", level::read, "", noop()});
    REQUIRE_FALSE(dup);
    CHECK(dup.error().find("twice") != std::string::npos);
    CHECK_FALSE(reg.add(command{" ", level::read, "", noop()}));
    CHECK_FALSE(reg.add(command{"x", level::read, "", {}}));
}

TEST_CASE("responder: first call wins, across threads", "[admin][registry]")
{
    std::atomic<int> calls{0};
    std::atomic<bool> was_ok{false};
    responder r([&](command_result res) {
        ++calls;
        was_ok = res.has_value();
    });
    std::thread t([r] { r.ok(json::value(1)); });
    t.join();
    r.fail("failed", "too late");
    CHECK(calls == 1);
    CHECK(was_ok);
}
