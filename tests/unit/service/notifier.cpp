// Test that header file is self-contained.
#include "service/notifier.hpp"

#include "service/fake_notify_socket.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

using tradepush::service::monotonic_usec;
using tradepush::service::notifier;
using tradepush::test::fake_notify_socket;
using tradepush::test::scoped_env;

namespace {

/// Both address forms systemd uses: a socket file and an abstract name.
fake_notify_socket::kind
any_kind()
{
    return GENERATE(fake_notify_socket::kind::path, fake_notify_socket::kind::abstract);
}

/// The text after "MONOTONIC_USEC=" as a number.
std::uint64_t
monotonic_field(std::string const& text)
{
    auto const pos = text.find("MONOTONIC_USEC=");
    REQUIRE(pos != std::string::npos);
    return std::stoull(text.substr(pos + 15));
}

} // namespace

TEST_CASE("notifier: READY, STATUS and STOPPING arrive verbatim from this pid", "[service][notifier]")
{
    fake_notify_socket sock(any_kind());
    CAPTURE(sock.address());
    auto n = notifier::for_address(sock.address());
    REQUIRE(n.has_value());
    CHECK(n->enabled());
    CHECK(n->address() == sock.address());

    REQUIRE(n->ready());
    auto m = sock.receive();
    REQUIRE(m);
    CHECK(m->text == "READY=1");
    // What NotifyAccess=main checks: the kernel-attached credentials name our process.
    CHECK(m->pid == ::getpid());

    REQUIRE(n->ready("listening :8443, 1 adapter"));
    m = sock.receive();
    REQUIRE(m);
    CHECK(m->text == "READY=1\nSTATUS=listening :8443, 1 adapter");

    REQUIRE(n->status("2/3 upstream up"));
    m = sock.receive();
    REQUIRE(m);
    CHECK(m->text == "STATUS=2/3 upstream up");

    REQUIRE(n->stopping());
    m = sock.receive();
    REQUIRE(m);
    CHECK(m->text == "STOPPING=1");

    REQUIRE(n->stopping("draining 12 clients"));
    m = sock.receive();
    REQUIRE(m);
    CHECK(m->text == "STOPPING=1\nSTATUS=draining 12 clients");
}

TEST_CASE("notifier: WATCHDOG, WATCHDOG=trigger, EXTEND_TIMEOUT_USEC and raw send", "[service][notifier]")
{
    fake_notify_socket sock(any_kind());
    auto n = notifier::for_address(sock.address());
    REQUIRE(n.has_value());

    REQUIRE(n->watchdog());
    CHECK(sock.receive()->text == "WATCHDOG=1");
    REQUIRE(n->watchdog_trigger());
    CHECK(sock.receive()->text == "WATCHDOG=trigger");
    REQUIRE(n->extend_timeout(std::chrono::seconds(20)));
    CHECK(sock.receive()->text == "EXTEND_TIMEOUT_USEC=20000000");
    REQUIRE(n->send("MAINPID=1\nX=y"));
    CHECK(sock.receive()->text == "MAINPID=1\nX=y");
}

TEST_CASE("notifier: RELOADING carries MONOTONIC_USEC from CLOCK_MONOTONIC", "[service][notifier]")
{
    fake_notify_socket sock(any_kind());
    auto n = notifier::for_address(sock.address());
    REQUIRE(n.has_value());

    auto const before = monotonic_usec();
    REQUIRE(n->reloading());
    auto const after = monotonic_usec();
    auto m = sock.receive();
    REQUIRE(m);
    CHECK(m->text.starts_with("RELOADING=1\nMONOTONIC_USEC="));
    auto const stamp = monotonic_field(m->text);
    CHECK(stamp >= before);
    CHECK(stamp <= after);

    // The reload always ends with READY=1 (success or not), optionally with a status.
    REQUIRE(n->reloading("reloading config"));
    m = sock.receive();
    REQUIRE(m);
    CHECK(m->text.starts_with("RELOADING=1\nMONOTONIC_USEC="));
    CHECK(m->text.ends_with("\nSTATUS=reloading config"));
    REQUIRE(n->ready("reload failed: bad.toml:2:25: unexpected character"));
    CHECK(sock.receive()->text == "READY=1\nSTATUS=reload failed: bad.toml:2:25: unexpected character");
}

TEST_CASE("notifier: monotonic_usec is CLOCK_MONOTONIC in microseconds", "[service][notifier]")
{
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    auto const ref = static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000u + static_cast<std::uint64_t>(ts.tv_nsec) / 1'000u;
    auto const ours = monotonic_usec();
    CHECK(ours >= ref);
    CHECK(ours - ref < 1'000'000u);
}

