#pragma once
// A plugin written directly against the C ABI, in-process, whose behaviour the test controls, plus a
// recording sink and a fake HTTP/WS backend. Everything runs on one io_context (the control executor).

#include "feed/feed.hpp"
#include "plugin_host/instance.hpp"
#include "plugin_host/instance_io.hpp"
#include "plugin_host/plugin_provider.hpp"

#include <tradepush/plugin_abi.h>

#include <boost/asio/io_context.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <cstdio>
#include <iterator>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tradepush::test_plugin {

/// What the test plugin does and what it saw. Reset with `ctl() = {}` at the start of a test.
struct control {
    // behaviour
    std::uint64_t timer_delay_ns = 0;        ///< delay of the snapshot timer started per stream
    tradepush_status open_status = TRADEPUSH_OK;
    tradepush_status snapshot_status = TRADEPUSH_OK;
    tradepush_status ticker_status = TRADEPUSH_OK;
    bool emit_invalid_json = false;          ///< on_timer emits broken JSON
    std::int64_t emit_epoch_offset = 0;      ///< on_timer emits with epoch + this (a stale emit)
    std::chrono::nanoseconds busy{0};        ///< open_account busy-loops this long
    bool fail_create = false;                ///< create returns NULL with a message
    /// Runs inside open_account (an entry point): lets a test use the host API legitimately.
    std::function<void(tradepush_host*, tradepush_host_api const*, tradepush_owner const*)> on_open;

    // records
    std::vector<std::string> calls;          ///< "open_account u main 15 7", ...
    std::size_t timers_fired = 0;
    std::size_t creates = 0;
    std::size_t destroys = 0;
    std::vector<tradepush_op> ops;           ///< every op the plugin started
    tradepush_host* host = nullptr;          ///< stashed for misuse tests
    tradepush_host_api const* host_api = nullptr;
    std::vector<std::string> http_done;      ///< "status body"
    std::vector<std::string> ws_events;      ///< "kind data"
};

inline control&
ctl()
{
    static control c;
    return c;
}

