// The schema of tradepushd.toml: which keys exist, their ranges, and how they map onto
// daemon_config. Documented for operators in etc/tradepushd.toml; keep both in step.

#include <boost/json/parse.hpp>
#include "config/config.hpp"
#include "config/credentials.hpp"
#include "config/detail/file_io.hpp"
#include "config/detail/toml_reader.hpp"

#include <boost/throw_exception.hpp>

#include <algorithm>
#include <array>
#include <exception>
#include <stdexcept>
#include <utility>

namespace tradepush::config {

namespace {

using detail::error_sink;
using detail::located;
using detail::table_reader;

// Config and key files are small; a cap keeps a wrong path (a log, a device) from eating memory.
constexpr std::size_t max_file_bytes = 16 * 1024 * 1024;
constexpr std::size_t max_listeners = 16;
// RFC 7518 §3.2: an HS256 key must be at least as long as the hash output.
constexpr std::size_t min_hs256_secret = 32;

constexpr std::int64_t kib = 1024;
constexpr std::int64_t mib = 1024 * kib;
constexpr std::int64_t gib = 1024 * mib;
// Timers below 100 ms are busy loops, above 10 minutes nobody notices a dead peer.
constexpr std::int64_t min_timer_ms = 100;
constexpr std::int64_t max_timer_ms = 600000;

constexpr std::array log_levels{"trace", "debug", "info", "warn", "error", "critical", "off"};

std::chrono::milliseconds
ms(std::int64_t v)
{
    return std::chrono::milliseconds(v);
}

std::string
join(auto const& names)
{
    std::string out;
    for (std::string_view n : names) {
        if (!out.empty())
            out += ", ";
        out += n;
    }
    return out;
}

// An Origin header value is scheme://host[:port] and nothing else.
bool
is_origin(std::string_view origin)
{
    std::size_t host_start = 0;
    if (origin.starts_with("http://"))
        host_start = 7;
    else if (origin.starts_with("https://"))
        host_start = 8;
    else
        return false;
    return origin.size() > host_start && origin.find_first_of("/?#@ \t", host_start) == std::string_view::npos;
}

//------------------------------------------------------------------------------

void
read_server(table_reader& t, daemon_config& cfg)
{
    auto& eio = cfg.engineio;

    if (auto listen = t.strings("listen")) {
        if (listen->value.empty())
            t.errors().fail(listen->where, t.name_of("listen") + ": at least one address is required");
        if (listen->value.size() > max_listeners)
            t.errors().fail(listen->where, t.name_of("listen") + ": at most " + std::to_string(max_listeners) +
                " addresses are allowed");
        std::vector<listener> out;
        for (auto const& [text, where] : listen->value) {
            auto l = parse_listener(text);
            if (!l)
                t.errors().fail(where, t.name_of("listen") + ": '" + text + "': " + l.error());
            if (std::find(out.begin(), out.end(), *l) != out.end())
                t.errors().fail(where, t.name_of("listen") + ": '" + text + "' is listed twice");
            out.push_back(std::move(*l));
        }
        cfg.listeners = std::move(out);
    }

    if (auto v = t.integer("workers", 0, 256))
        cfg.workers = static_cast<unsigned>(*v);

    if (auto path = t.string("path")) {
        auto const& p = path->value;
        if (p.empty() || p.front() != '/' || p.back() != '/')
            t.errors().fail(path->where, t.name_of("path") + ": '" + p + "' must start and end with '/'");
        // The path is compared against request targets; these characters would never match one.
        if (p.find_first_of("?# \t\r\n") != std::string::npos)
            t.errors().fail(path->where, t.name_of("path") + ": '" + p + "' must not contain '?', '#' or whitespace");
        eio.path = p;
    }

    if (auto v = t.integer("ping_interval_ms", min_timer_ms, max_timer_ms))
        eio.ping_interval = ms(*v);
    if (auto v = t.integer("ping_timeout_ms", min_timer_ms, max_timer_ms))
        eio.ping_timeout = ms(*v);
    if (auto v = t.integer("upgrade_timeout_ms", min_timer_ms, max_timer_ms))
        eio.upgrade_timeout = ms(*v);
    if (auto v = t.integer("connect_timeout_ms", min_timer_ms, max_timer_ms))
        cfg.connect_timeout = ms(*v);
    if (auto v = t.integer("max_payload", kib, 64 * mib))
        eio.max_payload = static_cast<std::size_t>(*v);

    // The drain must end before systemd's stop timeout (45 s in the packaged unit) kills the
    // process, with room for the plugins to unload.
    if (auto v = t.integer("drain_spread_ms", 0, 30000))
        cfg.drain.spread = ms(*v);
    if (auto v = t.integer("drain_timeout_ms", 1000, 40000))
        cfg.drain.timeout = ms(*v);
    if (auto v = t.integer("close_timeout_ms", min_timer_ms, 10000))
        eio.close_timeout = ms(*v);
    // Pushes wait at most this long for company; beyond a few ms it would only add latency.
    if (auto v = t.integer("flush_window_us", 0, 50000))
        eio.flush_window = std::chrono::microseconds(*v);
    if (cfg.drain.spread + eio.close_timeout > cfg.drain.timeout) {
        t.errors().fail(t.where_of("drain_timeout_ms"), t.name_of("drain_timeout_ms") + ": drain_spread_ms (" +
            std::to_string(cfg.drain.spread.count()) + ") + close_timeout_ms (" +
            std::to_string(eio.close_timeout.count()) + ") must not exceed drain_timeout_ms (" +
            std::to_string(cfg.drain.timeout.count()) + ")");
    }

    if (auto transports = t.strings("transports")) {
        if (transports->value.empty())
            t.errors().fail(transports->where, t.name_of("transports") + ": at least one of \"polling\", \"websocket\" is required");
        bool polling = false;
        bool websocket = false;
        for (auto const& [name, where] : transports->value) {
            bool& flag = name == "polling" ? polling : websocket;
            if (name != "polling" && name != "websocket")
                t.errors().fail(where, t.name_of("transports") + ": unknown transport '" + name +
                    "' (expected \"polling\" or \"websocket\")");
            if (flag)
                t.errors().fail(where, t.name_of("transports") + ": '" + name + "' is listed twice");
            flag = true;
        }
        eio.allow_polling = polling;
        eio.allow_websocket = websocket;
    }

    if (auto v = t.boolean("allow_upgrades"))
        eio.allow_upgrades = *v;

    if (auto origins = t.strings("cors_origins")) {
        std::vector<std::string> out;
        for (auto const& [origin, where] : origins->value) {
            if (origin == "*") {
                if (origins->value.size() != 1)
                    t.errors().fail(where, t.name_of("cors_origins") + ": \"*\" must be the only entry");
            } else if (!is_origin(origin)) {
                // A trailing '/' or a path is the classic mistake that silently matches nothing.
                t.errors().fail(where, t.name_of("cors_origins") + ": '" + origin +
                    "' is not an origin (expected \"*\" or scheme://host[:port], without a path)");
            }
            if (std::find(out.begin(), out.end(), origin) != out.end())
                t.errors().fail(where, t.name_of("cors_origins") + ": '" + origin + "' is listed twice");
            out.push_back(origin);
        }
        eio.cors.origins = std::move(out);
    }

    if (auto v = t.integer("header_timeout_ms", min_timer_ms, 120000))
        cfg.connection.header_timeout = ms(*v);
    if (auto v = t.boolean("proxy_protocol"))
        cfg.connection.proxy_protocol = *v;
    if (auto proxies = t.strings("trusted_proxies")) {
        for (auto const& [text, where] : proxies->value)
            if (!add_network(cfg.connection.trusted_proxies, text))
                t.errors().fail(where, t.name_of("trusted_proxies") + ": '" + text +
                    "' is not an address or network (e.g. \"10.0.0.5\", \"10.0.0.0/8\", \"fd00::/8\")");
    }
    if (cfg.connection.proxy_protocol && cfg.connection.trusted_proxies.empty())
        t.errors().fail(t.where_of("proxy_protocol"), t.name_of("proxy_protocol") +
            ": needs trusted_proxies (the PROXY header is only accepted from them)");

    if (auto v = t.boolean("cors_credentials")) {
        eio.cors.credentials = *v;
        // Browsers reject "Access-Control-Allow-Origin: *" together with credentials (Fetch
        // standard), so this combination could only ever fail later, in a user's browser.
        bool const wildcard = eio.cors.origins.size() == 1 && eio.cors.origins.front() == "*";
        if (*v && wildcard)
            t.errors().fail(t.where_of("cors_credentials"), t.name_of("cors_credentials") +
                ": true cannot be combined with cors_origins = [\"*\"] (browsers refuse credentials "
                "for a wildcard origin); list the origins explicitly");
    }
}

void
read_limits(table_reader& t, daemon_config& cfg)
{
    auto& eio = cfg.engineio;
    if (auto v = t.integer("max_pending_bytes", 64 * kib, gib))
        eio.max_pending_bytes = static_cast<std::size_t>(*v);
    if (auto v = t.integer("slow_consumer_timeout_ms", min_timer_ms, max_timer_ms))
        eio.slow_consumer_timeout = ms(*v);
    if (auto v = t.integer("socket_send_buffer", 0, 64 * mib))
        eio.socket_send_buffer = static_cast<int>(*v);
    if (auto v = t.integer("max_symbols_per_request", 1, 10000))
        cfg.limits.max_symbols_per_request = static_cast<std::size_t>(*v);
    if (auto v = t.integer("max_tickers_per_connection", 1, 100000))
        cfg.limits.max_tickers_per_connection = static_cast<std::size_t>(*v);
    if (auto v = t.integer("max_connections_per_user", 1, 100000))
        cfg.limits.max_connections_per_user = static_cast<std::size_t>(*v);
    if (auto v = t.integer("max_failed_connects", 0, 1000))
        cfg.max_failed_connects = static_cast<unsigned>(*v);
    if (auto v = t.integer("failed_logins_per_address", 0, 1000000))
        cfg.failed_logins_per_address = static_cast<unsigned>(*v);
    auto& conn = cfg.connection;
    if (auto v = t.integer("max_sockets_per_address", 0, 10000000))
        conn.max_sockets_per_address = static_cast<std::size_t>(*v);
    if (auto v = t.integer("handshakes_per_second_per_address", 0, 1000000))
        conn.handshakes_per_second_per_address = static_cast<double>(*v);
    if (auto v = t.integer("handshake_burst_per_address", 1, 10000000))
        conn.handshake_burst_per_address = static_cast<double>(*v);
    if (auto v = t.integer("max_unauthenticated_connections", 0, 10000000))
        conn.max_unauthenticated_sessions = static_cast<std::size_t>(*v);
    // 0 is resolved at start from the open-file limit (app/connection_cap).
    if (auto v = t.integer("max_connections", 0, 10000000))
        eio.max_sessions = static_cast<std::size_t>(*v);
}

// Relative key files follow the config file around (a packaged /etc/tradepushd/keys/..., a test's
// fixture directory), not the daemon's working directory, which under systemd is "/".
std::filesystem::path
resolve(std::filesystem::path const& base_dir, std::string const& name)
{
    std::filesystem::path p(name);
    if (p.is_relative())
        p = base_dir / p;
    return p.lexically_normal();
}

std::string
read_key_file(table_reader const& k, std::string_view key, located<std::string> const& name,
    std::filesystem::path const& base_dir)
{
    if (name.value.empty())
        k.errors().fail(name.where, k.name_of(key) + ": empty file name");
    auto const path = resolve(base_dir, name.value);
    auto data = detail::read_file(path, max_file_bytes);
    if (!data)
        k.errors().fail(name.where, k.name_of(key) + ": cannot read '" + path.string() + "': " + data.error());
    return std::move(*data);
}

jwt_key
read_key(table_reader& k, std::filesystem::path const& base_dir)
{
    jwt_key key;

    if (auto kid = k.string("kid")) {
        if (kid->value.empty())
            k.errors().fail(kid->where, k.name_of("kid") + ": must not be empty (omit it instead)");
        key.kid = std::move(kid->value);
    }

    auto alg = k.string("alg");
    auto secret = k.string("secret");
    auto secret_file = k.string("secret_file");
    auto public_key_file = k.string("public_key_file");
    k.finish();

    if (!alg)
        k.errors().fail(k.where(), k.name_of("alg") + ": missing (one of \"HS256\", \"RS256\", \"ES256\")");
    if (alg->value != "HS256" && alg->value != "RS256" && alg->value != "ES256")
        k.errors().fail(alg->where, k.name_of("alg") + ": unsupported algorithm '" + alg->value +
            "' (expected \"HS256\", \"RS256\" or \"ES256\")");
    key.alg = alg->value;

    if (key.alg == "HS256") {
        if (public_key_file)
            k.errors().fail(public_key_file->where, k.name_of("public_key_file") +
                ": only for RS256/ES256; an HS256 key takes secret or secret_file");
        if (secret && secret_file)
            k.errors().fail(secret_file->where, k.name_of("secret_file") + ": give either secret or secret_file, not both");
        if (!secret && !secret_file)
            k.errors().fail(k.where(), k.name_of("secret") + ": an HS256 key needs secret or secret_file");

        toml::source_region where;
        if (secret) {
            key.material = std::move(secret->value);
            where = secret->where;
        } else {
            key.material = read_key_file(k, "secret_file", *secret_file, base_dir);
            // Editors and `echo` add a newline that nobody means as part of the secret.
            while (!key.material.empty() && (key.material.back() == '\n' || key.material.back() == '\r'))
                key.material.pop_back();
            where = secret_file->where;
        }
        // Only the length is reported: the bytes themselves never go into a message.
        if (key.material.size() < min_hs256_secret)
            k.errors().fail(where, k.name_of(secret ? "secret" : "secret_file") + ": the HS256 secret is " +
                std::to_string(key.material.size()) + " bytes; at least " + std::to_string(min_hs256_secret) +
                " are required (RFC 7518 section 3.2)");
        return key;
    }

    // RS256 / ES256 verify with a public key; a shared secret here is a misunderstanding.
    if (secret || secret_file) {
        auto const& which = secret ? *secret : *secret_file;
        k.errors().fail(which.where, k.name_of(secret ? "secret" : "secret_file") + ": " + key.alg +
            " verifies with a public key; use public_key_file");
    }
    if (!public_key_file)
        k.errors().fail(k.where(), k.name_of("public_key_file") + ": missing; " + key.alg +
            " needs the PEM file of the public key");
    key.material = read_key_file(k, "public_key_file", *public_key_file, base_dir);
    // The auth module parses the key with OpenSSL; here we only catch the obvious wrong file early.
    if (key.material.find("-----BEGIN ") == std::string::npos || key.material.find("-----END ") == std::string::npos)
        k.errors().fail(public_key_file->where, k.name_of("public_key_file") + ": '" +
            resolve(base_dir, public_key_file->value).string() + "' is not a PEM file");
    // A private key lying next to the daemon is a leak waiting to happen; it only needs the public half.
    if (key.material.find("PRIVATE KEY-----") != std::string::npos)
        k.errors().fail(public_key_file->where, k.name_of("public_key_file") + ": '" +
            resolve(base_dir, public_key_file->value).string() +
            "' holds a private key; give the daemon only the public key");
    return key;
}

constexpr std::string_view no_keys_hint =
    "no JWT keys configured: add at least one [[auth.keys]] entry (without a key the daemon could not "
    "accept any client)";

void
read_auth(table_reader& t, daemon_config& cfg, std::filesystem::path const& base_dir)
{
    auto& auth = cfg.auth;
    if (auto v = t.string("issuer")) {
        if (v->value.empty())
            t.errors().fail(v->where, t.name_of("issuer") + ": must not be empty (omit it to accept any issuer)");
        auth.issuer = std::move(v->value);
    }
    if (auto v = t.string("audience")) {
        if (v->value.empty())
            t.errors().fail(v->where, t.name_of("audience") + ": must not be empty (omit it to accept any audience)");
        auth.audience = std::move(v->value);
    }
    if (auto v = t.integer("leeway_s", 0, 3600))
        auth.leeway = std::chrono::seconds(*v);
    if (auto v = t.boolean("require_exp"))
        auth.require_exp = *v;
    if (auto v = t.integer("max_lifetime_s", 0, 366 * 24 * 3600))
        auth.max_lifetime = std::chrono::seconds(*v);

    auto keys = t.tables("keys");
    t.finish();
    if (!keys)
        t.errors().fail(t.where(), no_keys_hint);
    if (keys->value.empty())
        t.errors().fail(keys->where, no_keys_hint);

    for (std::size_t i = 0; i < keys->value.size(); ++i) {
        table_reader k(t.errors(), *keys->value[i], t.name_of("keys") + "[" + std::to_string(i) + "]");
        auto key = read_key(k, base_dir);
        if (!key.kid.empty()) {
            auto const dup = std::find_if(auth.keys.begin(), auth.keys.end(),
                [&](jwt_key const& other) { return other.kid == key.kid; });
            if (dup != auth.keys.end())
                t.errors().fail(k.where_of("kid"), k.name_of("kid") + ": '" + key.kid + "' is already used by " +
                    t.name_of("keys") + "[" + std::to_string(dup - auth.keys.begin()) + "]");
        }
        auth.keys.push_back(std::move(key));
    }
}

void
read_feed(table_reader& t, daemon_config& cfg)
{
    auto& feed = cfg.feed;
    if (auto kind = t.string("kind")) {
        if (kind->value != "scripted")
            t.errors().fail(kind->where, t.name_of("kind") + ": unknown feed '" + kind->value +
                "' (only \"scripted\" exists so far)");
        feed.kind = std::move(kind->value);
    }
    // 0 means "never tick" (data changes only when a test pushes it); below 10 ms would spin.
    if (auto v = t.integer("tick_interval_ms", 0, 3600000)) {
        if (*v > 0 && *v < 10)
            t.errors().fail(t.where_of("tick_interval_ms"),
                t.name_of("tick_interval_ms") + ": " + std::to_string(*v) + " is out of range (0, or 10..3600000)");
        feed.tick_interval = ms(*v);
    }
    if (auto v = t.integer("snapshot_delay_ms", 0, 60000))
        feed.snapshot_delay = ms(*v);
    if (auto exchanges = t.strings("exchanges")) {
        if (exchanges->value.empty())
            t.errors().fail(exchanges->where, t.name_of("exchanges") + ": at least one exchange is required");
        std::vector<std::string> out;
        for (auto const& [name, where] : exchanges->value) {
            // Exchange ids go into event payloads and metric labels: keep them plain.
            bool const plain = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
                return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
            });
            if (!plain)
                t.errors().fail(where, t.name_of("exchanges") + ": '" + name +
                    "' is not an exchange id (lower-case letters, digits, '_' and '-')");
            if (std::find(out.begin(), out.end(), name) != out.end())
                t.errors().fail(where, t.name_of("exchanges") + ": '" + name + "' is listed twice");
            out.push_back(name);
        }
        feed.exchanges = std::move(out);
    }
}

