// The Bybit simulator's request handling: bytes parsed as an HTTP request with the simulator's own
// limits, then routed as the server routes them (REST /v5/..., control /sim/...) against a demo
// market with a frozen clock. Half of the inputs get a valid signature for the demo key computed
// over what the fuzzer sent, so the handlers behind authentication are reached too.
#include "app.hpp"
#include "sign.hpp"

#include <boost/beast/http/parser.hpp>

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdlib>
#include <memory>

namespace http = boost::beast::http;
namespace sim = tradepush::bybit_sim;

namespace {

constexpr std::int64_t frozen_ms = 1'700'000'000'000;

// A fresh simulator per input: what one request changes (orders, faults) never leaks into the next,
// so a finding reproduces from its input alone.
std::shared_ptr<sim::app>
demo()
{
    sim::sim_config cfg;
    cfg.tick_ms = 0;
    auto p = std::make_shared<sim::app>(cfg);
    p->clock().freeze(frozen_ms);
    sim::install_demo_preset(*p);
    return p;
}

} // namespace

extern "C" int
LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    FuzzedDataProvider in(data, size);
    bool const sign = in.ConsumeBool();
    auto const raw = in.ConsumeRemainingBytesAsString();
    auto const app = demo();
    auto& a = *app;
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(a.config().max_header_bytes));
    parser.body_limit(a.config().max_request_bytes);
    parser.eager(true);
    boost::beast::error_code ec;
    parser.put(boost::asio::buffer(raw), ec);
    if(ec || !parser.is_done())
        return 0;
    auto req = parser.release();
    if(sign) {
        // The REST signature: timestamp + key + recv_window + (query or body), HMAC-SHA256 hex.
        auto const target = std::string(req.target());
        auto const q = target.find('?');
        auto const payload = req.method() == http::verb::get
            ? (q == std::string::npos ? std::string() : target.substr(q + 1))
            : req.body();
        auto const ts = std::to_string(frozen_ms);
        req.set("X-BAPI-API-KEY", "demo-key");
        req.set("X-BAPI-TIMESTAMP", ts);
        req.set("X-BAPI-RECV-WINDOW", "5000");
        req.set("X-BAPI-SIGN", sim::rest_signature("demo-secret", ts, "demo-key", "5000", payload));
    }
    auto const reply = a.handle_http(req, "127.0.0.1");
    if(reply.status < 100 || reply.status > 599)
        std::abort();
    return 0;
}
