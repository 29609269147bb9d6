#pragma once
// Everything configurable about the admin socket; defaults follow specs/operations.md §3.

#include "admin/level.hpp"

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace spdlog {
class logger;
}

namespace tradepush::admin {

/// Options of the admin server.
struct options {
    /// Filesystem path of the AF_UNIX socket (never the abstract namespace: it has no permissions).
    std::string path = "/run/tradepushd/admin.sock";
    /// Permission bits applied after bind(); connecting needs write permission.
    unsigned mode = 0660;
    /// Group the socket file is chgrp'ed to (e.g. "tradepushd-admin"); empty keeps the daemon's.
    /// The daemon must be a member (SupplementaryGroups=) unless it runs as root.
    std::string group;
    /// Members of this group are admin; empty = only root and the daemon's uid are.
    std::string admin_group;
    /// Members of this group are operate; empty = no operate group.
    std::string operate_group;
    /// Caps every caller's level on this socket: a second, world-connectable `status.sock` server
    /// with mode 0666 and max_level read serves monitoring agents without widening admin access.
    level max_level = level::admin;

    /// Longest request line in bytes (without the '\n'); longer → bad_request and close.
    std::size_t max_line = 64 * 1024;
    /// Concurrent connections; one more gets a `busy` error line and is closed.
    std::size_t max_connections = 32;
    /// Of max_connections, this many (at most half) only admin-level callers may take: read- and operate-level
    /// callers (a monitoring agent gone wild) can never lock an administrator out.
    std::size_t admin_reserved = 4;
    /// Responses waiting for a connection that does not read them; above it the server stops
    /// reading that connection's requests until the client catches up (and closes it after
    /// idle_timeout without progress).
    std::size_t max_output_bytes = 1024 * 1024;
    /// Requests in flight per connection before the server stops reading (pipelining bound).
    std::size_t max_pipeline = 16;
    /// A connection with nothing in flight and no traffic for this long is closed.
    std::chrono::milliseconds idle_timeout{60000};
    /// Default per-command deadline; a command not answered in time gets `timeout`.
    std::chrono::milliseconds command_deadline{5000};

    /// Reported in the hello line.
    std::string version = "unknown";
    /// Where the audit and diagnostic lines go; null = spdlog's default logger.
    std::shared_ptr<spdlog::logger> logger;
};

} // namespace tradepush::admin