void
read_plugins(table_reader& t, daemon_config& cfg, std::filesystem::path const& base_dir)
{
    auto& plugins = cfg.plugins;
    auto resolve = [&](std::filesystem::path const& p, std::filesystem::path const& against) {
        return p.is_absolute() ? p : (against / p).lexically_normal();
    };
    if (auto v = t.string("dir"))
        plugins.dir = resolve(v->value, base_dir);
    if (auto v = t.string("run_dir"))
        plugins.run_dir = resolve(v->value, base_dir);
    if (auto v = t.integer("upstream_connections", 1, 1024))
        plugins.upstream_connections = static_cast<std::size_t>(*v);
    auto load = t.tables("load");
    t.finish();
    if (!load)
        return;
    for (std::size_t i = 0; i < load->value.size(); ++i) {
        table_reader p(t.errors(), *load->value[i], t.name_of("load") + "[" + std::to_string(i) + "]");
        plugin_config pc;
        auto file = p.string("file");
        if (auto c = p.string("config")) {
            // The plugin parses it, but a typo is better reported here, with its position.
            boost::system::error_code ec;
            boost::json::parse(c->value, ec);
            if (ec)
                t.errors().fail(c->where, p.name_of("config") + ": not valid JSON (" + ec.message() + ")");
            pc.config_json = std::move(c->value);
        } else {
            pc.config_json = "{}";
        }
        p.finish();
        if (!file)
            t.errors().fail(p.where(), p.name_of("file") + ": required (the plugin's .so)");
        pc.file = resolve(file->value, plugins.dir);
        std::error_code fec;
        if (!std::filesystem::is_regular_file(pc.file, fec))
            t.errors().fail(file->where, p.name_of("file") + ": " + pc.file.string() + " is not a readable file");
        plugins.load.push_back(std::move(pc));
    }
}

