#include "client.hpp"

#include <cerrno>
#include <cstring>
#include <thread>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace tradepushctl {

namespace {

using clock = std::chrono::steady_clock;

client_failure
fail(client_failure::kind k, int e, std::string what)
{
    return client_failure{k, e, std::move(what)};
}

} // namespace

client::client(clock::time_point deadline)
    : deadline_(deadline)
{
}

client::~client()
{
    if(fd_ >= 0)
        ::close(fd_);
}

bool
client::wait(short events)
{
    for(;;) {
        auto const left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - clock::now()).count();
        if(left <= 0)
            return false;
        pollfd p{fd_, events, 0};
        int const rc = ::poll(&p, 1, static_cast<int>(left));
        if(rc > 0)
            return true;
        if(rc < 0 && errno != EINTR)
            return true; // let the following read/write report the error
    }
}

std::optional<client_failure>
client::connect(std::string const& path)
{
    sockaddr_un addr{};
    if(path.size() >= sizeof addr.sun_path)
        return fail(client_failure::kind::connect, ENAMETOOLONG, "socket path too long");
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.data(), path.size());
    for(;;) {
        fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if(fd_ < 0)
            return fail(client_failure::kind::connect, errno, std::strerror(errno));
        if(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0)
            return std::nullopt;
        int const e = errno;
        ::close(fd_);
        fd_ = -1;
        // A full backlog (EAGAIN on AF_UNIX) means a busy but live daemon: retry until the deadline.
        if(e != EAGAIN)
            return fail(client_failure::kind::connect, e, std::strerror(e));
        if(clock::now() >= deadline_)
            return fail(client_failure::kind::timeout, e, "connect: listen backlog full until the deadline");
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

std::optional<client_failure>
client::write_line(std::string const& line)
{
    std::size_t done = 0;
    while(done < line.size()) {
        ssize_t const n = ::send(fd_, line.data() + done, line.size() - done, MSG_NOSIGNAL);
        if(n > 0) {
            done += static_cast<std::size_t>(n);
            continue;
        }
        if(n < 0 && (errno == EAGAIN || errno == EINTR)) {
            if(!wait(POLLOUT))
                return fail(client_failure::kind::timeout, 0, "timed out sending the request");
            continue;
        }
        return fail(client_failure::kind::io, errno, std::string("send: ") + std::strerror(errno));
    }
    return std::nullopt;
}

std::optional<client_failure>
client::read_line(std::string& out)
{
    for(;;) {
        if(auto nl = buffer_.find('\n'); nl != std::string::npos) {
            out.assign(buffer_, 0, nl);
            buffer_.erase(0, nl + 1);
            return std::nullopt;
        }
        char chunk[65536];
        ssize_t const n = ::recv(fd_, chunk, sizeof chunk, 0);
        if(n > 0) {
            buffer_.append(chunk, static_cast<std::size_t>(n));
            continue;
        }
        if(n == 0)
            return fail(client_failure::kind::closed, 0, "the daemon closed the connection");
        if(errno == EAGAIN || errno == EINTR) {
            if(!wait(POLLIN))
                return fail(client_failure::kind::timeout, 0, "no reply");
            continue;
        }
        return fail(client_failure::kind::io, errno, std::string("recv: ") + std::strerror(errno));
    }
}

} // namespace tradepushctl
