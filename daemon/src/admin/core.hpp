#pragma once
// State shared by the admin server's acceptor and connections; lives on the admin thread.

#include "admin/level.hpp"
#include "admin/options.hpp"
#include "admin/registry.hpp"
#include "admin/socket_file.hpp"
#include "common/log_limiter.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>

namespace spdlog {
class logger;
}

namespace tradepush::admin::detail {

namespace net = boost::asio;
using stream_protocol = net::local::stream_protocol;

class connection;

/// The server's state. Everything except `connection_count` is touched only on the admin thread
/// once start() has launched it.
struct core {
    explicit core(options o);

    options opts;
    command_registry registry;
    level_policy policy;
    std::optional<file_identity> bound_file;

    /// Shared so a responder called after stop() can still post into it (the post is dropped
    /// unrun), instead of touching a destroyed io_context.
    std::shared_ptr<net::io_context> ioc = std::make_shared<net::io_context>(1);
    stream_protocol::acceptor acceptor{*ioc};
    std::map<std::uint64_t, std::shared_ptr<connection>> connections;
    std::uint64_t next_connection = 1;
    std::atomic<std::size_t> connection_count{0};
    bool stopping = false;
    /// Refused connections are logged a few times per second at most: a local caller looping on
    /// connect must not fill the journal.
    log_limiter refusal_log{1, 5};

    /// The audit/diagnostic logger.
    spdlog::logger& log() const;

    void do_accept();
    void on_accept(boost::system::error_code ec, stream_protocol::socket socket);
    /// Forgets a closed connection.
    void remove(std::uint64_t id);
    /// Closes the acceptor and every connection; run() then returns for lack of work.
    void close_all();
};

} // namespace tradepush::admin::detail
