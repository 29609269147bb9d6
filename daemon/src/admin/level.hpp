#pragma once
// Caller levels of the admin socket and how a peer's kernel-reported credentials map to one.

#include <sys/types.h>

#include <optional>
#include <string_view>
#include <vector>

namespace tradepush::admin {

/// What a caller may do; each level includes every level below it.
enum class level {
    read = 0,    ///< look only: help, ping, status, stats, lists
    operate = 1, ///< routine interventions: flush or kick a user, log level
    admin = 2,   ///< everything, including reloads and drain
};

/// "read", "operate" or "admin".
std::string_view to_string(level l) noexcept;

/// Parses a level name as written by to_string(); nullopt for anything else.
std::optional<level> parse_level(std::string_view name) noexcept;

/// Who is on the other end of a UNIX socket, as the kernel recorded it at connect() time.
struct peer_credentials {
    pid_t pid = 0;
    uid_t uid = static_cast<uid_t>(-1);
    gid_t gid = static_cast<gid_t>(-1);
    /// Supplementary groups (SO_PEERGROUPS); may or may not repeat `gid`.
    std::vector<gid_t> groups;
};

/// Who gets which level; the server builds it at start() from the configured group names.
struct level_policy {
    /// The daemon's own effective uid: `tradepushctl config reload` from ExecReload= runs as it.
    uid_t daemon_uid = 0;
    /// Members (primary or supplementary) get admin.
    std::optional<gid_t> admin_gid;
    /// Members get operate (unless they also qualify for admin).
    std::optional<gid_t> operate_gid;
};

/// uid 0 or the daemon's uid → admin; member of admin_gid → admin; member of operate_gid →
/// operate; anyone else who could connect → read.
level level_for(peer_credentials const& peer, level_policy const& policy) noexcept;

} // namespace tradepush::admin
