#pragma once
// A stand-in for systemd's notification socket: a bound AF_UNIX datagram socket (a path in a fresh
// temporary directory, or a unique abstract name) that reports each datagram with its sender's pid.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace tradepush::test {

/// One received notification.
struct notify_message {
    std::string text;
    pid_t pid = -1;
};

/// The receiving end of NOTIFY_SOCKET for tests.
class fake_notify_socket {
public:
    enum class kind { path, abstract };

    explicit fake_notify_socket(kind k)
    {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if(fd_ < 0)
            throw std::runtime_error("socket");
        sockaddr_un sa{};
        sa.sun_family = AF_UNIX;
        socklen_t len = 0;
        if(k == kind::path) {
            std::string tmpl = (std::filesystem::temp_directory_path() / "tradepush-notify-XXXXXX").string();
            if(!::mkdtemp(tmpl.data()))
                throw std::runtime_error("mkdtemp");
            dir_ = tmpl;
            address_ = tmpl + "/notify";
            std::memcpy(sa.sun_path, address_.data(), address_.size());
            len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address_.size() + 1);
        } else {
            // Unique per process and object: parallel ctest runs must not collide.
            address_ = "@tradepush-test-" + std::to_string(::getpid()) + "-" +
                std::to_string(reinterpret_cast<std::uintptr_t>(this));
            std::memcpy(sa.sun_path + 1, address_.data() + 1, address_.size() - 1);
            len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address_.size());
        }
        if(::bind(fd_, reinterpret_cast<sockaddr*>(&sa), len) != 0)
            throw std::runtime_error("bind " + address_);
        int one = 1;
        ::setsockopt(fd_, SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
    }

    ~fake_notify_socket()
    {
        ::close(fd_);
        if(!dir_.empty()) {
            std::error_code ec;
            std::filesystem::remove_all(dir_, ec);
        }
    }

    fake_notify_socket(fake_notify_socket const&) = delete;
    fake_notify_socket& operator=(fake_notify_socket const&) = delete;

    /// The NOTIFY_SOCKET value that reaches this socket.
    std::string const& address() const { return address_; }

    /// The next datagram, or nullopt when none arrives within `timeout`.
    std::optional<notify_message>
    receive(std::chrono::milliseconds timeout = std::chrono::milliseconds(2000))
    {
        pollfd p{fd_, POLLIN, 0};
        if(::poll(&p, 1, static_cast<int>(timeout.count())) <= 0)
            return std::nullopt;
        char buf[4096];
        alignas(cmsghdr) char ctl[CMSG_SPACE(sizeof(ucred))];
        iovec iov{buf, sizeof buf};
        msghdr mh{};
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        mh.msg_control = ctl;
        mh.msg_controllen = sizeof ctl;
        ssize_t n = ::recvmsg(fd_, &mh, MSG_CMSG_CLOEXEC);
        if(n < 0)
            return std::nullopt;
        notify_message m{std::string(buf, static_cast<std::size_t>(n))};
        for(cmsghdr* c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
            if(c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
                ucred cred{};
                std::memcpy(&cred, CMSG_DATA(c), sizeof cred);
                m.pid = cred.pid;
            }
        return m;
    }

private:
    int fd_ = -1;
    std::string dir_;
    std::string address_;
};

/// Sets an environment variable for one scope and restores the previous value (or absence) after.
class scoped_env {
public:
    scoped_env(char const* name, char const* value)
        : name_(name)
    {
        if(char const* old = std::getenv(name))
            old_ = old;
        if(value)
            ::setenv(name, value, 1);
        else
            ::unsetenv(name);
    }
    ~scoped_env()
    {
        if(old_)
            ::setenv(name_.c_str(), old_->c_str(), 1);
        else
            ::unsetenv(name_.c_str());
    }
    scoped_env(scoped_env const&) = delete;
    scoped_env& operator=(scoped_env const&) = delete;

private:
    std::string name_;
    std::optional<std::string> old_;
};

} // namespace tradepush::test
