#include "admin/peer_credentials.hpp"

#include <sys/socket.h>

#include <cerrno>

namespace tradepush::admin {

boost::system::result<peer_credentials>
read_peer_credentials(int fd)
{
    peer_credentials out;
    ucred cred{};
    socklen_t len = sizeof cred;
    if(::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
        return boost::system::error_code(errno, boost::system::system_category());
    out.pid = cred.pid;
    out.uid = cred.uid;
    out.gid = cred.gid;

    // SO_PEERGROUPS says ERANGE and the needed size when the buffer is short; users in many groups
    // (LDAP) exceed any fixed guess, so grow once to what the kernel asked for.
    std::vector<gid_t> groups(32);
    for(int attempt = 0; attempt < 3; ++attempt) {
        socklen_t bytes = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
        if(::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &bytes) == 0) {
            groups.resize(bytes / sizeof(gid_t));
            out.groups = std::move(groups);
            break;
        }
        if(errno != ERANGE)
            break; // ENOPROTOOPT on old kernels: the primary gid still counts
        groups.resize(bytes / sizeof(gid_t) + 1);
    }
    return out;
}

} // namespace tradepush::admin