void
read_credentials(table_reader& t, daemon_config& cfg, std::filesystem::path const& base_dir)
{
    auto file = t.string("file");
    t.finish();
    if (!file)
        return;
    if (file->value.empty())
        t.errors().fail(file->where, t.name_of("file") + ": empty (leave out [credentials] to run without a store)");
    std::filesystem::path p = file->value;
    cfg.credentials.file = p.is_absolute() ? p : (base_dir / p).lexically_normal();
    auto store = load_credentials_file(cfg.credentials.file);
    if (!store)
        t.errors().fail(file->where, t.name_of("file") + ": " + store.error().message);
    cfg.credentials.store = std::make_shared<credentials const>(std::move(*store));
}

void
read_admin(table_reader& t, daemon_config& cfg, std::filesystem::path const& base_dir)
{
    auto& a = cfg.admin;
    if (auto v = t.string("socket")) {
        std::filesystem::path p = v->value;
        a.socket = v->value.empty() || p.is_absolute() ? p : (base_dir / p).lexically_normal();
        // sun_path holds 108 bytes with the terminating NUL.
        if (a.socket.native().size() > 107)
            t.errors().fail(v->where, t.name_of("socket") + ": longer than the 107 bytes a UNIX socket path may have");
    }
    if (auto v = t.string("mode")) {
        unsigned mode = 0;
        bool ok = v->value.size() >= 3 && v->value.size() <= 4;
        for (char c : v->value) {
            ok = ok && c >= '0' && c <= '7';
            mode = mode * 8 + static_cast<unsigned>(c - '0');
        }
        if (!ok || mode > 0777)
            t.errors().fail(v->where, t.name_of("mode") + ": expected octal permission bits such as \"0660\"");
        a.mode = mode;
    }
    if (auto v = t.string("group"))
        a.group = std::move(v->value);
    if (auto v = t.string("admin_group"))
        a.admin_group = std::move(v->value);
    if (auto v = t.string("operate_group"))
        a.operate_group = std::move(v->value);
    if (auto v = t.integer("max_connections", 1, 1024))
        a.max_connections = static_cast<std::size_t>(*v);
    if (auto v = t.integer("max_request_bytes", 1024, 16 * mib))
        a.max_request_bytes = static_cast<std::size_t>(*v);
    if (auto v = t.integer("idle_timeout_s", 1, 86400))
        a.idle_timeout = std::chrono::seconds(*v);
    if (auto v = t.integer("command_timeout_s", 1, 600))
        a.command_timeout = std::chrono::seconds(*v);
}

