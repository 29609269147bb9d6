// DESIGN §4 invariant 2: data of user A never reaches a connection of user B.

#include "hub_test_support.hpp"

#include "feed/scripted_data.hpp"

using namespace tradepush;
using namespace tradepush::test;
using feed::stream_type;

TEST_CASE("isolation: interleaved answers for two users reach only their own connections")
{
    manual_harness t;
    REQUIRE(t.attach(1, "alice", 0));
    REQUIRE(t.attach(2, "bob", 0)); // same shard as alice's first device
    REQUIRE(t.attach(3, "alice", 1));
    REQUIRE(t.attach(4, "bob", 1));
    t.sub_trading(1, trading_args({"balance", "orders"}));
    auto const ea = t.provider.last("open_account").epoch;
    t.sub_trading(2, trading_args({"balance", "orders"}));
    auto const eb = t.provider.last("open_account").epoch;
    CHECK(ea != eb);
    t.sub_trading(3, trading_args({"balance"}));
    t.sub_trading(4, trading_args({"balance"}));

    auto* sink = t.provider.sink;
    for(int i = 0; i < 5; ++i) {
        sink->on_account_data("alice", "main", stream_type::balance, balance(1000 + i), ea);
        sink->on_account_data("bob", "main", stream_type::balance, balance(2000 + i), eb);
        sink->on_account_data("bob", "main", stream_type::orders, json::parse(R"({"orders":["bob"]})"), eb);
        sink->on_account_data("alice", "main", stream_type::orders, json::parse(R"({"orders":["alice"]})"), ea);
        // Same account label, wrong user's epoch: must never cross over.
        sink->on_account_data("alice", "main", stream_type::balance, balance(9999), eb);
        sink->on_account_data("bob", "main", stream_type::balance, balance(9999), ea);
    }

    auto owned_by = [](json::value const& data) -> std::string {
        if(data.as_object().contains("orders"))
            return std::string(data.at("orders").at(0).as_string());
        auto const eq = data.at("total_equity").to_number<double>();
        if(eq >= 1000 && eq < 2000)
            return "alice";
        if(eq >= 2000 && eq < 3000)
            return "bob";
        return "nobody";
    };
    std::map<conn_id, std::string> user_of{{1, "alice"}, {2, "bob"}, {3, "alice"}, {4, "bob"}};
    for(auto [c, user] : user_of) {
        std::size_t n = 0;
        for(auto const& d : t.got(c)) {
            if(d.event == "#ack")
                continue;
            ++n;
            CHECK(owned_by(d.body.at("data")) == user);
        }
        CHECK(n >= 5);
    }
    CHECK(t.stats().stale_epoch_drops == 10);
}

TEST_CASE("isolation with the scripted feed: each user only ever sees their own deterministic data")
{
    feed::scripted_options o;
    o.tick_interval = std::chrono::milliseconds(5);
    scripted_harness t({}, o);
    REQUIRE(t.attach(1, "alice", 0));
    REQUIRE(t.attach(2, "bob", 0));
    t.sub_trading(1, trading_args({"balance", "positions", "pnl", "orders"}));
    t.sub_trading(2, trading_args({"balance", "positions", "pnl", "orders"}));
    CHECK(t.run_until([&] { return t.got(1, "balance").size() >= 4 && t.got(2, "balance").size() >= 4; }));

    auto const seed_a = feed::script::account_seed("alice", "main");
    auto const seed_b = feed::script::account_seed("bob", "main");
    auto is_state_of = [](std::uint64_t seed, stream_type type, json::value const& data) {
        for(std::uint64_t step = 0; step < 200; ++step)
            if(same_json(feed::script::account_state(seed, step, type), data))
                return true;
        return false;
    };
    for(auto [c, mine, theirs] : {std::tuple{conn_id{1}, seed_a, seed_b}, std::tuple{conn_id{2}, seed_b, seed_a}}) {
        std::size_t n = 0;
        for(auto const& d : t.got(c)) {
            auto type = feed::parse_stream_type(d.event);
            if(!type)
                continue;
            ++n;
            CHECK(is_state_of(mine, *type, d.body.at("data")));
            CHECK_FALSE(is_state_of(theirs, *type, d.body.at("data")));
        }
        CHECK(n >= 8); // snapshots plus ticks actually flowed
    }
}
