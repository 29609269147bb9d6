#pragma once
// Fakes and a harness for the hub tests: a recording shard port, a manual provider the test answers
// by hand (with any epoch), a fixed account directory, and a real io_context as control executor.

#include "feed/feed.hpp"
#include "feed/scripted_feed.hpp"
#include "hub/hub.hpp"
#include "hub/wire.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace tradepush::test {

namespace net = boost::asio;
namespace json = boost::json;
using hub::conn_id;

/// A message as the client would decode it.
struct decoded {
    std::string event;
    json::value body;
};

/// Splits `42["event",body]` into its event name and body.
inline decoded
decode(outbound_message const& m)
{
    auto const p = m.payload();
    REQUIRE(p.substr(0, 2) == "42");
    auto v = json::parse(p.substr(2));
    auto const& a = v.as_array();
    REQUIRE(a.size() == 2);
    return decoded{std::string(a[0].as_string()), a[1]};
}

/// One message as it reached one connection ("#ack" for acks).
struct delivery {
    conn_id conn = 0;
    std::string event;
    json::value body;
    outbound_ptr msg;         ///< null for acks
    std::uint64_t key = 0;    ///< conflate key
    bool single = false;      ///< came through deliver_one
};

/// Records everything a shard is asked to do, in order.
class recording_shard : public hub::shard_port {
public:
    std::vector<delivery> log;
    std::size_t deliver_calls = 0;
    std::size_t deliver_one_calls = 0;
    std::vector<std::pair<conn_id, std::string>> closes;

    void
    deliver(std::shared_ptr<std::vector<conn_id> const> conns, outbound_ptr msg, std::uint64_t key) override
    {
        ++deliver_calls;
        REQUIRE(conns);
        REQUIRE(!conns->empty());
        auto d = decode(*msg);
        for(auto c : *conns)
            log.push_back(delivery{c, d.event, d.body, msg, key, false});
    }

    void
    deliver_one(conn_id conn, outbound_ptr msg, std::uint64_t key) override
    {
        ++deliver_one_calls;
        auto d = decode(*msg);
        log.push_back(delivery{conn, d.event, d.body, msg, key, true});
    }

    void
    post(std::function<void()> fn) override
    {
        fn();
    }

    void
    close(conn_id conn, std::string reason) override
    {
        closes.emplace_back(conn, std::move(reason));
    }

    /// What reached `conn` (optionally only event `event`), in order.
    std::vector<delivery>
    of(conn_id conn, std::string_view event = {}) const
    {
        std::vector<delivery> out;
        for(auto const& d : log)
            if(d.conn == conn && (event.empty() || d.event == event))
                out.push_back(d);
        return out;
    }
};

/// One call the hub made on the provider.
struct provider_call {
    std::string what; ///< open_account, request_snapshot, close_account, reset_user, subscribe_ticker, ...
    std::string user;
    std::string account;
    unsigned types = 0;
    std::uint64_t epoch = 0;
    std::string exchange, category, symbol;
};

/// A provider that only records; the test answers through `sink` with whatever epoch it likes.
class manual_provider : public feed::provider {
public:
    explicit manual_provider(net::any_io_executor = {}) {}

    feed::sink* sink = nullptr;
    std::vector<provider_call> calls;

    void set_sink(feed::sink* s) override { sink = s; }
    bool has_exchange(std::string_view e) const override { return e == "bybit" || e == "binance"; }

    void
    open_account(std::string_view user, feed::account const& acct, unsigned types, std::uint64_t epoch) override
    {
        calls.push_back({"open_account", std::string(user), acct.label, types, epoch, acct.exchange, {}, {}});
    }
    void
    request_snapshot(std::string_view user, std::string_view account, feed::stream_type type,
        std::uint64_t epoch) override
    {
        calls.push_back({"request_snapshot", std::string(user), std::string(account),
            1u << static_cast<unsigned>(type), epoch, {}, {}, {}});
    }
    void
    close_account(std::string_view user, std::string_view account) override
    {
        calls.push_back({"close_account", std::string(user), std::string(account), 0, 0, {}, {}, {}});
    }
    void
    reset_user(std::string_view user) override
    {
        calls.push_back({"reset_user", std::string(user), {}, 0, 0, {}, {}, {}});
    }
    void
    subscribe_ticker(std::string_view exchange, std::string_view category, std::string_view symbol) override
    {
        calls.push_back({"subscribe_ticker", {}, {}, 0, 0, std::string(exchange), std::string(category),
            std::string(symbol)});
    }
    void
    unsubscribe_ticker(std::string_view exchange, std::string_view category, std::string_view symbol) override
    {
        calls.push_back({"unsubscribe_ticker", {}, {}, 0, 0, std::string(exchange), std::string(category),
            std::string(symbol)});
    }

