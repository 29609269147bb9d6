// The Bybit plugin, linked in and driven through the SDK conformance kit's fake host exactly as the
// daemon drives it: an account (balance, positions, pnl, orders) and a linear ticker are opened, and
// every REST response (status and body) and every WebSocket message from "Bybit" is the fuzzer's,
// interleaved with virtual time (timers, reconnects, reconciliation). A contract breach (an exception
// out of an entry point, an invalid or stale emit, a host call off the strand) is a finding.
#include <tradepush/conformance/fake_host.hpp>
#include <tradepush/plugin_abi.h>

#include <fuzzer/FuzzedDataProvider.h>

#include <chrono>
#include <cstdlib>
#include <cstdio>

namespace tc = tradepush::conformance;
using namespace std::chrono_literals;

namespace {

// Every network's URLs on loopback, as the kit's Bybit conformance test configures them; short
// periods so that a few virtual seconds reach pings, pong timeouts and reconciliation.
constexpr char const* config =
    R"({"allow_insecure_loopback":true,"rest_url":"http://127.0.0.1:18080",)"
    R"("ws_public_linear_url":"ws://127.0.0.1:18080/v5/public/linear",)"
    R"("ws_public_spot_url":"ws://127.0.0.1:18080/v5/public/spot",)"
    R"("ws_private_url":"ws://127.0.0.1:18080/v5/private",)"
    R"("jitter_seed":7,"ping_interval_ms":3000,"pong_timeout_ms":1000,"reconcile_interval_ms":5000})";

constexpr int statuses[] = {200, 200, 200, 200, 0, 400, 401, 403, 404, 429, 500, 502, 503};

} // namespace

extern "C" int
LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    FuzzedDataProvider in(data, size);
    auto const* api = tradepush_plugin_entry_v1(TRADEPUSH_ABI_MAJOR, TRADEPUSH_ABI_MINOR);
    if(!api)
        std::abort();
    tc::fake_host_options opts;
    opts.call_budget = std::chrono::seconds(10); // sanitizers make calls slow; budget breaches are not findings here
    tc::fake_host h(*api, opts);
    if(!h.create(config))
        std::abort();

    h.on_http("", "", [&in](tc::http_request_record const&) -> std::optional<tc::http_reply> {
        tc::http_reply r;
        if(in.remaining_bytes() == 0) {
            r.status = 0;
            r.error = "timeout";
            return r;
        }
        r.status = in.PickValueInArray(statuses);
        if(r.status == 0)
            r.error = "connection reset";
        r.body = in.ConsumeRandomLengthString(16 * 1024);
        r.delay = std::chrono::milliseconds(in.ConsumeIntegralInRange<int>(0, 200));
        return r;
    });
    tc::ws_peer peer;
    h.on_ws("", peer);

    tc::account_info account;
    account.exchange = "bybit";
    h.open_account("u", account, 0x0F);
    h.subscribe_ticker("linear", "BTCUSDT");

    for(int step = 0; step < 64 && in.remaining_bytes() > 0; ++step) {
        switch(in.ConsumeIntegralInRange<int>(0, 5)) {
        case 0:
        case 1:
            h.advance(std::chrono::milliseconds(in.ConsumeIntegralInRange<int>(0, 3000)));
            break;
        case 2:
        case 3: {
            // A message on one of the open sockets (private or public).
            auto const& sockets = h.websockets();
            if(sockets.empty())
                break;
            auto const& ws = sockets[in.ConsumeIntegralInRange<std::size_t>(0, sockets.size() - 1)];
            if(ws.open)
                h.ws_push(ws.op, in.ConsumeRandomLengthString(8 * 1024));
            h.run_ready();
            break;
        }
        case 4: {
            auto const& sockets = h.websockets();
            if(!sockets.empty())
                h.ws_close(sockets[in.ConsumeIntegralInRange<std::size_t>(0, sockets.size() - 1)].op);
            h.run_ready();
            break;
        }
        default:
            h.request_snapshot("u", "main", in.ConsumeIntegralInRange<int>(0, 3));
            break;
        }
    }
    h.advance(2s);
    for(auto const& v : h.violations()) {
        if(v.kind == tc::violation_kind::overlong_callback)
            continue;
        std::fprintf(stderr, "violation: %s: %s\n", std::string(tc::to_string(v.kind)).c_str(), v.detail.c_str());
        std::abort();
    }
    h.destroy();
    return 0;
}
