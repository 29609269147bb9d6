#include "config.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace tradepush::bybit {

namespace json = boost::json;

std::optional<network>
parse_network(std::string_view s) noexcept
{
    if(s == "mainnet")
        return network::mainnet;
    if(s == "testnet")
        return network::testnet;
    if(s == "demo")
        return network::demo;
    return std::nullopt;
}

std::string_view
to_string(network n) noexcept
{
    switch(n) {
    case network::mainnet: return "mainnet";
    case network::testnet: return "testnet";
    case network::demo: return "demo";
    }
    return "mainnet";
}

network_urls
default_urls(network n)
{
    switch(n) {
    case network::testnet:
        return {"https://api-testnet.bybit.com", "wss://stream-testnet.bybit.com/v5/public/linear",
            "wss://stream-testnet.bybit.com/v5/public/spot", "wss://stream-testnet.bybit.com/v5/private"};
    case network::demo:
        // Demo has only a private stream of its own; its public data is mainnet's (spec §1).
        return {"https://api-demo.bybit.com", "wss://stream.bybit.com/v5/public/linear",
            "wss://stream.bybit.com/v5/public/spot", "wss://stream-demo.bybit.com/v5/private"};
    case network::mainnet:
        break;
    }
    return {"https://api.bybit.com", "wss://stream.bybit.com/v5/public/linear",
        "wss://stream.bybit.com/v5/public/spot", "wss://stream.bybit.com/v5/private"};
}

