// The shared REST budget of one Bybit host: the sliding window, priorities, coalescing, the IP pause.
#include "rest_budget.hpp"

#include <catch2/catch.hpp>

using namespace tradepush::bybit;
using namespace std::chrono_literals;
using time_point = rest_budget::time;

namespace {

rest_budget
small(std::size_t limit = 3)
{
    rest_budget_config c;
    c.limit = limit;
    c.window = 1000ms;
    c.ban_pause = 10000ms;
    return rest_budget(c);
}

// The ticket of a grant, or nullopt.
std::optional<rest_ticket>
ticket_of(std::optional<rest_grant> const& g)
{
    return g ? std::optional<rest_ticket>(g->ticket) : std::nullopt;
}

} // namespace

TEST_CASE("rest_budget: never more than the limit within any window", "[bybit][budget]")
{
    auto b = small(3);
    time_point t = 1h;
    for(auto at : {t, t + 100ms, t + 200ms}) {
        REQUIRE(b.try_send(rest_priority::snapshot, at));
        b.on_answer(rest_answer::fine, at);
    }
    CHECK_FALSE(b.try_send(rest_priority::snapshot, t + 300ms));
    // Room comes back exactly when the oldest call leaves the window (a sliding window, not a bucket
    // that would allow twice the limit across a boundary).
    CHECK_FALSE(b.try_send(rest_priority::snapshot, t + 999ms));
    CHECK(b.try_send(rest_priority::snapshot, t + 1000ms));
    CHECK_FALSE(b.try_send(rest_priority::snapshot, t + 1050ms));
    CHECK(b.stats(t + 1050ms).in_window == 3);
}

TEST_CASE("rest_budget: a call holds its place while in flight and a whole window after its answer",
    "[bybit][budget]")
{
    // Bybit counts a call when it arrives, which may be long after it was sent (queued behind the
    // host's connection bound): counting at the send would let two windows' calls land in one.
    auto b = small(2);
    time_point t = 1h;
    REQUIRE(b.try_send(rest_priority::snapshot, t));
    REQUIRE(b.try_send(rest_priority::snapshot, t));
    b.enqueue(rest_priority::snapshot, {1, 0}, t);
    CHECK_FALSE(b.next(t + 3s).has_value()); // both still in flight, whatever the clock says
    CHECK(b.next_at(t + 3s) == std::nullopt); // only an answer can make room
    b.on_answer(rest_answer::fine, t + 3s);
    CHECK_FALSE(b.next(t + 3s + 999ms).has_value());
    CHECK(b.next_at(t + 3s) == t + 4s);
    CHECK(ticket_of(b.next(t + 4s)) == rest_ticket{1, 0});
}

TEST_CASE("rest_budget: waiting calls go most urgent first, in arrival order within a priority",
    "[bybit][budget]")
{
    auto b = small(1);
    time_point t = 1h;
    REQUIRE(b.try_send(rest_priority::snapshot, t));
    b.on_answer(rest_answer::fine, t);
    b.enqueue(rest_priority::periodic, {1, 0}, t);
    b.enqueue(rest_priority::reconnect, {2, 0}, t);
    b.enqueue(rest_priority::snapshot, {3, 0}, t);
    b.enqueue(rest_priority::snapshot, {4, 1}, t);
    // A newcomer does not overtake what waits at its own or a more urgent priority.
    CHECK_FALSE(b.try_send(rest_priority::snapshot, t + 5s));
    CHECK(b.next(t + 100ms) == std::nullopt);
    CHECK(b.next_at(t + 100ms) == t + 1000ms);
    std::vector<std::uint64_t> order;
    auto now = t + 1000ms;
    while(auto n = b.next(now)) {
        b.on_answer(rest_answer::fine, now);
        order.push_back(n->ticket.session);
        now += 1000ms;
        CHECK_FALSE(b.next(now - 1ms).has_value());
    }
    CHECK(order == std::vector<std::uint64_t>{3, 4, 2, 1});
    auto const s = b.stats(now);
    CHECK(s.granted[0] == 2);
    CHECK(s.granted[1] == 1);
    CHECK(s.granted[2] == 1);
    CHECK(s.waited_s[2] == Approx(4.0));
    CHECK(b.next_at(now) == std::nullopt);
}

