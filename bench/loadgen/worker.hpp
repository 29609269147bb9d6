// One event loop thread and the clients it runs (client i belongs to worker i % threads).
//
// Everything a worker owns is touched only from its own thread; the controller talks to it
// through post() and reads its counters after join().

#pragma once

#include "loadgen/client.hpp"
#include "loadgen/stats.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <random>
#include <thread>
#include <vector>

namespace tradepush::bench {

class worker
{
public:
    worker(shared_state& shared, int id, net::ip::tcp::endpoint ep);
    ~worker();

    /// Adds client `index` (before start()).
    void add_client(int index, bool slow);

    /// Runs the event loop on a new thread and starts connecting.
    void start();

    /// The storm, posted to the worker's thread: drop every connection, reconnect with jitter.
    void start_storm();

    /// Stops the loop and joins the thread.
    void stop();

    // For the clients ------------------------------------------------------------------------------

    net::io_context& ioc() noexcept { return ioc_; }
    shared_state& shared() noexcept { return shared_; }
    worker_stats& stats() noexcept { return stats_; }
    net::ip::tcp::endpoint const& endpoint() const noexcept { return endpoint_; }

    /// A first-connect handshake finished (either way): lets the next one start.
    void handshake_done();

    /// A uniform random delay in [0, --jitter-ms] (the storm's reconnects and retries).
    std::chrono::milliseconds jitter();

private:
    void pump();
    void arm_pump_timer();
    void sweep();

    // Declared first so it is destroyed last: clients' timers and sessions' sockets belong to it.
    net::io_context ioc_{1};
    shared_state& shared_;
    int id_;
    net::ip::tcp::endpoint endpoint_;
    worker_stats stats_;
    net::steady_timer pump_timer_;
    net::steady_timer sweep_timer_;
    bool pump_armed_ = false;
    std::mt19937_64 rng_;
    std::vector<std::unique_ptr<client>> clients_;
    // Connect pacing: this worker's share of --connect-rate and --max-pending.
    std::size_t next_ = 0;
    int pending_ = 0;
    int max_pending_ = 1;
    double rate_ = 0;
    std::thread thread_;
    std::unique_ptr<net::executor_work_guard<net::io_context::executor_type>> work_;
};

} // namespace tradepush::bench