namespace detail {

inline std::string_view
sv(tradepush_str s)
{
    return s.ptr ? std::string_view(s.ptr, s.len) : std::string_view();
}

inline tradepush_str
str(std::string_view s)
{
    return tradepush_str{s.data(), s.size()};
}

/// A snapshot the plugin owes: what it will emit when its timer fires.
struct pending_snapshot {
    std::string user;
    std::uint64_t epoch = 0;
    std::string account;
    int stream = 0;
};

struct plugin_instance {
    tradepush_host* host;
    tradepush_host_api const* api;
    std::map<tradepush_op, pending_snapshot> pending;
};

inline plugin_instance*
self(tradepush_instance* p)
{
    return reinterpret_cast<plugin_instance*>(p);
}

inline tradepush_instance*
create(tradepush_host* host, tradepush_host_api const* api, tradepush_str, char* err, std::size_t cap)
{
    ++ctl().creates;
    ctl().host = host;
    ctl().host_api = api;
    if(ctl().fail_create) {
        std::snprintf(err, cap, "%s", "bad config: no endpoint");
        return nullptr;
    }
    return reinterpret_cast<tradepush_instance*>(new plugin_instance{host, api, {}});
}

inline void
destroy(tradepush_instance* p)
{
    ++ctl().destroys;
    delete self(p);
}

inline void
start_snapshot(plugin_instance& pi, tradepush_owner const* owner, std::string_view account, int stream)
{
    auto op = pi.api->timer_start(pi.host, owner, ctl().timer_delay_ns, static_cast<std::uint64_t>(stream));
    ctl().ops.push_back(op);
    if(op)
        pi.pending[op] = pending_snapshot{std::string(sv(owner->user)), owner->epoch, std::string(account), stream};
}

inline void
on_timer(tradepush_instance* p, tradepush_op op, std::uint64_t)
{
    auto& pi = *self(p);
    ++ctl().timers_fired;
    auto it = pi.pending.find(op);
    if(it == pi.pending.end())
        return;
    auto const pd = it->second;
    pi.pending.erase(it);
    std::string json = ctl().emit_invalid_json
        ? std::string("{\"stream\":")
        : "{\"stream\":" + std::to_string(pd.stream) + ",\"epoch\":" + std::to_string(pd.epoch) + "}";
    tradepush_owner owner{str(pd.user), pd.epoch + static_cast<std::uint64_t>(ctl().emit_epoch_offset)};
    pi.api->emit_data(pi.host, &owner, str(pd.account), pd.stream, {}, {}, str(json));
}

inline void
on_http_done(tradepush_instance*, tradepush_op, std::uint64_t, tradepush_http_response const* r)
{
    ctl().http_done.push_back(std::to_string(r->status) + " " + std::string(sv(r->body)));
}

inline void
on_ws_event(tradepush_instance*, tradepush_op, std::uint64_t, int kind, tradepush_str data)
{
    ctl().ws_events.push_back(std::to_string(kind) + " " + std::string(sv(data)));
}

inline tradepush_status
open_account(tradepush_instance* p, tradepush_owner const* owner, tradepush_account const* a, std::uint32_t mask)
{
    auto& pi = *self(p);
    ctl().calls.push_back("open_account " + std::string(sv(owner->user)) + " " + std::string(sv(a->label)) + " "
        + std::to_string(mask) + " " + std::to_string(owner->epoch) + " " + std::string(sv(a->api_key)));
    if(ctl().busy.count() > 0) {
        // Deliberate misbehaviour: plugin code must never block.
        auto const until = std::chrono::steady_clock::now() + ctl().busy;
        while(std::chrono::steady_clock::now() < until) {
        }
    }
    if(ctl().on_open)
        ctl().on_open(pi.host, pi.api, owner);
    if(ctl().open_status != TRADEPUSH_OK)
        return ctl().open_status;
    for(int s = TRADEPUSH_STREAM_BALANCE; s <= TRADEPUSH_STREAM_ORDERS; ++s)
        if(mask & (1u << s))
            start_snapshot(pi, owner, sv(a->label), s);
    return TRADEPUSH_OK;
}

inline tradepush_status
request_snapshot(tradepush_instance* p, tradepush_owner const* owner, tradepush_str account, int stream)
{
    ctl().calls.push_back("request_snapshot " + std::string(sv(owner->user)) + " " + std::string(sv(account)) + " "
        + std::to_string(stream) + " " + std::to_string(owner->epoch));
    if(ctl().snapshot_status != TRADEPUSH_OK)
        return ctl().snapshot_status;
    start_snapshot(*self(p), owner, sv(account), stream);
    return TRADEPUSH_OK;
}

inline tradepush_status
close_account(tradepush_instance*, tradepush_owner const* owner, tradepush_str account)
{
    ctl().calls.push_back("close_account " + std::string(sv(owner->user)) + " " + std::string(sv(account)) + " "
        + std::to_string(owner->epoch));
    return TRADEPUSH_OK;
}

inline tradepush_status
subscribe_ticker(tradepush_instance* p, tradepush_str category, tradepush_str symbol)
{
    ctl().calls.push_back("subscribe_ticker " + std::string(sv(category)) + " " + std::string(sv(symbol)));
    if(ctl().ticker_status != TRADEPUSH_OK)
        return ctl().ticker_status;
    // Public data: empty owner, emitted right away from inside the command.
    auto& pi = *self(p);
    tradepush_owner owner{{nullptr, 0}, 0};
    pi.api->emit_data(pi.host, &owner, {}, TRADEPUSH_STREAM_TICKER, category, symbol, str("{\"last\":\"100.5\"}"));
    return TRADEPUSH_OK;
}

inline tradepush_status
unsubscribe_ticker(tradepush_instance*, tradepush_str category, tradepush_str symbol)
{
    ctl().calls.push_back("unsubscribe_ticker " + std::string(sv(category)) + " " + std::string(sv(symbol)));
    return TRADEPUSH_OK;
}

inline tradepush_status
reset_user(tradepush_instance* p, tradepush_owner const* owner)
{
    auto const user = std::string(sv(owner->user));
    ctl().calls.push_back("reset_user " + user + " " + std::to_string(owner->epoch));
    // The plugin's side of the fence: forget the user's pending work.
    auto& pend = self(p)->pending;
    for(auto it = pend.begin(); it != pend.end();)
        it = it->second.user == user ? pend.erase(it) : std::next(it);
    return TRADEPUSH_OK;
}

} // namespace detail

/// The plugin's table (what tradepush_plugin_entry_v1 would return).
inline tradepush_plugin_api const&
api()
{
    static tradepush_plugin_api const table = [] {
        tradepush_plugin_api t{};
        t.struct_size = sizeof t;
        t.abi_major = TRADEPUSH_ABI_MAJOR;
        t.abi_minor = TRADEPUSH_ABI_MINOR;
        t.name = "testex";
        t.version = "0.1";
        t.features_json = "{}";
        t.create = &detail::create;
        t.destroy = &detail::destroy;
        t.on_timer = &detail::on_timer;
        t.on_http_done = &detail::on_http_done;
        t.on_ws_event = &detail::on_ws_event;
        t.open_account = &detail::open_account;
        t.request_snapshot = &detail::request_snapshot;
        t.close_account = &detail::close_account;
        t.subscribe_ticker = &detail::subscribe_ticker;
        t.unsubscribe_ticker = &detail::unsubscribe_ticker;
        t.reset_user = &detail::reset_user;
        return t;
    }();
    return table;
}

//------------------------------------------------------------------------------------------------

