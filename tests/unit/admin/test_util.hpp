#pragma once
// Helpers for the admin tests: a temporary directory, a blocking line client with bounded waits,
// a log sink to read the audit lines back, and running a function as uid/gid 65534 in a child.

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <spdlog/sinks/base_sink.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

namespace admin_test {

/// A fresh directory under /tmp (short: sun_path is 108 bytes), removed at the end.
struct temp_dir {
    std::string path;
    temp_dir()
    {
        char tmpl[] = "/tmp/tp-admin-XXXXXX";
        path = ::mkdtemp(tmpl);
        // Traversable by uid 65534 for the "connect as nobody" tests.
        ::chmod(path.c_str(), 0755);
    }
    ~temp_dir() { std::filesystem::remove_all(path); }
    std::string file(std::string const& name) const { return path + "/" + name; }
};

/// A blocking AF_UNIX client; every read gives up after `timeout`.
class line_client {
public:
    explicit line_client(std::string const& path, std::chrono::milliseconds timeout = std::chrono::seconds(5))
    {
        fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::memcpy(addr.sun_path, path.data(), path.size());
        if(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
            error = errno;
            ::close(fd_);
            fd_ = -1;
            return;
        }
        timeval tv{};
        tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
        tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    ~line_client()
    {
        if(fd_ >= 0)
            ::close(fd_);
    }
    line_client(line_client const&) = delete;
    line_client& operator=(line_client const&) = delete;

    bool connected() const { return fd_ >= 0; }
    int fd() const { return fd_; }

    bool send(std::string const& s)
    {
        std::size_t done = 0;
        while(done < s.size()) {
            auto n = ::send(fd_, s.data() + done, s.size() - done, MSG_NOSIGNAL);
            if(n <= 0)
                return false;
            done += static_cast<std::size_t>(n);
        }
        return true;
    }

    /// The next line, or nullopt on EOF, error or timeout (then `eof` tells which).
    std::optional<std::string> read_line()
    {
        for(;;) {
            if(auto nl = buf_.find('\n'); nl != std::string::npos) {
                auto line = buf_.substr(0, nl);
                buf_.erase(0, nl + 1);
                return line;
            }
            char chunk[4096];
            auto n = ::recv(fd_, chunk, sizeof chunk, 0);
            if(n <= 0) {
                eof = n == 0;
                return std::nullopt;
            }
            buf_.append(chunk, static_cast<std::size_t>(n));
        }
    }

    /// The next line parsed as JSON (null when none).
    boost::json::value read_json()
    {
        auto line = read_line();
        if(!line)
            return nullptr;
        return boost::json::parse(*line);
    }

    /// Sends `line` + '\n' and returns the next response.
    boost::json::value request(std::string const& line)
    {
        send(line + "\n");
        return read_json();
    }

    int error = 0;
    bool eof = false;

private:
    int fd_ = -1;
    std::string buf_;
};

/// Keeps every formatted log line; thread-safe.
class capture_sink : public spdlog::sinks::base_sink<std::mutex> {
public:
    std::vector<std::string> lines()
    {
        std::lock_guard lock(mutex_);
        return lines_;
    }

protected:
    void sink_it_(spdlog::details::log_msg const& msg) override
    {
        lines_.emplace_back(msg.payload.data(), msg.payload.size());
    }
    void flush_() override {}

private:
    std::vector<std::string> lines_;
};

/// Polls `pred` every 10 ms for up to `limit`.
inline bool
wait_until(std::function<bool()> const& pred, std::chrono::milliseconds limit = std::chrono::seconds(5))
{
    auto const end = std::chrono::steady_clock::now() + limit;
    while(std::chrono::steady_clock::now() < end) {
        if(pred())
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return pred();
}

/// Runs `body` in a forked child as uid/gid 65534 with no supplementary groups and returns what
/// it wrote to the pipe fd it gets. Only plain syscalls in the child (the parent has threads).
inline std::string
as_nobody(std::function<void(int out_fd)> const& body)
{
    int p[2];
    if(::pipe(p) != 0)
        return "pipe failed";
    pid_t pid = ::fork();
    if(pid == 0) {
        ::close(p[0]);
        if(::setgroups(0, nullptr) != 0 || ::setresgid(65534, 65534, 65534) != 0 ||
            ::setresuid(65534, 65534, 65534) != 0)
            ::_exit(90);
        body(p[1]);
        ::_exit(0);
    }
    ::close(p[1]);
    std::string out;
    char chunk[4096];
    for(;;) {
        auto n = ::read(p[0], chunk, sizeof chunk);
        if(n <= 0)
            break;
        out.append(chunk, static_cast<std::size_t>(n));
    }
    ::close(p[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return out;
}

} // namespace admin_test