TEST_CASE("rest_budget: one ticket per session and resource, moving up when asked more urgently",
    "[bybit][budget]")
{
    auto b = small(1);
    time_point t = 1h;
    REQUIRE(b.try_send(rest_priority::snapshot, t));
    b.on_answer(rest_answer::fine, t);
    b.enqueue(rest_priority::periodic, {1, 2}, t);
    b.enqueue(rest_priority::reconnect, {9, 0}, t);
    b.enqueue(rest_priority::periodic, {1, 2}, t); // the same call again: shared
    b.enqueue(rest_priority::snapshot, {1, 2}, t); // a client now waits for it: it moves up
    b.enqueue(rest_priority::reconnect, {1, 2}, t); // less urgent than where it is: stays
    auto const s = b.stats(t);
    CHECK(s.queued[0] == 1);
    CHECK(s.queued[1] == 1);
    CHECK(s.queued[2] == 0);
    CHECK(b.queued({1, 2}));
    CHECK(ticket_of(b.next(t + 1s)) == rest_ticket{1, 2});
    b.on_answer(rest_answer::fine, t + 1s);
    CHECK_FALSE(b.queued({1, 2}));
    b.forget(9);
    CHECK(b.next(t + 2s) == std::nullopt);
    CHECK(b.next_at(t + 2s) == std::nullopt);
}

TEST_CASE("rest_budget: a 403 pauses the host, one probe after the pause decides", "[bybit][budget]")
{
    auto b = small(100);
    time_point t = 1h;
    REQUIRE(b.try_send(rest_priority::snapshot, t));
    REQUIRE(b.try_send(rest_priority::snapshot, t));
    CHECK(b.on_answer(rest_answer::ip_limited, t + 10ms) == rest_transition::paused);
    // The second account's 403 is the same ban: no second transition (one log line, one metric).
    CHECK(b.on_answer(rest_answer::ip_limited, t + 20ms) == rest_transition::none);
    CHECK_FALSE(b.try_send(rest_priority::snapshot, t + 5s));
    b.enqueue(rest_priority::snapshot, {1, 0}, t + 5s);
    b.enqueue(rest_priority::snapshot, {2, 0}, t + 5s);
    // The later 403 (a call sent before the ban) counts the pause from itself: never shorter.
    CHECK(b.next_at(t + 5s) == t + 20ms + 10000ms);
    CHECK(b.next(t + 10s) == std::nullopt);
    // The pause is over: exactly one call goes, the rest wait for its answer.
    auto const after = t + 10020ms;
    CHECK(ticket_of(b.next(after)) == rest_ticket{1, 0});
    CHECK(b.next(after) == std::nullopt);
    CHECK(b.next_at(after) == std::nullopt);
    SECTION("the probe is refused again: another whole pause")
    {
        CHECK(b.on_answer(rest_answer::ip_limited, after + 50ms) == rest_transition::none);
        CHECK(b.next(after + 9s) == std::nullopt);
        CHECK(ticket_of(b.next(after + 50ms + 10000ms)) == rest_ticket{2, 0});
    }
    SECTION("the probe gets no answer: another probe may go")
    {
        CHECK(b.on_answer(rest_answer::none, after + 50ms) == rest_transition::none);
        CHECK(ticket_of(b.next(after + 60ms)) == rest_ticket{2, 0});
    }
    SECTION("the probe is answered: everyone resumes")
    {
        CHECK(b.on_answer(rest_answer::fine, after + 50ms) == rest_transition::resumed);
        CHECK(ticket_of(b.next(after + 60ms)) == rest_ticket{2, 0});
        CHECK(b.try_send(rest_priority::periodic, after + 70ms));
        CHECK_FALSE(b.stats(after + 70ms).paused);
        CHECK(b.stats(after + 70ms).pauses == 1);
    }
}

TEST_CASE("rest_budget: an answer to a call sent before the ban does not lift it", "[bybit][budget]")
{
    auto b = small(100);
    time_point t = 1h;
    REQUIRE(b.try_send(rest_priority::snapshot, t));
    REQUIRE(b.try_send(rest_priority::snapshot, t));
    REQUIRE(b.on_answer(rest_answer::ip_limited, t + 10ms) == rest_transition::paused);
    CHECK(b.on_answer(rest_answer::fine, t + 20ms) == rest_transition::none);
    CHECK(b.stats(t + 20ms).paused);
}

TEST_CASE("rest_budget: calls that do not wait are counted all the same", "[bybit][budget]")
{
    auto b = small(2);
    time_point t = 1h;
    b.count(t);
    b.count(t);
    CHECK_FALSE(b.try_send(rest_priority::snapshot, t + 1ms));
    b.on_answer(rest_answer::fine, t);
    b.on_answer(rest_answer::fine, t);
    CHECK(b.try_send(rest_priority::snapshot, t + 1000ms));
}
