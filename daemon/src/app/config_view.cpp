#include "app/config_view.hpp"

#include "admin/redact.hpp"
#include "config/credentials.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>

#include <cstdint>
#include <cstdio>

namespace tradepush::app {

namespace json = boost::json;

namespace {

std::int64_t
ms(std::chrono::milliseconds d)
{
    return d.count();
}

std::string
octal(unsigned mode)
{
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", mode);
    return buf;
}

// A key is shown by what it is, never by its bytes: HS256 material is a shared secret, and even a
// public key only needs its size to be recognised.
json::object
key_view(config::jwt_key const& k)
{
    json::object o{{"kid", k.kid}, {"alg", k.alg}};
    if(k.alg == "HS256")
        o["secret"] = "***";
    else
        o["public_key_bytes"] = k.material.size();
    return o;
}

// A plugin's config is free-form JSON: keep its shape, hide values under secret-looking keys. What
// does not parse (it was validated at load, so never in practice) is hidden whole.
json::value
plugin_config_view(std::string const& text)
{
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    if(ec)
        return "***";
    if(!v.is_object() && !v.is_array())
        return "***";
    return admin::redact_config(v);
}

} // namespace

json::object
config_view(config::daemon_config const& cfg)
{
    json::object o;
    o["source"] = cfg.source.string();

    json::array listeners;
    for(auto const& l : cfg.listeners)
        listeners.emplace_back(config::to_string(l));
    o["server"] = json::object{{"listeners", std::move(listeners)}, {"workers", cfg.workers},
        {"path", cfg.engineio.path}, {"ping_interval_ms", ms(cfg.engineio.ping_interval)},
        {"ping_timeout_ms", ms(cfg.engineio.ping_timeout)}, {"max_payload", cfg.engineio.max_payload},
        {"allow_polling", cfg.engineio.allow_polling}, {"max_pending_bytes", cfg.engineio.max_pending_bytes},
        {"slow_consumer_timeout_ms", ms(cfg.engineio.slow_consumer_timeout)},
        {"close_timeout_ms", ms(cfg.engineio.close_timeout)},
        {"flush_window_us", static_cast<std::int64_t>(cfg.engineio.flush_window.count())},
        {"socket_send_buffer", cfg.engineio.socket_send_buffer},
        {"connect_timeout_ms", ms(cfg.connect_timeout)}, {"drain_spread_ms", ms(cfg.drain.spread)},
        {"drain_timeout_ms", ms(cfg.drain.timeout)}};
    o["limits"] = json::object{{"max_symbols_per_request", cfg.limits.max_symbols_per_request},
        {"max_tickers_per_connection", cfg.limits.max_tickers_per_connection},
        {"max_connections_per_user", cfg.limits.max_connections_per_user},
        {"max_failed_connects", cfg.max_failed_connects},
        {"failed_logins_per_address", cfg.failed_logins_per_address},
        {"max_connections", cfg.engineio.max_sessions}};

    json::array keys;
    for(auto const& k : cfg.auth.keys)
        keys.push_back(key_view(k));
    json::object auth{{"keys", std::move(keys)}, {"leeway_s", cfg.auth.leeway.count()},
        {"require_exp", cfg.auth.require_exp}, {"max_lifetime_s", cfg.auth.max_lifetime.count()}};
    if(cfg.auth.issuer)
        auth["issuer"] = *cfg.auth.issuer;
    if(cfg.auth.audience)
        auth["audience"] = *cfg.auth.audience;
    o["auth"] = std::move(auth);

    json::array exchanges;
    for(auto const& e : cfg.feed.exchanges)
        exchanges.emplace_back(e);
    o["feed"] = json::object{{"kind", cfg.feed.kind}, {"tick_interval_ms", ms(cfg.feed.tick_interval)},
        {"snapshot_delay_ms", ms(cfg.feed.snapshot_delay)}, {"exchanges", std::move(exchanges)}};

    json::array load;
    for(auto const& p : cfg.plugins.load)
        load.push_back(json::object{{"file", p.file.string()}, {"config", plugin_config_view(p.config_json)}});
    o["plugins"] = json::object{{"dir", cfg.plugins.dir.string()}, {"run_dir", cfg.plugins.run_dir.string()},
        {"upstream_connections", cfg.plugins.upstream_connections}, {"load", std::move(load)}};

    // The store holds users' API keys and secrets: only where it is and how big it is.
    json::object creds{{"file", cfg.credentials.file.string()}};
    if(cfg.credentials.store) {
        creds["users"] = cfg.credentials.store->users.size();
        creds["accounts"] = cfg.credentials.store->accounts();
    }
    o["credentials"] = std::move(creds);

    auto const& a = cfg.admin;
    o["admin"] = json::object{{"socket", a.socket.string()}, {"mode", octal(a.mode)}, {"group", a.group},
        {"admin_group", a.admin_group}, {"operate_group", a.operate_group}, {"max_connections", a.max_connections},
        {"max_request_bytes", a.max_request_bytes}, {"idle_timeout_ms", ms(a.idle_timeout)},
        {"command_timeout_ms", ms(a.command_timeout)}};
    o["log"] = json::object{{"level", cfg.log_level}};
    return o;
}

} // namespace tradepush::app
