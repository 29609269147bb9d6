// Error classification: HTTP status, transport errors and retCodes -> what to do and what to tell.
#include "envelope.hpp"

#include "rate_limit.hpp"

#include <catch2/catch.hpp>

using namespace tradepush::bybit;

namespace {

failure
fail_of(int status, std::string_view body, std::string_view transport = {})
{
    auto const out = classify_response(status, transport, body);
    REQUIRE(out.error);
    REQUIRE_FALSE(out.ok);
    return *out.error;
}

std::string
err_body(long long code, std::string_view msg)
{
    return R"({"retCode":)" + std::to_string(code) + R"(,"retMsg":")" + std::string(msg)
        + R"(","result":{},"retExtInfo":{},"time":1714065629010})";
}

} // namespace

TEST_CASE("success envelopes: retMsg variants, result null, retExtInfo optional")
{
    for(auto const* msg : {"OK", "success", "SUCCESS", ""}) {
        auto const out = classify_response(200, {}, std::string(R"({"retCode":0,"retMsg":")") + msg
            + R"(","result":{"a":1},"time":5})");
        REQUIRE(out.ok);
        CHECK(out.ok->time_ms == 5);
        CHECK(out.ok->result.at("a") == 1);
    }
    auto const out = classify_response(200, {}, R"({"retCode":0,"retMsg":"OK","result":null})");
    REQUIRE(out.ok);
    CHECK(out.ok->result.is_object());
}

TEST_CASE("auth failures stop the session with exchange_auth_failed")
{
    for(long long code : {10003LL, 10004LL, 10007LL, 33004LL, -2015LL}) {
        auto const f = fail_of(200, err_body(code, "API key is invalid."));
        CHECK(f.kind == failure_kind::auth);
        CHECK(f.code == "exchange_auth_failed");
        CHECK(is_fatal(f.kind));
        CHECK(f.ret_code == code);
    }
    // HTTP 401 with or without a body.
    CHECK(fail_of(401, "").kind == failure_kind::auth);
    CHECK(fail_of(401, err_body(10003, "Invalid apikey")).code == "exchange_auth_failed");
}

TEST_CASE("the 10004 echo of the signed string (with the API key) never reaches the client")
{
    auto const f = fail_of(200, err_body(10004, "error sign! origin_string[1700000000000my_key_123456785000accountType=UNIFIED]"));
    CHECK(f.message.find("my_key") == std::string::npos);
    CHECK(f.message.find("origin_string") == std::string::npos);
    CHECK(safe_message("Error sign, please check: origin_string[***x]") == "Error sign, please check");
}

TEST_CASE("permissions, restrictions and bad requests are fatal with their own codes")
{
    CHECK(fail_of(200, err_body(10005, "Permission denied")).code == "exchange_permission_denied");
    CHECK(fail_of(200, err_body(10010, "Unmatched IP")).code == "exchange_ip_not_allowed");
    CHECK(fail_of(200, err_body(10009, "banned")).code == "exchange_account_restricted");
    auto const f = fail_of(200, err_body(10001, "Not supported symbols"));
    CHECK(f.kind == failure_kind::invalid);
    CHECK(f.code == "invalid_request");
    CHECK(f.message == "bybit retCode 10001: Not supported symbols");
    CHECK(fail_of(404, "not found").kind == failure_kind::invalid);
}

TEST_CASE("retryable failures")
{
    auto f = fail_of(200, err_body(10002, "invalid request, please check your server timestamp or recv_window param. "
                                        "req_timestamp[1678623600260],server_timestamp[1678623606869],recv_window[5000]"));
    CHECK(f.kind == failure_kind::clock);
    CHECK(f.code == "exchange_clock_skew");
    CHECK_FALSE(is_fatal(f.kind));

    f = fail_of(200, err_body(10006, "Too many visits. Exceeded the API Rate Limit."));
    CHECK(f.kind == failure_kind::rate_limit);
    CHECK(f.code == "rate_limited");
    CHECK(fail_of(429, "").kind == failure_kind::rate_limit);
    // An IP ban is a non-JSON 403.
    f = fail_of(403, "access too frequent");
    CHECK(f.kind == failure_kind::ip_ban);
    CHECK(f.code == "rate_limited");

    f = fail_of(0, "", "connection refused");
    CHECK(f.kind == failure_kind::transient);
    CHECK(f.code == "exchange_unavailable");
    CHECK(f.message == "bybit unreachable: connection refused");
    CHECK(fail_of(502, "<html>bad gateway</html>").code == "exchange_unavailable");
    CHECK(fail_of(200, err_body(10016, "Server error")).code == "exchange_unavailable");
    CHECK(fail_of(200, "<html>").kind == failure_kind::bad_response);
    CHECK(fail_of(200, R"({"foo":1})").code == "exchange_bad_response");
    CHECK(fail_of(200, err_body(99999, "new thing")).code == "exchange_error");
    CHECK(fail_of(200, R"({"retCode":0.5,"retMsg":"?"})").code == "exchange_bad_response");
}

TEST_CASE("rate-limit headers and the wait after a refusal")
{
    std::vector<std::pair<std::string_view, std::string_view>> h{
        {"x-bapi-limit", "10"}, {"X-Bapi-Limit-Status", "0"}, {"X-Bapi-Limit-Reset-Timestamp", "1672738134824"}};
    auto const info = parse_rate_limit(h);
    CHECK(*info.limit == 10);
    CHECK(*info.remaining == 0);
    CHECK(*info.reset_ms == 1672738134824);
    using std::chrono::milliseconds;
    CHECK(rate_limit_wait(info, 1672738134000, milliseconds(1000), milliseconds(30000)) == milliseconds(874));
    // Reset in the past, or absent (pybit#340): the fallback.
    CHECK(rate_limit_wait(info, 1672738135000, milliseconds(1000), milliseconds(30000)) == milliseconds(1000));
    CHECK(rate_limit_wait(rate_limit_info{}, 0, milliseconds(1000), milliseconds(30000)) == milliseconds(1000));
    // Capped.
    CHECK(rate_limit_wait(info, 0, milliseconds(1000), milliseconds(30000)) == milliseconds(30000));
}
