// A small plugin that talks to an "exchange" through the host's HTTP and WebSocket services, so the
// conformance kit's scripted peers can be tested (and shown) with a plugin that needs fixtures:
//   open_account  -> GET <base>/v1/balance?account=<label>, signed: X-KEY, X-TS (wall_ms) and
//                    X-SIGN = hex(HMAC-SHA256(secret, ts + method + path_and_query)); a 200 body is
//                    emitted as the balance stream, anything else as stream_status error.
//   subscribe_ticker -> a public WebSocket <ws>/public; on open it sends
//                    {"op":"subscribe","args":["tickers.<symbol>"]}; every text message is the ticker.
// Config: {"base":"https://api.example.test","ws":"wss://stream.example.test"} (both required).
#include <tradepush/plugin.hpp>

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace sdk = tradepush::sdk;

namespace {

/// The string value of "key" in a flat JSON object without escapes (enough for this test config).
std::string
config_value(std::string_view json, std::string_view key)
{
    auto const k = "\"" + std::string{key} + "\"";
    auto at = json.find(k);
    if(at == std::string_view::npos)
        throw std::invalid_argument("config: " + std::string{key} + " is required");
    at = json.find('"', json.find(':', at + k.size()));
    auto const end = json.find('"', at + 1);
    if(at == std::string_view::npos || end == std::string_view::npos)
        throw std::invalid_argument("config: bad " + std::string{key});
    return std::string{json.substr(at + 1, end - at - 1)};
}

constexpr char hex_digits[] = "0123456789abcdef";

class rest_plugin {
public:
    rest_plugin(sdk::host host, std::string_view config)
        : host_(host), base_(config_value(config, "base")), ws_(config_value(config, "ws"))
    {
    }

    /// The balance answer of one session.
    void
    on_http_done(sdk::op op, std::uint64_t, sdk::http_response const& r)
    {
        for(auto it = sessions_.begin(); it != sessions_.end(); ++it) {
            if(it->second.request != op)
                continue;
            it->second.request = 0;
            if(r.status == 200)
                host_.emit_data(it->second.owner, it->first.second, sdk::stream::balance, r.body);
            else
                host_.emit_status(it->second.owner, it->first.second, sdk::stream::balance, {}, {},
                    sdk::stream_state::error, "exchange_unavailable",
                    r.status == 0 ? r.error : "HTTP " + std::to_string(r.status));
            return;
        }
    }

    /// Ticker sockets: subscribe on open, emit every text message.
    void
    on_ws_event(sdk::op op, std::uint64_t, sdk::ws_event_kind kind, std::string_view data)
    {
        for(auto it = tickers_.begin(); it != tickers_.end(); ++it) {
            if(it->second != op)
                continue;
            if(kind == sdk::ws_event_kind::open)
                host_.ws_send(op, R"({"op":"subscribe","args":["tickers.)" + it->first.second + "\"]}");
            else if(kind == sdk::ws_event_kind::text)
                host_.emit_ticker(it->first.first, it->first.second, data);
            else if(kind == sdk::ws_event_kind::closed)
                tickers_.erase(it);
            return;
        }
    }

    /// Starts the signed balance request of (owner, account).
    sdk::status
    open_account(sdk::owner const& owner, sdk::account const& account, std::uint32_t)
    {
        auto& s = sessions_[{owner.user, std::string{account.label}}];
        s.owner = owner;
        // Copied: the account's views die when this call returns.
        s.key = account.api_key;
        s.secret = account.api_secret;
        return send(s, account.label);
    }

    /// Same request again.
    sdk::status
    request_snapshot(sdk::owner const& owner, std::string_view account, sdk::stream stream)
    {
        if(stream != sdk::stream::balance)
            return sdk::status::invalid;
        auto it = sessions_.find({owner.user, std::string{account}});
        if(it == sessions_.end())
            return sdk::status::not_found;
        it->second.owner = owner;
        return send(it->second, account);
    }

    /// Drops a session.
    sdk::status
    close_account(sdk::owner const& owner, std::string_view account)
    {
        auto it = sessions_.find({owner.user, std::string{account}});
        if(it == sessions_.end())
            return sdk::status::not_found;
        host_.cancel(it->second.request);
        sessions_.erase(it);
        return sdk::status::ok;
    }

    /// Opens the ticker socket.
    sdk::status
    subscribe_ticker(std::string_view category, std::string_view symbol)
    {
        if(category != "spot")
            return sdk::status::invalid;
        auto& op = tickers_[{std::string{category}, std::string{symbol}}];
        if(op == 0)
            op = host_.ws_open(sdk::owner{}, sdk::ws_request{ws_ + "/public", {}, {}}, 2);
        return op != 0 ? sdk::status::ok : sdk::status::transient;
    }

    /// Closes the ticker socket.
    sdk::status
    unsubscribe_ticker(std::string_view category, std::string_view symbol)
    {
        auto it = tickers_.find({std::string{category}, std::string{symbol}});
        if(it == tickers_.end())
            return sdk::status::not_found;
        host_.cancel(it->second);
        tickers_.erase(it);
        return sdk::status::ok;
    }

    /// Drops the user's sessions; the host already cancelled their requests.
    sdk::status
    reset_user(sdk::owner const& old_owner)
    {
        for(auto it = sessions_.begin(); it != sessions_.end();)
            it = it->first.first == old_owner.user ? sessions_.erase(it) : std::next(it);
        return sdk::status::ok;
    }

private:
    struct session {
        sdk::owner owner;
        sdk::op request = 0;
        std::string key;
        std::string secret;
    };

    // Signs and starts the balance request of one session.
    sdk::status
    send(session& s, std::string_view label)
    {
        host_.cancel(s.request);
        std::string const path = "/v1/balance?account=" + std::string{label};
        auto const ts = std::to_string(host_.wall_ms());
        auto const mac = host_.hmac_sha256(s.secret, ts + "GET" + path);
        std::string sign;
        for(auto b : mac) {
            sign += hex_digits[b >> 4];
            sign += hex_digits[b & 0xf];
        }
        sdk::http_request req;
        req.url = base_ + path;
        req.headers = {{"X-KEY", s.key}, {"X-TS", ts}, {"X-SIGN", sign}};
        s.request = host_.http(s.owner, req, 1);
        return s.request != 0 ? sdk::status::ok : sdk::status::transient;
    }

    sdk::host host_;
    std::string base_;
    std::string ws_;
    std::map<std::pair<std::string, std::string>, session> sessions_;
    std::map<std::pair<std::string, std::string>, sdk::op> tickers_;
};

} // namespace

TRADEPUSH_DEFINE_PLUGIN(rest_plugin, "rest", "0.0.1", R"({"account_streams":["balance"],"tickers":["spot"]})");