    /// How many calls named `what` (for `user`, when given).
    std::size_t
    count(std::string_view what, std::string_view user = {}) const
    {
        return static_cast<std::size_t>(std::count_if(calls.begin(), calls.end(),
            [&](provider_call const& c) { return c.what == what && (user.empty() || c.user == user); }));
    }
    /// The last call named `what`.
    provider_call
    last(std::string_view what) const
    {
        for(auto it = calls.rbegin(); it != calls.rend(); ++it)
            if(it->what == what)
                return *it;
        FAIL("no call " << what);
        return {};
    }
    /// Index of the last call named `what` (for ordering checks); -1 when none.
    long
    last_index(std::string_view what) const
    {
        for(std::size_t i = calls.size(); i-- > 0;)
            if(calls[i].what == what)
                return static_cast<long>(i);
        return -1;
    }
};

/// A fixed credentials store.
class fixed_directory : public hub::account_directory {
public:
    std::map<std::string, std::vector<feed::account>, std::less<>> users;

    std::vector<feed::account>
    accounts_of(std::string_view user) const override
    {
        auto it = users.find(user);
        return it == users.end() ? std::vector<feed::account>{} : it->second;
    }
};

/// A hub on a real io_context with two recording shards. alice has accounts main + alt (bybit),
/// bob has main (bybit), carol has none.
template<class Provider>
struct basic_harness {
    net::io_context ioc;
    recording_shard shard0;
    recording_shard shard1;
    fixed_directory dir;
    Provider provider;
    hub::hub h;
    std::map<conn_id, std::size_t> shard_of; ///< where each attached test connection lives

    template<class... ProviderArgs>
    explicit basic_harness(hub::hub_limits limits = {}, ProviderArgs&&... args)
        : provider(ioc.get_executor(), std::forward<ProviderArgs>(args)...)
        , h(ioc.get_executor(), provider, dir, {&shard0, &shard1}, limits)
    {
        dir.users["alice"] = {{"main", "bybit", "testnet", "ka", "sa"}, {"alt", "bybit", "mainnet", "kb", "sb"}};
        dir.users["bob"] = {{"main", "bybit", "testnet", "kc", "sc"}};
        dir.users["carol"] = {};
    }

    /// Runs every ready handler.
    void
    drain()
    {
        ioc.restart();
        ioc.poll();
    }

    /// Runs handlers (including timers) for `d`.
    void
    run_for(std::chrono::milliseconds d)
    {
        ioc.restart();
        ioc.run_for(d);
    }

    /// Runs handlers until `done()` holds (true) or `timeout` passes (false); robust on a loaded host.
    template<class Pred>
    bool
    run_until(Pred done, std::chrono::milliseconds timeout = std::chrono::milliseconds(3000))
    {
        auto const deadline = std::chrono::steady_clock::now() + timeout;
        while(!done()) {
            if(std::chrono::steady_clock::now() >= deadline)
                return false;
            ioc.restart();
            ioc.run_one_for(std::chrono::milliseconds(10));
        }
        return true;
    }

    recording_shard&
    shard(conn_id c)
    {
        return shard_of.at(c) == 0 ? shard0 : shard1;
    }

    bool
    attach(conn_id c, std::string user, std::size_t shard_index = 0)
    {
        std::optional<bool> ok;
        h.attach(c, std::move(user), shard_index, [&](bool r) { ok = r; });
        drain();
        REQUIRE(ok.has_value());
        if(*ok)
            shard_of[c] = shard_index;
        return *ok;
    }

