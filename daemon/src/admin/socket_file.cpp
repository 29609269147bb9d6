#include "admin/socket_file.hpp"

#include <cerrno>
#include <cstring>
#include <vector>

#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace tradepush::admin {

namespace {

std::string
errno_text(int e)
{
    return std::strerror(e);
}

// Tries to connect to the socket at `path`: 0 if something accepted (or its backlog is full,
// which also means a live listener), otherwise the errno.
int
probe(std::string const& path)
{
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if(fd < 0)
        return errno;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.data(), path.size());
    int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    int const e = rc == 0 ? 0 : errno;
    ::close(fd);
    return e == EAGAIN || e == EINPROGRESS ? 0 : e;
}

} // namespace

boost::system::result<void, std::string>
claim_socket_path(std::string const& path)
{
    sockaddr_un addr{};
    if(path.empty() || path.size() >= sizeof addr.sun_path)
        return "admin socket '" + path + "': path empty or longer than " +
            std::to_string(sizeof addr.sun_path - 1) + " bytes";
    struct stat st{};
    if(::lstat(path.c_str(), &st) != 0) {
        if(errno == ENOENT)
            return {};
        return "admin socket " + path + ": " + errno_text(errno);
    }
    if(!S_ISSOCK(st.st_mode))
        return "admin socket " + path + ": exists and is not a socket; refusing to replace it";
    int const e = probe(path);
    if(e == 0)
        return "admin socket " + path + ": another process (a running tradepushd?) answers on it";
    if(e != ECONNREFUSED && e != ENOENT)
        return "admin socket " + path + ": cannot tell whether it is in use: " + errno_text(e);
    // Nobody listens: left behind by a daemon that died without cleaning up.
    if(::unlink(path.c_str()) != 0 && errno != ENOENT)
        return "admin socket " + path + ": cannot remove stale socket: " + errno_text(errno);
    return {};
}

boost::system::result<gid_t, std::string>
resolve_group(std::string const& name)
{
    std::vector<char> buf(16384);
    group g{};
    group* found = nullptr;
    int rc = 0;
    // ERANGE: a group with many members does not fit; grow a few times.
    for(int attempt = 0; attempt < 4; ++attempt) {
        rc = ::getgrnam_r(name.c_str(), &g, buf.data(), buf.size(), &found);
        if(rc != ERANGE)
            break;
        buf.resize(buf.size() * 4);
    }
    if(rc != 0)
        return "group '" + name + "': " + errno_text(rc);
    if(!found)
        return "group '" + name + "' does not exist";
    return g.gr_gid;
}

boost::system::result<void, std::string>
set_socket_permissions(std::string const& path, unsigned mode, std::optional<gid_t> group)
{
    if(group && ::chown(path.c_str(), static_cast<uid_t>(-1), *group) != 0)
        return "admin socket " + path + ": chgrp to gid " + std::to_string(*group) + ": " + errno_text(errno);
    if(::chmod(path.c_str(), static_cast<mode_t>(mode)) != 0)
        return "admin socket " + path + ": chmod: " + errno_text(errno);
    return {};
}

std::optional<file_identity>
identify(std::string const& path)
{
    struct stat st{};
    if(::lstat(path.c_str(), &st) != 0)
        return std::nullopt;
    return file_identity{st.st_dev, st.st_ino};
}

void
remove_if_same(std::string const& path, file_identity id)
{
    auto now = identify(path);
    if(now && now->dev == id.dev && now->ino == id.ino)
        ::unlink(path.c_str());
}

} // namespace tradepush::admin
