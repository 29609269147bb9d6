#pragma once
// A blocking admin-socket client with one overall deadline: connect, read the hello, send one
// request, read its response.

#include <chrono>
#include <optional>
#include <string>

namespace tradepushctl {

/// Why an exchange with the daemon did not produce a response line.
struct client_failure {
    enum class kind { connect, timeout, closed, io } what = kind::io;
    int error = 0;       ///< errno for connect/io
    std::string message; ///< a sentence for stderr
};

/// One connection to the admin socket.
class client {
public:
    /// Starts the clock: every later call shares the one deadline.
    explicit client(std::chrono::steady_clock::time_point deadline);
    ~client();
    client(client const&) = delete;
    client& operator=(client const&) = delete;

    /// Connects to `path`; retries while the listen backlog is full, until the deadline.
    std::optional<client_failure> connect(std::string const& path);
    /// Writes all of `line` ('\n' included).
    std::optional<client_failure> write_line(std::string const& line);
    /// Reads the next line (without '\n') into `out`.
    std::optional<client_failure> read_line(std::string& out);

private:
    // Waits for `events` on the socket until the deadline; false on timeout.
    bool wait(short events);

    std::chrono::steady_clock::time_point deadline_;
    int fd_ = -1;
    std::string buffer_;
};

} // namespace tradepushctl