    void
    detach(conn_id c)
    {
        h.detach(c);
        drain();
        shard_of.erase(c);
    }

    // An ack callback the way the gateway builds one: it posts the ack to the connection's shard, so the
    // ack lands in the same ordered log as the deliveries.
    hub::ack_callback
    ack_to(conn_id c, std::optional<json::object>& out)
    {
        auto* sh = shard_of.contains(c) ? &shard(c) : &shard0;
        return [sh, c, &out](json::object a) {
            out = a;
            sh->post([sh, c, a] { sh->log.push_back(delivery{c, "#ack", a, nullptr, 0, false}); });
        };
    }

    json::object
    sub_trading(conn_id c, json::value args)
    {
        std::optional<json::object> ack;
        h.subscribe_trading(c, std::move(args), ack_to(c, ack));
        drain();
        REQUIRE(ack.has_value());
        return *ack;
    }
    json::object
    unsub_trading(conn_id c, json::value args)
    {
        std::optional<json::object> ack;
        h.unsubscribe_trading(c, std::move(args), ack_to(c, ack));
        drain();
        REQUIRE(ack.has_value());
        return *ack;
    }
    json::object
    sub_ticker(conn_id c, json::value args)
    {
        std::optional<json::object> ack;
        h.subscribe_ticker(c, std::move(args), ack_to(c, ack));
        drain();
        REQUIRE(ack.has_value());
        return *ack;
    }
    json::object
    unsub_ticker(conn_id c, json::value args)
    {
        std::optional<json::object> ack;
        h.unsubscribe_ticker(c, std::move(args), ack_to(c, ack));
        drain();
        REQUIRE(ack.has_value());
        return *ack;
    }

    hub::hub_stats
    stats()
    {
        std::optional<hub::hub_stats> s;
        h.stats([&](hub::hub_stats r) { s = r; });
        drain();
        REQUIRE(s.has_value());
        return *s;
    }

    bool
    flush(std::string user)
    {
        std::optional<bool> found;
        h.flush_user(std::move(user), [&](bool r) { found = r; });
        drain();
        REQUIRE(found.has_value());
        return *found;
    }

    /// Everything that reached `c` (optionally one event).
    std::vector<delivery>
    got(conn_id c, std::string_view event = {})
    {
        return shard(c).of(c, event);
    }
};

using manual_harness = basic_harness<manual_provider>;
using scripted_harness = basic_harness<feed::scripted_feed>;

/// `{"types":[...]}` (+ account).
inline json::value
trading_args(std::initializer_list<char const*> types, char const* account = nullptr)
{
    json::array list;
    for(auto t : types)
        list.emplace_back(t);
    json::object o{{"types", std::move(list)}};
    if(account)
        o["account"] = account;
    return o;
}

/// `{"symbols":[...]}`.
inline json::value
ticker_args(std::initializer_list<char const*> symbols)
{
    json::array list;
    for(auto s : symbols)
        list.emplace_back(s);
    return json::object{{"symbols", std::move(list)}};
}

/// A small balance payload with a marker value.
inline json::value
balance(double equity)
{
    return json::object{{"total_equity", equity},
        {"coins", json::array{json::object{{"coin", "USDT"}, {"equity", equity}, {"available_balance", equity},
                      {"wallet_balance", equity}, {"unrealised_pnl", 0}}}}};
}

/// Equal as the client sees them: our serializer writes 42.0 as 42, which parses back as an integer.
inline bool
same_json(json::value const& a, json::value const& b)
{
    return hub::to_json(a) == hub::to_json(b);
}

/// True if the ack is `{"ok":false,...}` with `code`.
inline bool
is_error(json::object const& ack, std::string_view code)
{
    return !ack.at("ok").as_bool() && ack.at("error").at("code").as_string() == code;
}

constexpr auto balance_bit = 1u << static_cast<unsigned>(feed::stream_type::balance);
constexpr auto positions_bit = 1u << static_cast<unsigned>(feed::stream_type::positions);
constexpr auto pnl_bit = 1u << static_cast<unsigned>(feed::stream_type::pnl);
constexpr auto orders_bit = 1u << static_cast<unsigned>(feed::stream_type::orders);

} // namespace tradepush::test
