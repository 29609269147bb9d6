// tradepush-loadgen: N raw Engine.IO v4 / Socket.IO v5 WebSocket clients against a server that
// speaks bench/CONTRACT.md. The controller (this thread) walks the phases: connect until every
// client has its snapshots, warm up, measure, optionally the reconnect storm; the workers run the
// clients. See bench/loadgen/README.md.

#include "loadgen/options.hpp"
#include "loadgen/report.hpp"
#include "loadgen/stats.hpp"
#include "loadgen/worker.hpp"

#include <boost/asio/ip/address.hpp>

#include <sched.h>
#include <signal.h>
#include <sys/resource.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <ctime>
#include <algorithm>
#include <fstream>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

using namespace tradepush::bench;
using namespace std::chrono_literals;

namespace {

std::atomic<bool> g_signalled{false};

extern "C" void
on_signal(int)
{
    g_signalled.store(true);
}

void
raise_nofile()
{
    // Every client is a descriptor; the soft limit (often 1024) is the only one we may lift alone.
    rlimit rl{};
    if(getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max)
    {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

bool
pin_to(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set) == 0;
}

/// The fraction-F slow clients, spread evenly over the indexes: i is slow when floor((i+1)F)
/// passes an integer, so exactly floor(N F) are.
bool
is_slow(int i, double f)
{
    return std::floor((i + 1) * f) > std::floor(i * f);
}

/// Waits until `done()` or `limit` passes or a signal arrives; progress every second unless quiet.
/// Returns false on timeout or signal.
bool
wait_for(std::function<bool()> const& done, std::chrono::duration<double> limit, bool quiet,
         std::function<void()> const& progress)
{
    auto const start = steady_clock::now();
    auto next_report = start + 1s;
    while(!done())
    {
        if(g_signalled.load())
            return false;
        auto const now = steady_clock::now();
        if(now - start >= limit)
            return false;
        if(!quiet && now >= next_report)
        {
            progress();
            next_report += 1s;
        }
        std::this_thread::sleep_for(5ms);
    }
    return true;
}

/// This process's CPU time (every thread), in seconds: the load generator's own cost, so a run can
/// show it was not the bottleneck.
double
process_cpu_s()
{
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

/// Sleeps for `d` unless a signal arrives first (then false).
bool
sleep_for(std::chrono::duration<double> d)
{
    auto const end = steady_clock::now() + std::chrono::duration_cast<steady_clock::duration>(d);
    while(steady_clock::now() < end)
    {
        if(g_signalled.load())
            return false;
        // 50 ms slices: a signal is noticed soon enough, and the controller's wake-ups stay off the
        // core the clients run on (200 a second at 5 ms showed in the load generator's profile).
        std::this_thread::sleep_for(std::min<steady_clock::duration>(end - steady_clock::now(), 50ms));
    }
    return true;
}

} // namespace

int
main(int argc, char** argv)
{
    bool help = false;
    auto parsed = parse_options(argc, argv, help);
    if(!parsed)
        return help ? 0 : 2;
    options const opt = *parsed;

    boost::system::error_code ec;
    auto const address = boost::asio::ip::make_address(opt.host, ec);
    if(ec)
    {
        std::fprintf(stderr, "tradepush-loadgen: --host must be an IP address: %s\n", opt.host.c_str());
        return 2;
    }
    if(opt.source_addresses > 1 && !(address.is_v4() && address.to_v4().to_bytes()[0] == 127))
    {
        std::fprintf(stderr, "tradepush-loadgen: --source-addresses needs a --host in 127.0.0.0/8\n");
        return 2;
    }

    raise_nofile();
    if(opt.cpu >= 0 && !pin_to(opt.cpu))
        std::fprintf(stderr, "tradepush-loadgen: cannot pin to core %d: %s\n", opt.cpu, std::strerror(errno));

    struct sigaction sa{};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    signal(SIGPIPE, SIG_IGN);

    shared_state shared(opt);
    std::vector<std::unique_ptr<worker>> workers;
    boost::asio::ip::tcp::endpoint const ep(address, opt.port);
    for(int t = 0; t < opt.threads; ++t)
        workers.push_back(std::make_unique<worker>(shared, t, ep));
    run_result r;
    r.clients = opt.clients;
    r.symbols = opt.symbols;
    for(int i = 0; i < opt.clients; ++i)
    {
        bool const slow = is_slow(i, opt.slow_fraction);
        r.slow_clients += slow ? 1 : 0;
        workers[static_cast<std::size_t>(i % opt.threads)]->add_client(i, slow);
    }

    // Phase 1: connect, subscribe, snapshots.
    shared.t0 = steady_clock::now();
    for(auto& w : workers)
        w->start();
    auto const n = opt.clients;
    bool const settled = wait_for(
        [&] { return shared.initial.settled() >= n; }, std::chrono::duration<double>(opt.timeout_s), opt.quiet,
        [&] {
            std::fprintf(stderr, "loadgen: connecting: %d with snapshots, %d failed, of %d\n",
                         shared.initial.ready.load(), shared.initial.failed.load(), n);
        });
    r.settled_ms = static_cast<double>(shared.since_start_ns()) / 1e6;
    r.ready = shared.initial.ready.load();
    if(r.ready == n)
        r.all_snapshots_ms = static_cast<double>(shared.initial.last_ready_ns.load()) / 1e6;
    r.timed_out = !settled && !g_signalled.load();
    if(r.ready == n)
    {
        std::fputs("all clients ready\n", stdout);
        std::fflush(stdout);
    }

    // Phase 2: warm up, then the measuring window.
    // With nobody ready there is nothing to measure.
    bool go_on = settled && r.ready > 0;
    if(go_on && !opt.quiet)
        std::fprintf(stderr, "loadgen: %d of %d with snapshots after %.1f ms; warming up %.1f s\n", r.ready, n,
                     r.settled_ms, opt.warmup_s);
    if(go_on)
        go_on = sleep_for(std::chrono::duration<double>(opt.warmup_s));
    if(go_on)
    {
        // The harness takes the server's CPU over exactly this window from this line.
        std::fputs("measuring window start\n", stdout);
        std::fflush(stdout);
        auto const start = steady_clock::now();
        auto const cpu0 = process_cpu_s();
        shared.measuring.store(true);
        go_on = sleep_for(std::chrono::duration<double>(opt.duration_s));
        shared.measuring.store(false);
        r.window_s = std::chrono::duration<double>(steady_clock::now() - start).count();
        r.cpu_window_s = process_cpu_s() - cpu0;
        std::fputs("measuring window end\n", stdout);
        std::fflush(stdout);
    }

    // Phase 3: the reconnect storm.
    if(go_on && opt.storm)
    {
        r.storm = true;
        auto const drop_ns = shared.since_start_ns();
        if(!opt.quiet)
            std::fprintf(stderr, "loadgen: storm: dropping %d connections\n", n);
        for(auto& w : workers)
            w->start_storm();
        bool const storm_settled = wait_for(
            [&] { return shared.storm.settled() >= n; }, std::chrono::duration<double>(opt.timeout_s), opt.quiet,
            [&] {
                std::fprintf(stderr, "loadgen: storm: %d with snapshots again, %d failed, of %d\n",
                             shared.storm.ready.load(), shared.storm.failed.load(), n);
            });
        r.storm_ready = shared.storm.ready.load();
        r.storm_failed = shared.storm.failed.load();
        if(r.storm_ready == n)
            r.storm_all_snapshots_ms = static_cast<double>(shared.storm.last_ready_ns.load() - drop_ns) / 1e6;
        r.timed_out = !storm_settled && !g_signalled.load();
    }
    else if(opt.storm)
        r.storm = true;
    r.interrupted = g_signalled.load();

    for(auto& w : workers)
        w->stop();
    for(auto& w : workers)
        r.stats.merge(w->stats());

    auto const& s = r.stats;
    r.ok = !r.timed_out && !r.interrupted && r.ready == n && s.connected == static_cast<std::uint64_t>(n) &&
           s.ack_errors == 0 && s.refused == 0 && (!opt.storm || r.storm_ready == n);

    auto const text = summary(r);
    std::fputs(text.c_str(), stderr);
    if(!opt.json_path.empty())
    {
        std::ofstream f(opt.json_path, std::ios::trunc);
        f << to_json(r);
        if(!f)
        {
            std::fprintf(stderr, "tradepush-loadgen: cannot write %s\n", opt.json_path.c_str());
            return 1;
        }
    }
    // Closing tens of thousands of sockets one by one tells nobody anything; the kernel does it.
    std::fflush(stdout);
    std::fflush(stderr);
    std::_Exit(r.ok ? 0 : 1);
}
