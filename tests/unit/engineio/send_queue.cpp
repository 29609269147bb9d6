// Test that header file is self-contained.
#include "engineio/send_queue.hpp"

#include <catch2/catch.hpp>

using namespace tradepush;
using namespace tradepush::engineio;

TEST_CASE("send_queue conflates by key in place and keeps FIFO otherwise", "[send_queue]")
{
    send_queue q;
    auto a1 = outbound_message::text("4a1");
    auto b1 = outbound_message::text("4b1");
    auto x = outbound_message::text("4x");
    auto a2 = outbound_message::text("4a2");
    CHECK_FALSE(q.push(a1, 1));
    CHECK_FALSE(q.push(b1, 2));
    CHECK_FALSE(q.push(x, 0));
    CHECK(q.push(a2, 1)); // replaces a1, keeps its place
    CHECK(q.size() == 3);
    std::vector<outbound_ptr> out;
    q.pop_all(out);
    REQUIRE(out.size() == 3);
    CHECK(out[0] == a2);
    CHECK(out[1] == b1);
    CHECK(out[2] == x);
    CHECK(q.bytes() == 0);

    // Once sent, a key starts a new entry.
    CHECK_FALSE(q.push(a1, 1));
    CHECK(q.size() == 1);
}

TEST_CASE("send_queue byte accounting and batch limits", "[send_queue]")
{
    send_queue q;
    for(int i = 0; i < 10; ++i)
        q.push(outbound_message::text(std::string(100, 'z')), 0);
    CHECK(q.bytes() == 10 * 102);
    std::vector<outbound_ptr> out;
    q.pop_batch(out, 3, 1 << 20);
    CHECK(out.size() == 3);
    out.clear();
    q.pop_batch(out, 100, 150); // stops once the byte budget is reached
    CHECK(out.size() == 2);
    CHECK(q.size() == 5);
    CHECK(q.bytes() == 5 * 102);
    // A conflating key whose old slot was popped must not point at a stale position.
    q.clear();
    q.push(outbound_message::text("4k1"), 7);
    out.clear();
    q.pop_all(out);
    q.push(outbound_message::text("4o"), 0);
    CHECK_FALSE(q.push(outbound_message::text("4k2"), 7));
    CHECK(q.size() == 2);
}

TEST_CASE("send_queue: a long queue (a slow consumer) conflates through its key index", "[send_queue]")
{
    send_queue q;
    std::vector<outbound_ptr> out;
    // Past scan_limit the keys move into an index; conflation and order must not change.
    std::size_t const n = send_queue::scan_limit * 4;
    for(std::size_t k = 1; k <= n; ++k)
        CHECK_FALSE(q.push(outbound_message::text("4old" + std::to_string(k)), k));
    for(std::size_t k = 1; k <= n; ++k)
        CHECK(q.push(outbound_message::text("4new" + std::to_string(k)), k));
    CHECK(q.size() == n);
    // Popping part of it: the rest still conflates in place, sent keys start new entries.
    q.pop_batch(out, n - 4, static_cast<std::size_t>(-1));
    REQUIRE(out.size() == n - 4);
    CHECK(out.front()->payload() == "4new1");
    CHECK(q.push(outbound_message::text("4newest" + std::to_string(n)), n));
    CHECK_FALSE(q.push(outbound_message::text("4again1"), 1));
    out.clear();
    q.pop_all(out);
    REQUIRE(out.size() == 5);
    CHECK(out[3]->payload() == "4newest" + std::to_string(n));
    CHECK(out[4]->payload() == "4again1");
    CHECK(q.empty());
    CHECK(q.bytes() == 0);
}

TEST_CASE("send_queue: a queue that never drains does not keep its sent slots", "[send_queue]")
{
    send_queue q;
    std::vector<outbound_ptr> out;
    // Always a few behind: push 3, pop 2, for a long time; keys cycle over 5 streams.
    for(int round = 0; round < 10000; ++round) {
        for(int i = 0; i < 3; ++i)
            q.push(outbound_message::text("4m"), static_cast<std::uint64_t>(round * 3 + i) % 5 + 1);
        out.clear();
        q.pop_batch(out, 2, static_cast<std::size_t>(-1));
    }
    // Five keys: never more than five queued, whatever the history.
    CHECK(q.size() <= 5);
    CHECK(q.bytes() == q.size() * 4);
    CHECK(q.capacity() <= 256);
    // Drained, it gives its storage back: idle connections hold no queue memory.
    out.clear();
    q.pop_all(out);
    CHECK(q.capacity() == 0);
}
