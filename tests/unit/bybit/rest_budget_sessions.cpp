// The shared REST budget as account sessions meet it through the adapter and the fake host: one window
// for every account of a host, the waiting line's priorities, a call shared instead of sent twice,
// `upstream_queued`, and the IP-wide pause after a 403.
#include "driver.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace tradepush::bybit;
using namespace tradepush::bybit::test;
namespace sdk = tradepush::sdk;

namespace {

constexpr std::uint32_t all_mask = 0xf;
constexpr std::uint64_t window_ns = 5'000'000'000ull;

// The driver's loopback config with a REST budget of `limit` calls per 5 s.
std::string
budget_config(int limit)
{
    auto c = std::string(rig::default_config());
    c.pop_back();
    return c + R"(,"rest_ip_limit":)" + std::to_string(limit) + R"(,"rest_ip_window_ms":5000,"ip_ban_backoff_ms":60000})";
}

sdk::account
account_of(std::string_view key)
{
    return sdk::account{"main", "bybit", "testnet", key, "test_secret"};
}

std::string const ok_wallet = R"({"retCode":0,"retMsg":"OK","result":{"list":[{"accountType":"UNIFIED",)"
                              R"("totalEquity":"1","coin":[]}]},"retExtInfo":{},"time":1})";
std::string const ok_list = R"({"retCode":0,"retMsg":"OK","result":{"category":"linear","nextPageCursor":"",)"
                            R"("list":[]},"retExtInfo":{},"time":1})";

// Live account calls (wallet, positions, orders) of `user`.
std::vector<fake_host::op_record>
calls_of(rig& r, std::string_view user)
{
    std::vector<fake_host::op_record> out;
    for(auto const& op : r.fh.live("http", "/v5/"))
        if(op.user == user && op.url.find("/v5/market/time") == std::string::npos)
            out.push_back(op);
    return out;
}

// Every account call issued so far (answered or not).
std::size_t
issued(rig& r)
{
    return static_cast<std::size_t>(std::count_if(r.fh.ops.begin(), r.fh.ops.end(), [](auto const& op) {
        return op.kind == "http" && op.url.find("/v5/market/time") == std::string::npos;
    }));
}

// Answers every live account call of `user` with an empty success.
void
answer_all(rig& r, std::string_view user)
{
    for(auto const& op : calls_of(r, user))
        r.http(op, 200, op.url.find("wallet") != std::string::npos ? ok_wallet : ok_list);
}

// The timer of the host's waiting line (every network of the rig has the same REST host: budget 0).
fake_host::op_record
line_timer(rig& r)
{
    constexpr std::uint64_t cookie = make_cookie(4, 1);
    std::vector<fake_host::op_record> found;
    for(auto const& op : r.fh.live("timer"))
        if(op.cookie == cookie)
            found.push_back(op);
    REQUIRE(found.size() == 1);
    return found.front();
}

// True when the line has no timer armed (nothing waits).
bool
line_idle(rig& r)
{
    auto const timers = r.fh.live("timer");
    return std::none_of(timers.begin(), timers.end(), [](auto const& op) { return op.cookie == make_cookie(4, 1); });
}

// Lets the window pass and fires the line's timer.
void
next_window(rig& r)
{
    r.fh.now_ns += window_ns;
    r.fire(line_timer(r));
}

std::vector<std::string>
codes_of(rig& r, std::string_view user)
{
    std::vector<std::string> out;
    for(auto const& e : r.fh.statuses())
        if(e.user == user)
            out.push_back(e.code);
    return out;
}

} // namespace

TEST_CASE("REST budget: every account of a host shares one window, and a waiting client hears upstream_queued",
    "[bybit][budget]")
{
    rig r(budget_config(4));
    REQUIRE(r.a.open_account(sdk::owner{"u1", 1}, account_of("k1"), all_mask) == sdk::status::ok);
    r.answer_time(0); // the clock sync spends one place
    CHECK(calls_of(r, "u1").size() == 3);
    REQUIRE(r.a.open_account(sdk::owner{"u2", 1}, account_of("k2"), all_mask) == sdk::status::ok);
    // The window is full: u2 waits instead of collecting a 403, and its client is told why.
    CHECK(calls_of(r, "u2").empty());
    auto const codes = codes_of(r, "u2");
    CHECK(codes.size() == 4); // balance, positions, pnl, orders
    CHECK(std::all_of(codes.begin(), codes.end(), [](auto const& c) { return c == "upstream_queued"; }));
    answer_all(r, "u1");
    CHECK(calls_of(r, "u2").empty()); // answers do not free places: time does
    next_window(r);
    CHECK(calls_of(r, "u2").size() == 3);
    answer_all(r, "u2");
    CHECK(codes_of(r, "u2").back() == "ok");
    CHECK(line_idle(r)); // nothing waits: no timer left armed
}

