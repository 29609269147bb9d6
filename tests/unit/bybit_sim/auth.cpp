// Test that header file is self-contained.
#include "auth.hpp"

#include "sign.hpp"

#include <catch2/catch.hpp>

using namespace tradepush::bybit_sim;

namespace {

struct auth_fixture {
    sim_clock clock;
    engine eng{clock, 7};
    std::int64_t const now = 1'700'000'000'000;

    auth_fixture()
    {
        clock.freeze(now);
        eng.add_key({"k-rw", "s-rw", "alice", permission::read_write, false});
        eng.add_key({"k-ro", "s-ro", "alice", permission::read_only, false});
        eng.add_key({"k-none", "s-none", "alice", permission::none, false});
        eng.add_key({"k-old", "s-old", "alice", permission::read_write, true});
    }

    auth_request
    make(std::string const& key, std::string const& secret, std::int64_t ts, std::string const& query,
        std::optional<std::string> rw = std::string("5000"))
    {
        auth_request r;
        r.api_key = key;
        r.timestamp = std::to_string(ts);
        r.recv_window = rw;
        r.payload = query;
        r.sign = rest_signature(secret, *r.timestamp, key, rw ? *rw : "", query);
        return r;
    }
};

} // namespace

TEST_CASE_METHOD(auth_fixture, "auth: window edges from now minus recv_window to now plus 1000 exclusive", "[auth]")
{
    auto check = [&](std::int64_t ts) { return authenticate(eng, make("k-rw", "s-rw", ts, "a=1"), now, permission::read_only); };
    CHECK(check(now).ok);
    CHECK(check(now - 5000).ok);
    CHECK(check(now + 999).ok);
    auto late = check(now - 5001);
    CHECK_FALSE(late.ok);
    CHECK(late.ret_code == 10002);
    auto early = check(now + 1000);
    CHECK(early.ret_code == 10002);
    CHECK(early.http_status == 200);
    // The real message format (sieblyio#236).
    CHECK(early.ret_msg ==
        "invalid request, please check your server timestamp or recv_window param. req_timestamp[1700000001000],"
        "server_timestamp[1700000000000],recv_window[5000]");
    // A wider recv_window widens only the past side.
    CHECK(authenticate(eng, make("k-rw", "s-rw", now - 20000, "", std::string("30000")), now, permission::read_only).ok);
    CHECK(authenticate(eng, make("k-rw", "s-rw", now + 1000, "", std::string("30000")), now, permission::read_only)
              .ret_code == 10002);
}

TEST_CASE_METHOD(auth_fixture, "auth: key and signature and permission errors", "[auth]")
{
    auto unknown = authenticate(eng, make("nope", "x", now, ""), now, permission::read_only);
    CHECK(unknown.ret_code == 10003);
    CHECK(unknown.ret_msg == "API key is invalid.");
    CHECK(unknown.http_status == 401);

    auto bad = make("k-rw", "wrong-secret", now, "category=linear&symbol=BTCUSDT");
    auto r = authenticate(eng, bad, now, permission::read_only);
    CHECK(r.ret_code == 10004);
    CHECK(r.ret_msg == "error sign! origin_string[***category=linear&symbol=BTCUSDT]");

    // Signed one order, sent another: the raw wire string is what counts.
    auto reordered = make("k-rw", "s-rw", now, "category=linear&symbol=BTCUSDT");
    reordered.payload = "symbol=BTCUSDT&category=linear";
    CHECK(authenticate(eng, reordered, now, permission::read_only).ret_code == 10004);

    CHECK(authenticate(eng, make("k-none", "s-none", now, ""), now, permission::read_only).ret_code == 10005);
    CHECK(authenticate(eng, make("k-ro", "s-ro", now, ""), now, permission::read_only).ok);
    CHECK(authenticate(eng, make("k-ro", "s-ro", now, ""), now, permission::read_write).ret_code == 10005);
    CHECK(authenticate(eng, make("k-old", "s-old", now, ""), now, permission::read_only).ret_code == 33004);

    auth_request missing;
    missing.api_key = "k-rw";
    auto m = authenticate(eng, missing, now, permission::read_only);
    CHECK(m.http_status == 401);
}

TEST_CASE_METHOD(auth_fixture, "auth: absent recv_window defaults to 5000 and signs as empty", "[auth]")
{
    auto req = make("k-rw", "s-rw", now - 4000, "accountType=UNIFIED", std::nullopt);
    CHECK(authenticate(eng, req, now, permission::read_only).ok);
    CHECK(authenticate(eng, make("k-rw", "s-rw", now - 5001, "", std::nullopt), now, permission::read_only).ret_code ==
        10002);
    // The switch: sign the default instead.
    CHECK(authenticate(eng, req, now, permission::read_only, true).ret_code == 10004);
}
