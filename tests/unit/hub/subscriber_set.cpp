// Test that header file is self-contained.
#include "hub/subscriber_set.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>

using tradepush::hub::conn_id;
using tradepush::hub::subscriber_set;

namespace {

std::map<std::size_t, std::vector<conn_id>>
lists(subscriber_set const& s)
{
    std::map<std::size_t, std::vector<conn_id>> out;
    s.for_each_shard([&](std::size_t shard, subscriber_set::list_ptr const& l) {
        auto v = *l;
        std::sort(v.begin(), v.end());
        out[shard] = v;
    });
    return out;
}

} // namespace

TEST_CASE("subscriber_set groups by shard and counts")
{
    subscriber_set s;
    CHECK(s.empty());
    s.insert(1, 0);
    s.insert(2, 3);
    s.insert(3, 0);
    CHECK(s.size() == 3);
    auto l = lists(s);
    CHECK(l.size() == 2);
    CHECK(l[0] == std::vector<conn_id>{1, 3});
    CHECK(l[3] == std::vector<conn_id>{2});
    CHECK(s.erase(2, 3));
    CHECK_FALSE(s.erase(2, 3));
    CHECK_FALSE(s.erase(1, 5));
    CHECK(lists(s).size() == 1); // an emptied shard disappears
    CHECK(s.erase(1, 0));
    CHECK(s.erase(3, 0));
    CHECK(s.empty());
    CHECK(lists(s).empty());
}

TEST_CASE("subscriber_set lists are copy-on-write and reused until a change")
{
    subscriber_set s;
    s.insert(1, 0);
    s.insert(2, 0);
    subscriber_set::list_ptr first, again;
    s.for_each_shard([&](std::size_t, subscriber_set::list_ptr const& l) { first = l; });
    s.for_each_shard([&](std::size_t, subscriber_set::list_ptr const& l) { again = l; });
    CHECK(first.get() == again.get()); // no rebuild without a change

    s.insert(3, 0);
    subscriber_set::list_ptr after;
    s.for_each_shard([&](std::size_t, subscriber_set::list_ptr const& l) { after = l; });
    CHECK(after.get() != first.get());
    // The list a shard may still be reading is untouched.
    CHECK(first->size() == 2);
    CHECK(after->size() == 3);
}

TEST_CASE("subscriber_set for_each visits every member with its shard")
{
    subscriber_set s;
    s.insert(7, 1);
    s.insert(8, 2);
    std::map<conn_id, std::size_t> seen;
    s.for_each([&](conn_id c, std::size_t shard) { seen[c] = shard; });
    CHECK(seen == std::map<conn_id, std::size_t>{{7, 1}, {8, 2}});
}
