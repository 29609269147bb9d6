#include "admin/level.hpp"

#include <algorithm>

namespace tradepush::admin {

std::string_view
to_string(level l) noexcept
{
    switch(l) {
    case level::read:
        return "read";
    case level::operate:
        return "operate";
    case level::admin:
        return "admin";
    }
    return "read";
}

std::optional<level>
parse_level(std::string_view name) noexcept
{
    for(auto l : {level::read, level::operate, level::admin})
        if(to_string(l) == name)
            return l;
    return std::nullopt;
}

namespace {

// The primary gid counts as membership too: a user whose login group *is* tradepushd-admin has it
// only as gid, and SO_PEERGROUPS lists supplementary groups only.
bool
member_of(peer_credentials const& peer, gid_t g) noexcept
{
    return peer.gid == g || std::find(peer.groups.begin(), peer.groups.end(), g) != peer.groups.end();
}

} // namespace

level
level_for(peer_credentials const& peer, level_policy const& policy) noexcept
{
    if(peer.uid == 0 || peer.uid == policy.daemon_uid)
        return level::admin;
    if(policy.admin_gid && member_of(peer, *policy.admin_gid))
        return level::admin;
    if(policy.operate_gid && member_of(peer, *policy.operate_gid))
        return level::operate;
    return level::read;
}

} // namespace tradepush::admin