void
read_log(table_reader& t, daemon_config& cfg)
{
    if (auto level = t.string("level")) {
        if (std::find(log_levels.begin(), log_levels.end(), level->value) == log_levels.end())
            t.errors().fail(level->where, t.name_of("level") + ": unknown level '" + level->value + "' (expected " +
                join(log_levels) + ")");
        cfg.log_level = std::move(level->value);
    }
}

// Reads one optional top-level table with `fn`, then rejects the table's unknown keys.
template <class Fn>
void
read_section(error_sink const& errors, toml::table const* table, char const* name, Fn&& fn)
{
    if (!table)
        return;
    table_reader t(errors, *table, name);
    fn(t);
    t.finish();
}

daemon_config
read_document(toml::table const& root, error_sink const& errors, std::filesystem::path const& base_dir)
{
    daemon_config cfg;
    table_reader r(errors, root, "");
    auto const* server = r.table("server");
    auto const* limits = r.table("limits");
    auto const* auth = r.table("auth");
    auto const* feed = r.table("feed");
    auto const* log = r.table("log");
    auto const* plugins = r.table("plugins");
    auto const* creds = r.table("credentials");
    auto const* admin = r.table("admin");
    // Unknown sections first: a misspelt [auht] explains a later "no keys" better than anything.
    r.finish();

    read_section(errors, server, "server", [&](table_reader& t) { read_server(t, cfg); });
    read_section(errors, limits, "limits", [&](table_reader& t) { read_limits(t, cfg); });
    if (!auth)
        errors.fail(no_keys_hint);
    read_section(errors, auth, "auth", [&](table_reader& t) { read_auth(t, cfg, base_dir); });
    read_section(errors, feed, "feed", [&](table_reader& t) { read_feed(t, cfg); });
    read_section(errors, log, "log", [&](table_reader& t) { read_log(t, cfg); });
    read_section(errors, plugins, "plugins", [&](table_reader& t) { read_plugins(t, cfg, base_dir); });
    read_section(errors, creds, "credentials", [&](table_reader& t) { read_credentials(t, cfg, base_dir); });
    read_section(errors, admin, "admin", [&](table_reader& t) { read_admin(t, cfg, base_dir); });
    return cfg;
}

} // namespace

