#pragma once
// The admin socket's file: claiming the path (stale socket vs a live daemon), ownership and mode,
// and removing it again only if it is still ours.

#include <boost/system/result.hpp>

#include <optional>
#include <string>

#include <sys/types.h>

namespace tradepush::admin {

/// Makes `path` free for bind(): absent → ok; a socket nobody accepts on (a crashed daemon's) →
/// removed; a socket something answers on → error (a second instance must not steal it); any
/// other file → error. Messages name the path.
boost::system::result<void, std::string> claim_socket_path(std::string const& path);

/// The gid of group `name`; an error naming the group if it does not exist.
boost::system::result<gid_t, std::string> resolve_group(std::string const& name);

/// chgrp `path` to `group` (when set), then chmod it to `mode`, in that order so the window only
/// ever gets more restrictive.
boost::system::result<void, std::string> set_socket_permissions(std::string const& path, unsigned mode,
    std::optional<gid_t> group);

/// A file's device and inode, to recognise the socket this process bound.
struct file_identity {
    dev_t dev = 0;
    ino_t ino = 0;
};

/// The identity of `path` (lstat); nullopt if it does not exist.
std::optional<file_identity> identify(std::string const& path);

/// Unlinks `path` if it is still the file `id`: a successor that already replaced it keeps its own.
void remove_if_same(std::string const& path, file_identity id);

} // namespace tradepush::admin
