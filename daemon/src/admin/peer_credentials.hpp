#pragma once
// Reads a connected UNIX socket peer's pid/uid/gid (SO_PEERCRED) and supplementary groups
// (SO_PEERGROUPS, Linux 4.13+).

#include "admin/level.hpp"

#include <boost/system/result.hpp>

namespace tradepush::admin {

/// The credentials of the peer of connected AF_UNIX socket `fd`. Groups are left empty when the
/// kernel lacks SO_PEERGROUPS; an error only when SO_PEERCRED itself fails.
boost::system::result<peer_credentials> read_peer_credentials(int fd);

} // namespace tradepush::admin
