// Test that header file is self-contained.
#include "service/watchdog.hpp"

#include "service/fake_notify_socket.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include <catch2/catch.hpp>

#include <future>
#include <memory>
#include <thread>
#include <vector>

namespace net = boost::asio;
using tradepush::service::notifier;
using tradepush::service::watchdog;
using tradepush::service::watchdog_timing;
using tradepush::test::fake_notify_socket;
using namespace std::chrono_literals;

namespace {

/// N event loops, each on its own thread, like the daemon's control loop plus shards.
class loops {
public:
    explicit loops(std::size_t n)
    {
        for(std::size_t i = 0; i < n; ++i) {
            contexts_.push_back(std::make_unique<net::io_context>(1));
            guards_.emplace_back(contexts_.back()->get_executor());
        }
    }

    ~loops() { join(); }

    /// Runs loop i on a new thread.
    void run(std::size_t i)
    {
        threads_.emplace_back([c = contexts_[i].get()] { c->run(); });
    }

    void run_all()
    {
        for(std::size_t i = 0; i < contexts_.size(); ++i)
            run(i);
    }

    /// Stops every loop and joins the threads (the io_contexts stay alive).
    void join()
    {
        for(auto& c : contexts_)
            c->stop();
        for(auto& t : threads_)
            t.join();
        threads_.clear();
    }

    net::io_context& operator[](std::size_t i) { return *contexts_[i]; }

    std::vector<net::io_context*> pointers()
    {
        std::vector<net::io_context*> v;
        for(auto& c : contexts_)
            v.push_back(c.get());
        return v;
    }

private:
    std::vector<std::unique_ptr<net::io_context>> contexts_;
    std::vector<net::executor_work_guard<net::io_context::executor_type>> guards_;
    std::vector<std::thread> threads_;
};

/// Short, explicit timing so the tests take a couple of seconds, with generous slack for sanitizers
/// and a loaded CI machine: a loop counts as stuck after 150 ms without a 20 ms heartbeat.
watchdog_timing
test_timing()
{
    watchdog_timing t;
    t.interval = 400ms;
    t.heartbeat = 20ms;
    t.max_age = 150ms;
    t.ping_every = 100ms;
    return t;
}

/// Blocks a loop inside a handler until released: what a stuck event loop looks like from outside.
class blocker {
public:
    explicit blocker(net::io_context& loop)
    {
        std::promise<void> entered;
        auto entered_future = entered.get_future();
        net::post(loop, [&entered, released = release_.get_future().share()] {
            entered.set_value();
            released.wait();
        });
        entered_future.wait();
    }

    ~blocker() { release(); }

    void release()
    {
        if(!released_) {
            released_ = true;
            release_.set_value();
        }
    }

private:
    std::promise<void> release_;
    bool released_ = false;
};

/// Receives and discards everything that arrives within `window`.
void
drain(fake_notify_socket& sock, std::chrono::milliseconds window)
{
    auto const until = std::chrono::steady_clock::now() + window;
    while(std::chrono::steady_clock::now() < until)
        (void)sock.receive(10ms);
}

} // namespace

TEST_CASE("watchdog: default timing follows sd_watchdog_enabled(3)", "[service][watchdog]")
{
    auto const t = watchdog_timing::for_interval(30s);
    CHECK(t.interval == 30s);
    CHECK(t.ping_every == 15s);
    CHECK(t.max_age == 10s);
    CHECK(t.heartbeat == 3750ms);
}

TEST_CASE("watchdog: pings WATCHDOG=1 while every loop turns", "[service][watchdog]")
{
    fake_notify_socket sock(fake_notify_socket::kind::abstract);
    auto n = notifier::for_address(sock.address());
    REQUIRE(n.has_value());
    loops l(3);
    l.run_all();
    watchdog w(l.pointers(), *n, test_timing());
    w.start();
    CHECK(w.active());
    for(int i = 0; i < 3; ++i) {
        auto m = sock.receive(1000ms);
        REQUIRE(m);
        CHECK(m->text == "WATCHDOG=1");
        CHECK(m->pid == ::getpid());
    }
    // The counter is bumped just after the send returns: the third may still be in flight.
    CHECK(w.pings() >= 2);
}