TEST_CASE("REST budget: a waiting client's snapshot goes before a reconnect reconciliation", "[bybit][budget]")
{
    rig r(budget_config(4));
    REQUIRE(r.a.open_account(sdk::owner{"u1", 1}, account_of("k1"), all_mask) == sdk::status::ok);
    r.answer_time(0);
    answer_all(r, "u1");
    // u1's private stream comes up: its reconciliation (3 calls) waits, the window being full.
    auto const ws = r.one("ws", "/v5/private");
    r.ws(ws, sdk::ws_event_kind::open);
    r.ws(ws, sdk::ws_event_kind::text, read_fixture("ws_auth_success.docs.json"));
    r.ws(ws, sdk::ws_event_kind::text, read_fixture("ws_subscribe_ack_private.docs.json"));
    CHECK(calls_of(r, "u1").empty());
    // u2 arrives later but has a client waiting: its three go first.
    REQUIRE(r.a.open_account(sdk::owner{"u2", 1}, account_of("k2"), all_mask) == sdk::status::ok);
    next_window(r);
    CHECK(calls_of(r, "u2").size() == 3);
    CHECK(calls_of(r, "u1").size() == 1);
    answer_all(r, "u1");
    answer_all(r, "u2");
    next_window(r);
    CHECK(calls_of(r, "u1").size() == 2);
}

TEST_CASE("REST budget: a reconciliation asked while a snapshot was in flight waits behind other clients' "
          "snapshots",
    "[bybit][budget]")
{
    rig r(budget_config(4));
    REQUIRE(r.a.open_account(sdk::owner{"u1", 1}, account_of("k1"), all_mask) == sdk::status::ok);
    r.answer_time(0);
    REQUIRE(calls_of(r, "u1").size() == 3);
    // u1's private stream comes up while its snapshots are in flight: they must be fetched again after.
    auto const ws = r.one("ws", "/v5/private");
    r.ws(ws, sdk::ws_event_kind::open);
    r.ws(ws, sdk::ws_event_kind::text, read_fixture("ws_auth_success.docs.json"));
    r.ws(ws, sdk::ws_event_kind::text, read_fixture("ws_subscribe_ack_private.docs.json"));
    answer_all(r, "u1"); // the fetches again queue now, ahead of u2 in time
    REQUIRE(r.a.open_account(sdk::owner{"u2", 1}, account_of("k2"), all_mask) == sdk::status::ok);
    next_window(r);
    // u2's client waits for its first data: its three go first, u1's reconciliation gets the rest.
    CHECK(calls_of(r, "u2").size() == 3);
    CHECK(calls_of(r, "u1").size() == 1);
}

TEST_CASE("REST budget: a snapshot still waiting when the private stream comes up serves as its reconciliation",
    "[bybit][budget]")
{
    rig r(budget_config(1));
    REQUIRE(r.a.open_account(sdk::owner{"u1", 1}, account_of("k1"), all_mask) == sdk::status::ok);
    r.answer_time(0); // the one place of this window
    CHECK(calls_of(r, "u1").empty());
    auto const ws = r.one("ws", "/v5/private");
    r.ws(ws, sdk::ws_event_kind::open);
    r.ws(ws, sdk::ws_event_kind::text, read_fixture("ws_auth_success.docs.json"));
    r.ws(ws, sdk::ws_event_kind::text, read_fixture("ws_subscribe_ack_private.docs.json"));
    // Three windows, one call each, and then nothing more: three calls in all, not six.
    for(int i = 0; i < 3; ++i) {
        next_window(r);
        REQUIRE(calls_of(r, "u1").size() == 1);
        answer_all(r, "u1");
    }
    CHECK(issued(r) == 3);
    CHECK(line_idle(r));
    CHECK(codes_of(r, "u1").back() == "ok");
}