bool
is_valid_symbol(std::string_view symbol) noexcept
{
    if(symbol.size() < 2 || symbol.size() > 32)
        return false;
    return std::all_of(symbol.begin(), symbol.end(),
        [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'; });
}

namespace {

[[noreturn]] void
fail(std::string_view key, std::string_view why)
{
    throw std::invalid_argument("bybit config: " + std::string(key) + ": " + std::string(why));
}

std::int64_t
read_int(json::value const& v, std::string_view key, std::int64_t lo, std::int64_t hi, bool zero_ok,
    std::string_view what)
{
    if(!v.is_int64() && !v.is_uint64())
        fail(key, "must be " + std::string(what));
    auto const n = v.is_int64() ? v.as_int64() : static_cast<std::int64_t>(std::min<std::uint64_t>(v.as_uint64(),
        static_cast<std::uint64_t>(INT64_MAX)));
    if(zero_ok && n == 0)
        return 0;
    if(n < lo || n > hi)
        fail(key, "must be in " + std::to_string(lo) + ".." + std::to_string(hi)
            + (zero_ok ? " (or 0)" : ""));
    return n;
}

std::chrono::milliseconds
read_ms(json::value const& v, std::string_view key, std::int64_t lo, std::int64_t hi, bool zero_ok = false)
{
    return std::chrono::milliseconds{read_int(v, key, lo, hi, zero_ok, "an integer number of milliseconds")};
}

double
read_double(json::value const& v, std::string_view key, double lo, double hi)
{
    if(!v.is_number())
        fail(key, "must be a number");
    auto const d = v.to_number<double>();
    if(!std::isfinite(d) || d < lo || d > hi)
        fail(key, "must be in " + std::to_string(lo) + ".." + std::to_string(hi));
    return d;
}

bool
is_loopback_host(std::string_view rest) noexcept
{
    // `rest` is what follows "scheme://": host[:port][/path]
    for(std::string_view h : {"127.0.0.1", "localhost", "[::1]"}) {
        if(rest.substr(0, h.size()) == h
            && (rest.size() == h.size() || rest[h.size()] == ':' || rest[h.size()] == '/'))
            return true;
    }
    return false;
}

// Checks one URL and strips a trailing '/'. `secure`/`plain` are the two schemes of its kind.
std::string
read_url(json::value const& v, std::string_view key, std::string_view secure, std::string_view plain,
    bool allow_insecure)
{
    if(!v.is_string())
        fail(key, "must be a string URL");
    std::string url(v.as_string());
    while(!url.empty() && url.back() == '/')
        url.pop_back();
    auto const starts = [&](std::string_view p) { return url.compare(0, p.size(), p) == 0; };
    std::string_view rest;
    if(starts(secure)) {
        rest = std::string_view(url).substr(secure.size());
    } else if(starts(plain)) {
        rest = std::string_view(url).substr(plain.size());
        if(!allow_insecure || !is_loopback_host(rest))
            fail(key, std::string(plain) + " is allowed only with allow_insecure_loopback = true and a loopback "
                "host (127.0.0.1, [::1], localhost)");
    } else {
        fail(key, "must start with " + std::string(secure));
    }
    if(rest.empty() || rest.front() == '/' || url.find_first_of(" ?#") != std::string::npos)
        fail(key, "must be a plain URL with a host and no query or fragment");
    return url;
}

void
read_urls(json::object const& o, std::string_view prefix, network_urls& out, bool allow_insecure)
{
    for(auto const& [k, v] : o) {
        std::string key = std::string(prefix) + std::string(k);
        if(k == "rest_url")
            out.rest = read_url(v, key, "https://", "http://", allow_insecure);
        else if(k == "ws_public_linear_url")
            out.ws_public_linear = read_url(v, key, "wss://", "ws://", allow_insecure);
        else if(k == "ws_public_spot_url")
            out.ws_public_spot = read_url(v, key, "wss://", "ws://", allow_insecure);
        else if(k == "ws_private_url")
            out.ws_private = read_url(v, key, "wss://", "ws://", allow_insecure);
        else if(prefix.empty())
            continue; // top level: other keys are handled by the caller
        else
            fail(key, "unknown key");
    }
}

std::vector<std::string>
read_string_list(json::value const& v, std::string_view key)
{
    if(!v.is_array() || v.as_array().empty())
        fail(key, "must be a non-empty array of strings");
    std::vector<std::string> out;
    for(auto const& e : v.as_array()) {
        if(!e.is_string() || e.as_string().empty())
            fail(key, "must be a non-empty array of strings");
        out.emplace_back(e.as_string());
    }
    return out;
}

} // namespace

config
parse_config(std::string_view text)
{
    config cfg;
    auto const first = text.find_first_not_of(" \t\r\n");
    if(first == std::string_view::npos)
        return cfg;
    boost::system::error_code ec;
    auto const root = json::parse(text, ec);
    if(ec)
        fail("(config)", "not valid JSON: " + ec.message());
    if(!root.is_object())
        fail("(config)", "must be a JSON object");
    auto const& o = root.as_object();

    // First the switch the URL checks depend on.
    if(auto const* v = o.if_contains("allow_insecure_loopback")) {
        if(!v->is_bool())
            fail("allow_insecure_loopback", "must be true or false");
        cfg.allow_insecure_loopback = v->as_bool();
    }

    // Top-level URLs apply to every network (a simulator serves them all); network_urls refine per network.
    network_urls top{"", "", "", ""};
    read_urls(o, "", top, cfg.allow_insecure_loopback);
    for(auto& u : cfg.urls) {
        if(!top.rest.empty()) u.rest = top.rest;
        if(!top.ws_public_linear.empty()) u.ws_public_linear = top.ws_public_linear;
        if(!top.ws_public_spot.empty()) u.ws_public_spot = top.ws_public_spot;
        if(!top.ws_private.empty()) u.ws_private = top.ws_private;
    }

    for(auto const& [k, v] : o) {
        if(k == "allow_insecure_loopback" || k == "rest_url" || k == "ws_public_linear_url"
            || k == "ws_public_spot_url" || k == "ws_private_url") {
            continue;
        } else if(k == "network_urls") {
            if(!v.is_object())
                fail(k, "must be an object {\"mainnet\"|\"testnet\"|\"demo\": {...}}");
            for(auto const& [nk, nv] : v.as_object()) {
                auto const n = parse_network(nk);
                if(!n)
                    fail("network_urls." + std::string(nk), "unknown network (mainnet, testnet, demo)");
                if(!nv.is_object())
                    fail("network_urls." + std::string(nk), "must be an object");
                read_urls(nv.as_object(), "network_urls." + std::string(nk) + ".",
                    cfg.urls[static_cast<std::size_t>(*n)], cfg.allow_insecure_loopback);
            }
        } else if(k == "ticker_network") {
            auto const n = v.is_string() ? parse_network(v.as_string()) : std::nullopt;
            if(!n)
                fail(k, "must be \"mainnet\", \"testnet\" or \"demo\"");
            cfg.ticker_network = *n;
        } else if(k == "recv_window_ms") {
            cfg.recv_window = read_ms(v, k, 100, 120000);
        } else if(k == "reconcile_interval_ms") {
            cfg.reconcile_interval = read_ms(v, k, 1000, 86400000, true);
        } else if(k == "ping_interval_ms") {
            cfg.ping_interval = read_ms(v, k, 100, 600000);
        } else if(k == "pong_timeout_ms") {
            cfg.pong_timeout = read_ms(v, k, 100, 600000);
        } else if(k == "auth_expiry_ms") {
            cfg.auth_expiry = read_ms(v, k, 1000, 3600000);
        } else if(k == "request_timeout_ms") {
            cfg.request_timeout = read_ms(v, k, 100, 600000);
        } else if(k == "time_sync_interval_ms") {
            cfg.time_sync_interval = read_ms(v, k, 1000, 86400000, true);
        } else if(k == "rate_limit_backoff_ms") {
            cfg.rate_limit_backoff = read_ms(v, k, 10, 600000);
        } else if(k == "ip_ban_backoff_ms") {
            cfg.ip_ban_backoff = read_ms(v, k, 10, 3600000);
        } else if(k == "rest_ip_limit") {
            cfg.rest_ip_limit = static_cast<std::size_t>(read_int(v, k, 1, 100000, false, "an integer"));
        } else if(k == "rest_ip_window_ms") {
            cfg.rest_ip_window = read_ms(v, k, 100, 600000);
        } else if(k == "ws_open_limit") {
            cfg.ws_open_limit = static_cast<std::size_t>(read_int(v, k, 1, 100000, false, "an integer"));
        } else if(k == "ws_open_window_ms") {
            cfg.ws_open_window = read_ms(v, k, 1000, 3600000);
        } else if(k == "ws_wait_poll_ms") {
            cfg.ws_wait_poll = read_ms(v, k, 1000, 600000);
        } else if(k == "backoff_initial_ms") {
            cfg.backoff.initial = read_ms(v, k, 1, 600000);
        } else if(k == "backoff_max_ms") {
            cfg.backoff.max = read_ms(v, k, 1, 3600000);
        } else if(k == "backoff_multiplier") {
            cfg.backoff.multiplier = read_double(v, k, 1.0, 10.0);
        } else if(k == "backoff_jitter") {
            cfg.backoff.jitter = read_double(v, k, 0.0, 1.0);
        } else if(k == "jitter_seed") {
            if(!v.is_uint64() && !(v.is_int64() && v.as_int64() >= 0))
                fail(k, "must be a non-negative integer");
            cfg.jitter_seed = v.is_uint64() ? v.as_uint64() : static_cast<std::uint64_t>(v.as_int64());
        } else if(k == "settle_coins") {
            cfg.settle_coins = read_string_list(v, k);
            for(auto const& c : cfg.settle_coins)
                if(!is_valid_symbol(c) || c.find('-') != std::string::npos)
                    fail(k, "'" + c + "' is not an upper-case coin name");
        } else if(k == "ticker_categories") {
            cfg.ticker_categories = read_string_list(v, k);
            for(auto const& c : cfg.ticker_categories)
                if(c != "linear" && c != "spot")
                    fail(k, "'" + c + "' is not supported (linear, spot)");
        } else {
            fail(k, "unknown key");
        }
    }
    if(cfg.backoff.max < cfg.backoff.initial)
        fail("backoff_max_ms", "must not be smaller than backoff_initial_ms");
    if(cfg.pong_timeout >= cfg.ping_interval + cfg.ping_interval)
        fail("pong_timeout_ms", "must be shorter than two ping intervals");
    return cfg;
}

} // namespace tradepush::bybit