TEST_CASE("watchdog: a blocked shard loop stops the pings until it turns again", "[service][watchdog]")
{
    fake_notify_socket sock(fake_notify_socket::kind::path);
    auto n = notifier::for_address(sock.address());
    REQUIRE(n.has_value());
    loops l(3);
    l.run_all();
    watchdog w(l.pointers(), *n, test_timing());
    w.start();
    REQUIRE(sock.receive(1000ms));

    {
        blocker stuck(l[2]);
        // Pings may still come until the last stamp ages past max_age; then none at all.
        drain(sock, 300ms);
        CHECK_FALSE(sock.receive(600ms));
        CHECK(w.stale_checks() > 0);
        stuck.release();
        // The withheld ping goes out as soon as the loop stamps again, not half an interval later.
        auto m = sock.receive(500ms);
        REQUIRE(m);
        CHECK(m->text == "WATCHDOG=1");
    }
}

TEST_CASE("watchdog: a blocked control loop (the one that pings) stops the pings", "[service][watchdog]")
{
    fake_notify_socket sock(fake_notify_socket::kind::abstract);
    auto n = notifier::for_address(sock.address());
    REQUIRE(n.has_value());
    loops l(2);
    l.run_all();
    watchdog w(l.pointers(), *n, test_timing());
    w.start();
    REQUIRE(sock.receive(1000ms));
    blocker stuck(l[0]);
    drain(sock, 50ms);
    CHECK_FALSE(sock.receive(600ms));
    stuck.release();
    CHECK(sock.receive(1000ms));
}

TEST_CASE("watchdog: no ping before every loop has turned once", "[service][watchdog]")
{
    fake_notify_socket sock(fake_notify_socket::kind::abstract);
    auto n = notifier::for_address(sock.address());
    REQUIRE(n.has_value());
    loops l(2);
    watchdog w(l.pointers(), *n, test_timing());
    // start() before the loops run, as the daemon may do; loop 1 starts late.
    w.start();
    l.run(0);
    CHECK_FALSE(sock.receive(400ms));
    l.run(1);
    CHECK(sock.receive(1000ms));
}

TEST_CASE("watchdog: stop() ends the pings, teardown in either order is clean", "[service][watchdog]")
{
    fake_notify_socket sock(fake_notify_socket::kind::abstract);
    auto n = notifier::for_address(sock.address());
    REQUIRE(n.has_value());

    loops l(2);
    l.run_all();
    watchdog w(l.pointers(), *n, test_timing());
    w.start();
    REQUIRE(sock.receive(1000ms));
    w.stop();
    CHECK_FALSE(w.active());
    w.stop();
    drain(sock, 20ms);
    CHECK_FALSE(sock.receive(400ms));
}

TEST_CASE("watchdog: destroying the io_contexts before the watchdog", "[service][watchdog]")
{
    fake_notify_socket sock(fake_notify_socket::kind::abstract);
    auto n = notifier::for_address(sock.address());
    REQUIRE(n.has_value());
    std::unique_ptr<watchdog> w;
    {
        loops l(2);
        l.run_all();
        w = std::make_unique<watchdog>(l.pointers(), *n, test_timing());
        w->start();
        REQUIRE(sock.receive(1000ms));
        l.join();
    }
    // The pending timers died with their io_contexts; the watchdog only holds shared state.
    w.reset();
}

TEST_CASE("watchdog: disabled without an interval or a notify socket", "[service][watchdog]")
{
    loops l(1);
    l.run_all();
    SECTION("zero interval")
    {
        fake_notify_socket sock(fake_notify_socket::kind::abstract);
        auto n = notifier::for_address(sock.address());
        REQUIRE(n.has_value());
        watchdog w(l.pointers(), *n, 0us);
        w.start();
        CHECK_FALSE(w.active());
        CHECK_FALSE(sock.receive(200ms));
    }
    SECTION("no NOTIFY_SOCKET")
    {
        watchdog w(l.pointers(), notifier(), 200ms);
        w.start();
        CHECK_FALSE(w.active());
        CHECK(w.pings() == 0);
    }
}

TEST_CASE("watchdog: rejects no loops, null loops and non-positive timing", "[service][watchdog]")
{
    loops l(1);
    CHECK_THROWS_AS(watchdog({}, notifier(), 1s), std::invalid_argument);
    CHECK_THROWS_AS(watchdog({&l[0], nullptr}, notifier(), 1s), std::invalid_argument);
    auto t = test_timing();
    t.heartbeat = 0us;
    CHECK_THROWS_AS(watchdog({&l[0]}, notifier(), t), std::invalid_argument);
    t = test_timing();
    t.max_age = t.heartbeat;
    CHECK_THROWS_AS(watchdog({&l[0]}, notifier(), t), std::invalid_argument);
}