//------------------------------------------------------------------------------

void
throw_exception_from_error(config_error const& e, boost::source_location const& loc)
{
    boost::throw_with_location(std::runtime_error(e.message), loc);
}

boost::system::result<daemon_config, config_error>
load_string(std::string_view toml, std::filesystem::path const& source_name, std::filesystem::path const& base_dir)
{
    error_sink const errors(source_name.string());
    // Exceptions are how the reader unwinds out of deep validation; none of them leaves this function.
    try {
        toml::table root;
        try {
            root = toml::parse(toml, source_name.string());
        } catch (toml::parse_error const& e) {
            return config_error{errors.format(e.source(), e.description())};
        }
        daemon_config cfg = read_document(root, errors, base_dir);
        cfg.source = source_name;
        return cfg;
    } catch (detail::load_failure& f) {
        return config_error{std::move(f.message)};
    } catch (std::exception const& e) {
        return config_error{source_name.string() + ": " + e.what()};
    }
}

boost::system::result<daemon_config, config_error>
load_file(std::filesystem::path const& path)
{
    auto text = detail::read_file(path, max_file_bytes);
    if (!text)
        return config_error{path.string() + ": cannot read config file: " + text.error()};
    auto base_dir = path.parent_path();
    if (base_dir.empty())
        base_dir = ".";
    return load_string(*text, path, base_dir);
}

} // namespace tradepush::config
