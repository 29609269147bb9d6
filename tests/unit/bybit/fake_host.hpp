#pragma once
// A minimal fake of the host services for driving the adapter without sockets: a virtual clock, and a
// record of every HTTP request, WebSocket, send, timer, cancel, emit, log and metric. Tests complete
// operations by calling the adapter's handlers themselves. (A fuller shared fake host is being written
// under sdk/conformance/kit; this one only covers what tests/unit/bybit needs.)

#include "sha256.hpp"

#include <tradepush/plugin.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tradepush::bybit::test {

/// The fake host. Not copyable: the C table points back at it.
class fake_host {
public:
    struct op_record {
        tradepush_op op{0};
        std::string kind; // "timer" | "http" | "ws"
        std::string user;
        std::uint64_t epoch{0};
        std::uint64_t cookie{0};
        std::uint64_t delay_ns{0};
        std::string method;
        std::string url;
        std::vector<std::pair<std::string, std::string>> headers;
        bool cancelled{false};
        bool done{false};

        /// The value of a header, or "" when absent.
        std::string header(std::string_view name) const
        {
            for(auto const& [n, v] : headers)
                if(n == name)
                    return v;
            return {};
        }
    };
    struct emit_record {
        bool is_status{false};
        std::string user;
        std::uint64_t epoch{0};
        std::string account;
        int stream{0};
        std::string category;
        std::string symbol;
        std::string json;
        int state{0};
        std::string code;
        std::string message;
    };

    fake_host()
    {
        api_.struct_size = sizeof api_;
        api_.abi_major = TRADEPUSH_ABI_MAJOR;
        api_.abi_minor = TRADEPUSH_ABI_MINOR;
        api_.log = [](tradepush_host* h, int, tradepush_str m) { self(h).logs.emplace_back(m.ptr, m.len); };
        api_.now_ns = [](tradepush_host* h) { return self(h).now_ns; };
        api_.wall_ms = [](tradepush_host* h) { return self(h).wall_ms; };
        api_.timer_start = [](tradepush_host* h, tradepush_owner const* o, std::uint64_t delay, std::uint64_t cookie) {
            auto& r = self(h).add("timer", o, cookie);
            r.delay_ns = delay;
            return r.op;
        };
        api_.http_request = [](tradepush_host* h, tradepush_owner const* o, tradepush_http_request const* req,
                                std::uint64_t cookie) {
            auto& r = self(h).add("http", o, cookie);
            r.method.assign(req->method.ptr, req->method.len);
            r.url.assign(req->url.ptr, req->url.len);
            for(std::size_t i = 0; i < req->header_count; ++i)
                r.headers.emplace_back(std::string(req->headers[i].name.ptr, req->headers[i].name.len),
                    std::string(req->headers[i].value.ptr, req->headers[i].value.len));
            return r.op;
        };
        api_.ws_open = [](tradepush_host* h, tradepush_owner const* o, tradepush_ws_open const* req,
                           std::uint64_t cookie) {
            auto& r = self(h).add("ws", o, cookie);
            r.url.assign(req->url.ptr, req->url.len);
            return r.op;
        };
        api_.ws_send = [](tradepush_host* h, tradepush_op ws, tradepush_str payload, int) {
            auto& f = self(h);
            if(f.refuse_sends)
                return TRADEPUSH_E_TRANSIENT;
            f.sends.emplace_back(ws, std::string(payload.ptr, payload.len));
            return TRADEPUSH_OK;
        };
        api_.op_cancel = [](tradepush_host* h, tradepush_op op) {
            if(auto* r = self(h).find(op))
                r->cancelled = true;
        };
        api_.hmac_sha256 = [](tradepush_host*, tradepush_str key, tradepush_str msg, std::uint8_t out[32]) {
            auto const d = hmac_sha256(std::string_view(key.ptr, key.len), std::string_view(msg.ptr, msg.len));
            std::memcpy(out, d.data(), d.size());
            return TRADEPUSH_OK;
        };
        api_.emit_data = [](tradepush_host* h, tradepush_owner const* o, tradepush_str account, int stream,
                             tradepush_str category, tradepush_str symbol, tradepush_str json) {
            emit_record e;
            e.user.assign(o->user.ptr ? o->user.ptr : "", o->user.len);
            e.epoch = o->epoch;
            e.account.assign(account.ptr ? account.ptr : "", account.len);
            e.stream = stream;
            e.category.assign(category.ptr ? category.ptr : "", category.len);
            e.symbol.assign(symbol.ptr ? symbol.ptr : "", symbol.len);
            e.json.assign(json.ptr, json.len);
            self(h).emits.push_back(std::move(e));
        };
        api_.emit_status = [](tradepush_host* h, tradepush_owner const* o, tradepush_str account, int stream,
                               tradepush_str category, tradepush_str symbol, int state, tradepush_str code,
                               tradepush_str message) {
            emit_record e;
            e.is_status = true;
            e.user.assign(o->user.ptr ? o->user.ptr : "", o->user.len);
            e.epoch = o->epoch;
            e.account.assign(account.ptr ? account.ptr : "", account.len);
            e.stream = stream;
            e.category.assign(category.ptr ? category.ptr : "", category.len);
            e.symbol.assign(symbol.ptr ? symbol.ptr : "", symbol.len);
            e.state = state;
            e.code.assign(code.ptr ? code.ptr : "", code.len);
            e.message.assign(message.ptr ? message.ptr : "", message.len);
            self(h).emits.push_back(std::move(e));
        };
        api_.metric = [](tradepush_host* h, tradepush_str name, int, double v) {
            self(h).metrics[std::string(name.ptr, name.len)] = v;
        };
    }

