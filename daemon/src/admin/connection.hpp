#pragma once
// One admin client connection: hello, read request lines, run commands (possibly concurrently),
// write responses in request order, enforce deadlines, the line limit and the idle timeout.

#include "admin/command.hpp"
#include "admin/core.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>

namespace tradepush::admin::detail {

/// An accepted connection; lives on the admin thread, kept alive by its pending handlers.
class connection : public std::enable_shared_from_this<connection> {
public:
    connection(core& c, stream_protocol::socket socket, caller who);

    /// Writes the hello and starts reading.
    void start();
    /// Closes at once; pending requests are dropped. Idempotent.
    void close();
    /// Completes request `seq` with `r` unless it already completed (deadline, close).
    void complete(std::uint64_t seq, command_result r);
    /// The connection number (caller::connection).
    std::uint64_t id() const noexcept { return caller_.connection; }

private:
    using clock = std::chrono::steady_clock;

    /// A request awaiting its response; responses leave in request order.
    struct pending {
        std::uint64_t seq = 0;
        boost::json::value id;
        std::string cmd;
        boost::json::value args; ///< for the audit line; null when not audited
        clock::time_point started;
        std::unique_ptr<net::steady_timer> deadline;
        std::optional<std::string> line; ///< the response, once known
    };

    void do_read();
    void on_read(boost::system::error_code ec, std::size_t n);
    void handle_line(std::string_view line);
    /// Queues an already-known response (errors decided without running a handler).
    void push_ready(std::string line);
    void run_command(command const& c, boost::json::value id, boost::json::object args);
    void audit(pending const& p, std::string_view outcome, std::string_view message) const;
    void flush();
    void do_write();
    void on_write(boost::system::error_code ec, std::size_t n);
    void arm_idle(clock::duration after);
    void on_idle(boost::system::error_code ec);
    void maybe_finish();

    core& core_;
    stream_protocol::socket socket_;
    caller caller_;
    std::string in_;
    std::deque<pending> pending_;
    std::deque<std::string> out_;
    /// Bytes in out_: past options::max_output_bytes no more requests are read.
    std::size_t out_bytes_ = 0;
    net::steady_timer idle_;
    clock::time_point last_activity_;
    std::uint64_t next_seq_ = 1;
    bool reading_ = false;
    bool writing_ = false;
    /// No more requests will be read (EOF, oversized line); close once every response is out.
    bool read_done_ = false;
    bool closed_ = false;
};

} // namespace tradepush::admin::detail
