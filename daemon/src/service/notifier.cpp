#include "service/notifier.hpp"

#include <boost/system/errc.hpp>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace tradepush::service {

namespace {

boost::system::error_code
last_error() noexcept
{
    return boost::system::error_code(errno, boost::system::system_category());
}

boost::system::error_code
make_error(boost::system::errc::errc_t e) noexcept
{
    return boost::system::errc::make_error_code(e);
}

// STATUS= is one line of the datagram: a newline inside the text would start a new KEY=VALUE pair, so a
// status built from (say) a config parse error could inject READY=1 or STOPPING=1. Flatten it.
void
append_flat(std::string& msg, std::string_view text)
{
    for(char c : text)
        msg += (c == '\n' || c == '\r') ? ' ' : c;
}

/// Appends "\nSTATUS=<status>" unless `status` is empty.
void
append_status(std::string& msg, std::string_view status)
{
    if(status.empty())
        return;
    msg += "\nSTATUS=";
    append_flat(msg, status);
}

std::string const empty_address;

} // namespace

//------------------------------------------------------------------------------

namespace detail {

/// The socket and the resolved destination, shared by every copy of a notifier.
struct notify_socket {
    int fd = -1;
    sockaddr_un addr{};
    socklen_t addr_len = 0;
    std::string address;

    notify_socket() = default;
    notify_socket(notify_socket const&) = delete;
    notify_socket& operator=(notify_socket const&) = delete;
    ~notify_socket()
    {
        if(fd >= 0)
            ::close(fd);
    }
};

} // namespace detail

//------------------------------------------------------------------------------

notifier::notifier(std::shared_ptr<detail::notify_socket const> socket) noexcept
    : socket_(std::move(socket))
{
}

boost::system::result<notifier>
notifier::from_environment()
{
    // getenv is fine here: this runs at startup, before any thread that could setenv.
    char const* value = std::getenv("NOTIFY_SOCKET");
    return for_address(value ? std::string_view(value) : std::string_view());
}

boost::system::result<notifier>
notifier::for_address(std::string_view address)
{
    if(address.empty())
        return notifier();
    // systemd only ever hands out absolute paths or abstract names ("@..."); anything else (a
    // relative path, "vsock:" from newer systemd) is not something this implementation speaks.
    if(address.front() != '/' && address.front() != '@')
        return make_error(boost::system::errc::address_family_not_supported);

    auto s = std::make_shared<detail::notify_socket>();
    s->address = std::string(address);
    s->addr.sun_family = AF_UNIX;
    // A path needs room for its terminating NUL; an abstract name has none.
    if(address.size() + (address.front() == '/' ? 1 : 0) > sizeof(s->addr.sun_path))
        return make_error(boost::system::errc::filename_too_long);
    std::memcpy(s->addr.sun_path, address.data(), address.size());
    if(address.front() == '@') {
        // Abstract namespace: leading NUL, and the length covers exactly the name's bytes.
        s->addr.sun_path[0] = '\0';
        s->addr_len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address.size());
    } else {
        s->addr_len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address.size() + 1);
    }

    // One socket for the process lifetime, opened now: at the fd limit (LimitNOFILE reached by
    // client connections) a socket() per message would fail with EMFILE, the watchdog ping would be
    // lost and systemd would kill a daemon that is merely full.
    s->fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if(s->fd < 0)
        return last_error();
    return notifier(std::move(s));
}

std::string const&
notifier::address() const noexcept
{
    return socket_ ? socket_->address : empty_address;
}

boost::system::result<void>
notifier::send(std::string_view message) const noexcept
{
    if(!socket_)
        return {};
    // Unconnected sendto: the destination is resolved per message, so a restarted manager (new
    // socket inode at the same path) keeps receiving. MSG_DONTWAIT because callers are event loops;
    // MSG_NOSIGNAL for symmetry with stream sockets (datagrams raise no SIGPIPE anyway).
    ssize_t n;
    do {
        n = ::sendto(socket_->fd, message.data(), message.size(), MSG_NOSIGNAL | MSG_DONTWAIT,
            reinterpret_cast<sockaddr const*>(&socket_->addr), socket_->addr_len);
    } while(n < 0 && errno == EINTR);
    if(n < 0)
        return last_error();
    return {};
}

boost::system::result<void>
notifier::ready(std::string_view status) const
{
    if(!socket_)
        return {};
    std::string msg = "READY=1";
    append_status(msg, status);
    return send(msg);
}

boost::system::result<void>
notifier::status(std::string_view text) const
{
    if(!socket_)
        return {};
    std::string msg = "STATUS=";
    append_flat(msg, text);
    return send(msg);
}

boost::system::result<void>
notifier::watchdog() const
{
    return send("WATCHDOG=1");
}

boost::system::result<void>
notifier::watchdog_trigger() const
{
    return send("WATCHDOG=trigger");
}

boost::system::result<void>
notifier::reloading(std::string_view status) const
{
    if(!socket_)
        return {};
    // MONOTONIC_USEC is harmless on systemd 252 and required by Type=notify-reload (>= 253), which
    // ignored reloads without it until the timeout (operations.md §1.1).
    std::string msg = "RELOADING=1\nMONOTONIC_USEC=" + std::to_string(monotonic_usec());
    append_status(msg, status);
    return send(msg);
}

boost::system::result<void>
notifier::stopping(std::string_view status) const
{
    if(!socket_)
        return {};
    std::string msg = "STOPPING=1";
    append_status(msg, status);
    return send(msg);
}

boost::system::result<void>
notifier::extend_timeout(std::chrono::microseconds by) const
{
    if(!socket_)
        return {};
    auto const usec = by.count() < 0 ? 0 : by.count();
    return send("EXTEND_TIMEOUT_USEC=" + std::to_string(usec));
}

std::uint64_t
monotonic_usec() noexcept
{
    // clock_gettime rather than steady_clock: the protocol names CLOCK_MONOTONIC explicitly.
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000u + static_cast<std::uint64_t>(ts.tv_nsec) / 1'000u;
}

} // namespace tradepush::service