TEST_CASE("REST budget: a 403 pauses every account of the host once, then one probe decides", "[bybit][budget]")
{
    rig r(budget_config(100));
    REQUIRE(r.a.open_account(sdk::owner{"u1", 1}, account_of("k1"), all_mask) == sdk::status::ok);
    r.answer_time(0);
    REQUIRE(r.a.open_account(sdk::owner{"u2", 1}, account_of("k2"), all_mask) == sdk::status::ok);
    auto const u1 = calls_of(r, "u1");
    auto const u2 = calls_of(r, "u2");
    REQUIRE(u1.size() == 3);
    REQUIRE(u2.size() == 3);
    // Another process on this address spent Bybit's limit: both accounts' calls get 403.
    for(auto const& op : u1)
        r.http(op, 403, "access too frequent");
    for(auto const& op : u2)
        r.http(op, 403, "access too frequent");
    auto const pauses = std::count_if(r.fh.logs.begin(), r.fh.logs.end(),
        [](auto const& l) { return l.find("HTTP 403") != std::string::npos; });
    CHECK(pauses == 1);
    CHECK(r.fh.metrics["bybit_ip_pauses"] == 1);
    CHECK(codes_of(r, "u2").back() == "rate_limited");
    // Nobody sends during the pause: one timer for the whole host, not one per account.
    CHECK(calls_of(r, "u1").empty());
    CHECK(calls_of(r, "u2").empty());
    auto const pause = line_timer(r);
    CHECK(pause.delay_ns == 60'000'000'000ull);
    r.fh.now_ns += pause.delay_ns;
    r.fire(pause);
    // One probe, the rest wait for its answer.
    auto const probe = r.one("http", "/v5/account/wallet-balance");
    CHECK(probe.user == "u1");
    CHECK(r.fh.live("http", "/v5/").size() == 1);
    r.http(probe, 200, ok_wallet);
    // The ban is over: every waiting call goes, at the line's next turn (at once).
    auto const resume = line_timer(r);
    CHECK(resume.delay_ns == 0);
    r.fire(resume);
    CHECK(calls_of(r, "u1").size() == 2);
    CHECK(calls_of(r, "u2").size() == 3);
    answer_all(r, "u1");
    answer_all(r, "u2");
    CHECK(codes_of(r, "u2").back() == "ok");
}

TEST_CASE("private streams wait for a place among the host's new connections, and REST polls meanwhile",
    "[bybit][budget]")
{
    auto c = budget_config(100);
    c.pop_back();
    rig r(c + R"(,"ws_open_limit":1,"ws_open_window_ms":300000,"ws_wait_poll_ms":10000})");
    REQUIRE(r.a.open_account(sdk::owner{"u1", 1}, account_of("k1"), all_mask) == sdk::status::ok);
    r.answer_time(0);
    REQUIRE(r.a.open_account(sdk::owner{"u2", 1}, account_of("k2"), all_mask) == sdk::status::ok);
    answer_all(r, "u1");
    answer_all(r, "u2");
    // One new connection per 5 min: u1 connects, u2 waits.
    auto const ws1 = r.one("ws", "/v5/private");
    CHECK(ws1.user == "u1");
    // u2's data stays current by REST while it waits (at the lowest priority).
    auto poll = [&] {
        for(auto const& op : r.fh.live("timer"))
            if(op.user == "u2")
                return op;
        FAIL("no poll timer for u2");
        return fake_host::op_record{};
    };
    auto const p1 = poll();
    CHECK(p1.delay_ns == 10'000'000'000ull);
    r.fh.now_ns += p1.delay_ns;
    r.fire(p1);
    CHECK(calls_of(r, "u2").size() == 3);
    answer_all(r, "u2");
    CHECK(poll().op != p1.op); // polling goes on
    // u1's attempt ends (open); a whole window later u2 gets its place and connects.
    r.ws(ws1, sdk::ws_event_kind::open);
    std::uint64_t const ws_line = make_cookie(7, 1);
    auto const timers = r.fh.live("timer");
    auto const it = std::find_if(timers.begin(), timers.end(), [&](auto const& op) { return op.cookie == ws_line; });
    REQUIRE(it != timers.end());
    CHECK(it->delay_ns == 300'000'000'000ull);
    r.fh.now_ns += it->delay_ns;
    r.fire(*it);
    std::vector<std::string> ws_users;
    for(auto const& op : r.fh.live("ws", "/v5/private"))
        ws_users.push_back(op.user);
    CHECK(ws_users == std::vector<std::string>{"u1", "u2"});
    // Connected: no more polling for u2.
    for(auto const& op : r.fh.live("timer"))
        CHECK(op.user != "u2");
}