/// Records everything the host hands to the hub.
struct recording_sink : feed::sink {
    struct data {
        std::string user, account;
        feed::stream_type type;
        std::string json;
        std::uint64_t epoch;
    };
    struct status {
        std::string user, account;
        std::optional<feed::stream_type> type;
        feed::stream_state state;
        std::string code, message;
        std::uint64_t epoch;
    };
    struct ticker {
        std::string exchange, category, symbol, json;
    };
    struct ticker_status {
        std::string exchange, category, symbol;
        feed::stream_state state;
        std::string code;
    };
    std::vector<data> datas;
    std::vector<status> statuses;
    std::vector<ticker> tickers;
    std::vector<ticker_status> ticker_statuses;
    /// Runs after each on_account_data (lets a test react like the hub would, from inside an emit).
    std::function<void()> after_data;

    void
    on_account_data(std::string_view user, std::string_view account, feed::stream_type type,
        boost::json::value v, std::uint64_t epoch) override
    {
        datas.push_back({std::string(user), std::string(account), type, boost::json::serialize(v), epoch});
        if(after_data)
            after_data();
    }
    void
    on_account_status(std::string_view user, std::string_view account, std::optional<feed::stream_type> type,
        feed::stream_state state, std::string_view code, std::string_view message, std::uint64_t epoch) override
    {
        statuses.push_back({std::string(user), std::string(account), type, state, std::string(code),
            std::string(message), epoch});
    }
    void
    on_ticker(std::string_view exchange, std::string_view category, std::string_view symbol,
        boost::json::value v) override
    {
        tickers.push_back({std::string(exchange), std::string(category), std::string(symbol),
            boost::json::serialize(v)});
    }
    void
    on_ticker_status(std::string_view exchange, std::string_view category, std::string_view symbol,
        feed::stream_state state, std::string_view code, std::string_view) override
    {
        ticker_statuses.push_back({std::string(exchange), std::string(category), std::string(symbol), state,
            std::string(code)});
    }
    void
    on_upstream_restart(std::string_view exchange) override
    {
        restarts.emplace_back(exchange);
    }
    std::vector<std::string> restarts; ///< exchanges of on_upstream_restart calls
};

/// An instance_io whose requests the test completes by hand (no network).
struct fake_io : plugin_host::instance_io {
    struct handle : plugin_host::cancel_handle, plugin_host::ws_connection {
        bool cancelled = false;
        std::vector<std::string> sent;
        void cancel() override { cancelled = true; }
        bool send(std::string payload, bool) override
        {
            sent.push_back(std::move(payload));
            return true;
        }
    };
    struct http_call {
        plugin_host::http_request_data req;
        std::function<void(plugin_host::http_response_data)> done;
        std::shared_ptr<handle> h;
    };
    struct ws_call {
        plugin_host::ws_open_data req;
        std::function<void(plugin_host::ws_event_kind, std::string_view)> on_event;
        std::shared_ptr<handle> h;
    };
    std::vector<http_call> http;
    std::vector<ws_call> ws;

    std::shared_ptr<plugin_host::cancel_handle>
    http_request(plugin_host::http_request_data req, std::function<void(plugin_host::http_response_data)> done) override
    {
        auto h = std::make_shared<handle>();
        http.push_back({std::move(req), std::move(done), h});
        return h;
    }
    std::shared_ptr<plugin_host::ws_connection>
    ws_open(plugin_host::ws_open_data req,
        std::function<void(plugin_host::ws_event_kind, std::string_view)> on_event) override
    {
        auto h = std::make_shared<handle>();
        ws.push_back({std::move(req), std::move(on_event), h});
        return h;
    }
};

/// An account as the credentials store would hand it.
inline feed::account
test_account(std::string label = "main")
{
    return feed::account{std::move(label), "testex", "testnet", "KEY", "SECRET"};
}

/// Every account stream.
inline constexpr unsigned all_streams = 0xF;

/// Resets the plugin's control block before anything else is built.
struct control_reset {
    control_reset() { ctl() = {}; }
};

/// One io_context as the control executor, an instance of the test plugin (created) and a provider.
struct harness : control_reset {
    boost::asio::io_context ioc;
    recording_sink sink;
    fake_io io;
    plugin_host::instance inst;
    plugin_host::plugin_provider prov;
    bool created = false;

    explicit harness(plugin_host::instance_options opts = {})
        : inst(ioc.get_executor(), api(), "testex", "{}", nullptr, &io, std::move(opts))
        , prov(inst)
    {
        created = inst.create().has_value();
        // Like the hub's constructor.
        prov.set_sink(&sink);
    }
    /// Runs until nothing is pending (no sleeps: pending long timers must be cancelled first).
    void run()
    {
        ioc.restart();
        ioc.run();
    }
    void poll()
    {
        ioc.restart();
        ioc.poll();
    }
};

} // namespace tradepush::test_plugin