TEST_CASE("notifier: newlines in a status cannot inject other keys", "[service][notifier]")
{
    fake_notify_socket sock(fake_notify_socket::kind::abstract);
    auto n = notifier::for_address(sock.address());
    REQUIRE(n.has_value());
    REQUIRE(n->status("bad value\nREADY=1\r\nSTOPPING=1"));
    CHECK(sock.receive()->text == "STATUS=bad value READY=1  STOPPING=1");
    REQUIRE(n->ready("a\nb"));
    CHECK(sock.receive()->text == "READY=1\nSTATUS=a b");
}

TEST_CASE("notifier: from_environment reads NOTIFY_SOCKET and leaves it set", "[service][notifier]")
{
    fake_notify_socket sock(any_kind());
    scoped_env env("NOTIFY_SOCKET", sock.address().c_str());
    auto n = notifier::from_environment();
    REQUIRE(n.has_value());
    CHECK(n->enabled());
    REQUIRE(n->ready());
    CHECK(sock.receive()->text == "READY=1");
    // "Unsets nothing implicitly": a later reader (or a child) still sees the variable.
    REQUIRE(std::getenv("NOTIFY_SOCKET") != nullptr);
    CHECK(std::string(std::getenv("NOTIFY_SOCKET")) == sock.address());
}

TEST_CASE("notifier: without NOTIFY_SOCKET every call is a successful no-op", "[service][notifier]")
{
    auto const value = GENERATE(as<char const*>{}, nullptr, "");
    scoped_env env("NOTIFY_SOCKET", value);
    auto n = notifier::from_environment();
    REQUIRE(n.has_value());
    CHECK_FALSE(n->enabled());
    CHECK(n->address().empty());
    CHECK(n->ready("x"));
    CHECK(n->status("x"));
    CHECK(n->watchdog());
    CHECK(n->reloading());
    CHECK(n->stopping());
    CHECK(n->extend_timeout(std::chrono::seconds(1)));
    CHECK(notifier().send("READY=1"));
}

TEST_CASE("notifier: rejects addresses systemd never hands out", "[service][notifier]")
{
    CHECK_FALSE(notifier::for_address("relative/notify").has_value());
    CHECK_FALSE(notifier::for_address("vsock:2:1234").has_value());
    CHECK_FALSE(notifier::for_address("/" + std::string(200, 'x')).has_value());
    CHECK_FALSE(notifier::for_address("@" + std::string(200, 'x')).has_value());
}

TEST_CASE("notifier: a missing listener is an error, not a crash", "[service][notifier]")
{
    auto n = notifier::for_address("/nonexistent-tradepush-dir/notify");
    REQUIRE(n.has_value());
    auto r = n->ready();
    REQUIRE_FALSE(r);
    CHECK(r.error() == boost::system::errc::no_such_file_or_directory);
}

TEST_CASE("notifier: never blocks, even when the listener stops reading", "[service][notifier]")
{
    fake_notify_socket sock(fake_notify_socket::kind::abstract);
    auto n = notifier::for_address(sock.address());
    REQUIRE(n.has_value());
    // The kernel queues only net.unix.max_dgram_qlen datagrams (10 by default) for a receiver; past
    // that a blocking send would stall the event loop that sends.
    boost::system::result<void> r;
    for(int i = 0; i < 10'000 && r; ++i)
        r = n->watchdog();
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == boost::system::errc::resource_unavailable_try_again);
}

TEST_CASE("notifier: copies share the socket and may send from several threads", "[service][notifier]")
{
    fake_notify_socket sock(fake_notify_socket::kind::abstract);
    auto n = notifier::for_address(sock.address());
    REQUIRE(n.has_value());
    constexpr int threads = 4;
    constexpr int per_thread = 25;
    std::atomic<int> sent{0};
    std::vector<std::thread> pool;
    for(int t = 0; t < threads; ++t)
        pool.emplace_back([copy = *n, &sent] {
            for(int i = 0; i < per_thread;) {
                // A full queue is reported, not waited on: retry until the reader catches up.
                if(copy.watchdog()) {
                    ++i;
                    ++sent;
                } else {
                    std::this_thread::yield();
                }
            }
        });
    int received = 0;
    while(received < threads * per_thread) {
        auto m = sock.receive(std::chrono::milliseconds(2000));
        if(!m)
            break;
        CHECK(m->text == "WATCHDOG=1");
        ++received;
    }
    for(auto& t : pool)
        t.join();
    CHECK(received == threads * per_thread);
    CHECK(sent == threads * per_thread);
}
