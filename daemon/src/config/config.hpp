#pragma once
// The daemon's configuration: what tradepushd.toml says, validated and with defaults applied.
// Loading is all-or-nothing: a caller gets a complete daemon_config or a config_error, never a
// partially filled one, so a reload can swap configs atomically (operations.md §4.5).

#include "config/listener.hpp"
#include "engineio/options.hpp"
#include "hub/hub.hpp"

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tradepush::config {

/// One key that may sign client JWTs.
struct jwt_key {
    /// Key id matched against the token header's `kid`; empty when the config gave none.
    std::string kid;
    /// "HS256", "RS256" or "ES256".
    std::string alg;
    /// HS256: the secret bytes. RS256/ES256: the PEM text of the public key. Never log it.
    std::string material;
};

/// How client tokens are verified.
struct auth_config {
    /// Accepted keys; a loaded config always has at least one.
    std::vector<jwt_key> keys;
    /// Required `iss` claim, when set.
    std::optional<std::string> issuer;
    /// Required `aud` claim, when set.
    std::optional<std::string> audience;
    /// Clock skew tolerated on `exp` / `nbf` / `iat`.
    std::chrono::seconds leeway{30};
    /// Refuse tokens without `exp`.
    bool require_exp = true;
    /// Longest token lifetime accepted (exp - iat, or exp - now without iat); 0 = no cap.
    std::chrono::seconds max_lifetime{24 * 3600};
};

/// Where market and account data come from.
struct feed_config {
    /// Feed implementation; only "scripted" exists so far.
    std::string kind = "scripted";
    /// How often the scripted feed moves its prices and accounts.
    std::chrono::milliseconds tick_interval{1000};
    /// Artificial latency of a snapshot request (to exercise the "snapshot within 1 s" invariant).
    std::chrono::milliseconds snapshot_delay{0};
    /// Exchanges the feed serves.
    std::vector<std::string> exchanges{"bybit"};
};

/// Engine.IO options with the Socket.IO path, which is what our clients connect to.
inline engineio::options
default_engineio_options()
{
    engineio::options o;
    o.path = "/socket.io/";
    return o;
}

struct credentials;

/// How SIGTERM and the admin `drain` close clients (operations.md §5.2): `[server] drain_*`.
struct drain_config {
    /// Longest window over which the closes are spread (a few clients go faster, see
    /// engineio::plan_drain); 0 closes every client at once.
    std::chrono::milliseconds spread{5000};
    /// Global deadline from the start of the drain: what is still open then is closed hard. Well
    /// below systemd's TimeoutStopSec (45 s in the packaged unit).
    std::chrono::milliseconds timeout{20000};
};

/// `[admin]`: the operators' socket (daemon/src/admin, docs/admin.md).
struct admin_config {
    /// AF_UNIX socket path; empty disables the socket. When its directory does not exist (a developer
    /// machine without systemd's RuntimeDirectory=) the daemon runs without it and says so.
    std::filesystem::path socket = "/run/tradepushd/admin.sock";
    /// Permission bits of the socket file.
    unsigned mode = 0660;
    /// Group the socket file belongs to; empty keeps the daemon's.
    std::string group;
    /// Members are admin (root and the daemon's own user always are).
    std::string admin_group;
    /// Members are operate; empty: nobody is operate by group.
    std::string operate_group;
    std::size_t max_connections = 32;
    std::size_t max_request_bytes = 64 * 1024;
    std::chrono::milliseconds idle_timeout{60000};
    std::chrono::milliseconds command_timeout{5000};
};

/// `[credentials]`: the store of users' exchange accounts (config/credentials.hpp).
struct credentials_config {
    /// Empty: no store; every user gets one keyless account on the default exchange (demo feeds).
    std::filesystem::path file;
    /// Loaded and validated together with the config; null when `file` is empty.
    std::shared_ptr<credentials const> store;
};

/// One exchange plugin to load at start.
struct plugin_config {
    std::filesystem::path file; ///< the .so; relative names resolve against plugins.dir
    std::string config_json;    ///< handed to the plugin's create (validated as JSON)
};

/// `[plugins]`: where plugin files are and which to load.
struct plugins_config {
    std::filesystem::path dir = "/usr/lib/tradepushd/plugins";
    /// Where loaded images are copied under unique names; empty = a private directory under $TMPDIR.
    std::filesystem::path run_dir;
    /// Upstream connections per exchange endpoint (scheme, host, port): HTTP connections open, and
    /// WebSocket connection attempts in progress. More requests wait their turn. 1..1024.
    std::size_t upstream_connections = 32;
    std::vector<plugin_config> load;
};

/// The whole daemon configuration.
struct daemon_config {
    /// The file it was loaded from (as given to load_file, or the source name of load_string).
    std::filesystem::path source;
    /// Addresses to accept clients on; defaults to 127.0.0.1:8080.
    std::vector<listener> listeners{listener{"127.0.0.1", 8080}};
    /// Worker shards; 0 = std::thread::hardware_concurrency().
    unsigned workers = 0;
    /// Engine.IO endpoint options (path "/socket.io/" by default), including per-connection limits.
    engineio::options engineio = default_engineio_options();
    /// Per-address and unauthenticated limits, header deadline, trusted proxies.
    engineio::connection_options connection;
    /// The graceful stop.
    drain_config drain;
    /// Time a client has after the Engine.IO handshake (or after leaving its last namespace) to
    /// join a namespace with a valid token. Shorter than the reference's 45 s: until then the
    /// session is unauthenticated and holds a place of connection_options::max_unauthenticated_sessions.
    std::chrono::milliseconds connect_timeout{10000};
    /// What one connection may ask the hub for.
    hub::hub_limits limits;
    /// Refused CONNECTs one connection may send before it is closed (`[limits] max_failed_connects`).
    unsigned max_failed_connects = 3;
    /// Refused logins one client address (IPv4, or IPv6 /64) may have per minute before it must
    /// wait, doubling, before its next login is checked; 0 disables (`[limits] failed_logins_per_address`).
    unsigned failed_logins_per_address = 20;
    /// Token verification.
    auth_config auth;
    /// Data source.
    feed_config feed;
    /// `[plugins]`.
    plugins_config plugins;
    /// `[credentials]`.
    credentials_config credentials;
    /// `[admin]`.
    admin_config admin;
    /// spdlog level name: trace|debug|info|warn|error|critical|off.
    std::string log_level = "info";
};

/// Why a config was refused: "path:line:col: what is wrong" whenever a source position exists,
/// otherwise "path: what is wrong". Never contains secret material.
struct config_error {
    /// The full, human-readable message.
    std::string message;
};

/// Lets `result<T, config_error>::value()` throw (Boost 1.81 finds this by ADL).
[[noreturn]] void throw_exception_from_error(config_error const& e, boost::source_location const& loc);

/// Reads and validates a TOML file; relative file names inside it resolve against its directory.
boost::system::result<daemon_config, config_error> load_file(std::filesystem::path const& path);

/// Validates TOML text (for tests and --check-config of piped input). `source_name` prefixes error
/// messages and becomes daemon_config::source; relative file names resolve against `base_dir`.
boost::system::result<daemon_config, config_error> load_string(std::string_view toml,
    std::filesystem::path const& source_name, std::filesystem::path const& base_dir);

} // namespace tradepush::config
