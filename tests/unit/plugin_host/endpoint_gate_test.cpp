// Test that header file is self-contained.
#include "plugin_host/endpoint_gate.hpp"

#include <catch2/catch.hpp>

#include <vector>

using namespace tradepush::plugin_host;

namespace {

// Records when it got its slot; `accept` says whether it still wants one.
struct recorder final : gate_waiter {
    recorder(std::vector<int>& log, int id) : log_(log), id_(id) {}
    bool on_slot() override
    {
        if(!accept)
            return false;
        log_.push_back(id_);
        return true;
    }
    bool wants_slot() const override { return accept; }
    bool accept = true;

private:
    std::vector<int>& log_;
    int id_;
};

} // namespace

TEST_CASE("endpoint_gate: up to the limit at once, then in arrival order", "[endpoint_gate]")
{
    endpoint_gate g(2, 100);
    std::vector<int> log;
    auto a = std::make_shared<recorder>(log, 1);
    auto b = std::make_shared<recorder>(log, 2);
    auto c = std::make_shared<recorder>(log, 3);
    auto d = std::make_shared<recorder>(log, 4);
    CHECK(g.acquire("x", a) == gate_result::granted);
    CHECK(g.acquire("x", a) == gate_result::granted);
    CHECK(g.acquire("x", b) == gate_result::queued);
    CHECK(g.acquire("x", c) == gate_result::queued);
    // Another endpoint has slots of its own.
    CHECK(g.acquire("y", d) == gate_result::granted);
    CHECK(g.stats().in_use == 3);
    CHECK(g.stats().waiting == 2);

    g.release("x");
    CHECK(log == std::vector<int>{2});
    CHECK(g.in_use("x") == 2);
    // A free slot does not let a newcomer overtake the line.
    g.release("x");
    CHECK(log == std::vector<int>{2, 3});
    CHECK(g.acquire("x", d) == gate_result::queued);
    g.release("x");
    g.release("x");
    CHECK(log == std::vector<int>{2, 3, 4});
    g.release("x");
    g.release("y");
    CHECK(g.stats().in_use == 0);
    CHECK(g.stats().waiting == 0);
    // Releasing what is not held never underflows.
    g.release("x");
    CHECK(g.stats().in_use == 0);
}

TEST_CASE("endpoint_gate: a waiter that gave up or is gone passes the slot on", "[endpoint_gate]")
{
    endpoint_gate g(1, 100);
    std::vector<int> log;
    auto holder = std::make_shared<recorder>(log, 0);
    auto gone = std::make_shared<recorder>(log, 1);
    auto gave_up = std::make_shared<recorder>(log, 2);
    auto next = std::make_shared<recorder>(log, 3);
    REQUIRE(g.acquire("x", holder) == gate_result::granted);
    REQUIRE(g.acquire("x", gone) == gate_result::queued);
    REQUIRE(g.acquire("x", gave_up) == gate_result::queued);
    REQUIRE(g.acquire("x", next) == gate_result::queued);
    gone.reset();
    gave_up->accept = false;
    g.release("x");
    CHECK(log == std::vector<int>{3});
    CHECK(g.in_use("x") == 1);
    CHECK(g.stats().waiting == 0);
}

TEST_CASE("endpoint_gate: a full line refuses, after dropping those who gave up", "[endpoint_gate]")
{
    endpoint_gate g(1, 2);
    std::vector<int> log;
    auto holder = std::make_shared<recorder>(log, 0);
    auto w1 = std::make_shared<recorder>(log, 1);
    auto w2 = std::make_shared<recorder>(log, 2);
    auto w3 = std::make_shared<recorder>(log, 3);
    REQUIRE(g.acquire("x", holder) == gate_result::granted);
    REQUIRE(g.acquire("x", w1) == gate_result::queued);
    REQUIRE(g.acquire("x", w2) == gate_result::queued);
    CHECK(g.acquire("x", w3) == gate_result::full);
    w1->accept = false;
    CHECK(g.acquire("x", w3) == gate_result::queued);
    CHECK(g.stats().waiting == 2);
    g.release("x");
    CHECK(log == std::vector<int>{2});
}

TEST_CASE("endpoint_gate: a limit of 0 is unlimited", "[endpoint_gate]")
{
    endpoint_gate g(0, 0);
    std::vector<int> log;
    auto a = std::make_shared<recorder>(log, 1);
    for(int i = 0; i < 1000; ++i)
        REQUIRE(g.acquire("x", a) == gate_result::granted);
    CHECK(g.stats().in_use == 1000);
}
