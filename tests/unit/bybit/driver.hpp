#pragma once
// Helpers that play the host's part in state-machine tests: complete an HTTP request, deliver a
// WebSocket event, fire a timer, all through the adapter's handlers, as the host would.

#include "adapter.hpp"
#include "fake_host.hpp"
#include "signing.hpp"

#include <string>
#include <string_view>

namespace tradepush::bybit::test {

/// The adapter plus its fake host.
struct rig {
    fake_host fh;
    adapter a;

    /// An adapter with `config_json` (loopback URLs are added unless the config sets its own).
    explicit rig(std::string_view config_json = {})
        : a(fh.handle(), config_json.empty() ? default_config() : config_json)
    {
    }

    static std::string_view
    default_config()
    {
        return R"({"allow_insecure_loopback":true,"rest_url":"http://127.0.0.1:18080",)"
               R"("ws_public_linear_url":"ws://127.0.0.1:18080/v5/public/linear",)"
               R"("ws_public_spot_url":"ws://127.0.0.1:18080/v5/public/spot",)"
               R"("ws_private_url":"ws://127.0.0.1:18080/v5/private","jitter_seed":1,"backoff_jitter":0,)"
               R"("backoff_initial_ms":500,"backoff_max_ms":8000,"reconcile_interval_ms":0})";
    }

    /// Completes an HTTP request with a response.
    void
    http(fake_host::op_record const& r, int status, std::string_view body,
        std::vector<std::pair<std::string_view, std::string_view>> headers = {})
    {
        fh.finish(r.op);
        a.on_http_done(r.op, r.cookie, response(status, body, std::move(headers)));
    }

    /// Completes an HTTP request with a transport error.
    void
    http_error(fake_host::op_record const& r, std::string_view error)
    {
        fh.finish(r.op);
        sdk::http_response resp;
        resp.error = error;
        a.on_http_done(r.op, r.cookie, resp);
    }

    /// Delivers a WebSocket event.
    void
    ws(fake_host::op_record const& r, sdk::ws_event_kind kind, std::string_view data = {})
    {
        if(kind == sdk::ws_event_kind::closed)
            fh.finish(r.op);
        a.on_ws_event(r.op, r.cookie, kind, data);
    }

    /// Fires a timer.
    void
    fire(fake_host::op_record const& r)
    {
        fh.finish(r.op);
        a.on_timer(r.op, r.cookie);
    }

    /// The only live operation of a kind matching `url_part`; fails the test if there is not exactly one.
    fake_host::op_record
    one(std::string_view kind, std::string_view url_part = {})
    {
        auto const v = fh.live(kind, url_part);
        if(v.size() != 1)
            throw std::runtime_error("expected one live " + std::string(kind) + " '" + std::string(url_part)
                + "', found " + std::to_string(v.size()));
        return v.front();
    }

    /// Answers the pending /v5/market/time with a server clock `offset_ms` ahead of the fake wall clock
    /// (the fake completes requests with 20 ms elapsed; the server time is stamped at the midpoint).
    void
    answer_time(std::int64_t offset_ms = 0)
    {
        auto const r = one("http", "/v5/market/time");
        auto const server_ms = static_cast<std::int64_t>(fh.wall_ms) - 10 + offset_ms;
        std::string body = R"({"retCode":0,"retMsg":"OK","result":{"timeSecond":")" + std::to_string(server_ms / 1000)
            + R"(","timeNano":")" + std::to_string(server_ms) + R"(000000"},"retExtInfo":{},"time":)"
            + std::to_string(server_ms) + "}";
        http(r, 200, body);
    }
};

} // namespace tradepush::bybit::test