    fake_host(fake_host const&) = delete;
    fake_host& operator=(fake_host const&) = delete;

    /// The SDK handle the plugin gets.
    sdk::host handle() noexcept { return sdk::host(reinterpret_cast<tradepush_host*>(this), &api_); }

    /// The record of `op`, or nullptr.
    op_record* find(tradepush_op op)
    {
        for(auto& r : ops)
            if(r.op == op)
                return &r;
        return nullptr;
    }

    /// Live (not cancelled, not done) operations of a kind whose URL contains `url_part`.
    /// Copies: the records move when more operations start.
    std::vector<op_record> live(std::string_view kind, std::string_view url_part = {}) const
    {
        std::vector<op_record> out;
        for(auto const& r : ops)
            if(r.kind == kind && !r.cancelled && !r.done && r.url.find(url_part) != std::string::npos)
                out.push_back(r);
        return out;
    }

    /// Marks `op` finished (the host forgets an operation once it completed).
    void finish(tradepush_op op)
    {
        if(auto* r = find(op))
            r->done = true;
    }

    /// Data emits (no status) of a stream, in order.
    std::vector<emit_record> data_of(int stream) const
    {
        std::vector<emit_record> out;
        for(auto const& e : emits)
            if(!e.is_status && e.stream == stream)
                out.push_back(e);
        return out;
    }

    /// Status emits, in order.
    std::vector<emit_record> statuses() const
    {
        std::vector<emit_record> out;
        for(auto const& e : emits)
            if(e.is_status)
                out.push_back(e);
        return out;
    }

    /// Messages sent on `ws`.
    std::vector<std::string> sent_on(tradepush_op ws) const
    {
        std::vector<std::string> out;
        for(auto const& [op, m] : sends)
            if(op == ws)
                out.push_back(m);
        return out;
    }

    std::uint64_t now_ns{1'000'000'000};
    std::uint64_t wall_ms{1'700'000'000'000};
    bool refuse_sends{false};
    std::vector<op_record> ops;
    std::vector<std::pair<tradepush_op, std::string>> sends;
    std::vector<emit_record> emits;
    std::vector<std::string> logs;
    std::map<std::string, double> metrics;

private:
    static fake_host& self(tradepush_host* h) { return *reinterpret_cast<fake_host*>(h); }

    op_record& add(std::string kind, tradepush_owner const* o, std::uint64_t cookie)
    {
        op_record r;
        r.op = next_op_++;
        r.kind = std::move(kind);
        if(o && o->user.ptr)
            r.user.assign(o->user.ptr, o->user.len);
        r.epoch = o ? o->epoch : 0;
        r.cookie = cookie;
        ops.push_back(std::move(r));
        return ops.back();
    }

    tradepush_host_api api_{};
    tradepush_op next_op_{1};
};

/// Builds an http_response view (strings must outlive the call).
inline sdk::http_response
response(int status, std::string_view body, std::vector<std::pair<std::string_view, std::string_view>> headers = {},
    std::chrono::nanoseconds elapsed = std::chrono::milliseconds(20))
{
    sdk::http_response r;
    r.status = status;
    r.body = body;
    r.headers = std::move(headers);
    r.elapsed = elapsed;
    return r;
}

/// Reads a fixture from tests/data/bybit.
std::string
read_fixture(std::string_view name);

} // namespace tradepush::bybit::test
