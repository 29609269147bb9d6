// tradepush-floor: what a push server cannot go below on this machine.
//
// N TCP loopback connections inside this process. A writer thread (pinned, like the server under
// test) sends one B-byte message to every connection in turn, one send() each, non-blocking; a
// reader thread (pinned to the load generator's core) drains them all with epoll. The writer's
// own CPU time per message is the floor of "one send() per message per client"; with --coalesce K
// it sends K messages per send(), the most write coalescing can buy. See bench/README.md.
//
// With --tick-hz H the writer is paced like a real fan-out: per upstream tick one send to every
// connection, then it sleeps until the next tick. The reader then sleeps between bursts too, so
// every burst pays the wake-ups an unpaced writer never sees (it keeps the reader busy).

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

struct options
{
    int connections = 1000;
    int msg_bytes = 150;
    double duration_s = 2;
    int writer_cpu = 0;
    int reader_cpu = 1;
    std::vector<int> coalesce{1, 4};
    std::vector<int> tick_hz{0};  // 0 = unpaced
    std::string json_path;
};

struct result
{
    int coalesce = 1;
    int tick_hz = 0;           // 0 = unpaced
    std::uint64_t msgs = 0;    // messages fully handed to the kernel
    std::uint64_t eagain = 0;  // send() calls refused with EAGAIN (a full socket buffer)
    std::uint64_t rounds = 0;  // passes over all connections
    double cpu_s = 0;          // the writer thread's CPU time
    double wall_s = 0;
    double fanout_ms = 0;      // median wall time of one pass (one message, or one batch, to each)
    double fanout_p99_ms = 0;  // 99th percentile of the same
    std::uint64_t overruns = 0; // paced: passes that ran past the next tick (no catch-up burst)
};

constexpr char usage_text[] = R"(tradepush-floor: the sender CPU cost of small send()s over TCP loopback

Usage: tradepush-floor [options]

  --connections N   loopback connections (default 1000; the process holds both ends: 2N descriptors)
  --msg-bytes B     bytes per message (default 150)
  --coalesce LIST   messages per send(), comma-separated, one run each (default 1,4)
  --tick-hz LIST    passes per second, comma-separated, one run per value and coalesce (default 0 =
                    unpaced, back to back). H > 0: per tick one send (K messages) to every
                    connection, then sleep until the next tick (steady period, no catch-up)
  --duration-s D    seconds per run (default 2; paced runs want >= 100 ticks for a p99)
  --writer-cpu C    core of the writer thread (default 0)
  --reader-cpu C    core of the reader thread (default 1)
  --json FILE       write {"connections","msg_bytes","results":[{"coalesce","tick_hz",
                    "sender_cpu_us_per_msg","msgs_per_cpu_s","fanout_ms","fanout_p99_ms",...}]}
                    to FILE
  --help            this text
)";

[[noreturn]] void
die(char const* what)
{
    std::fprintf(stderr, "tradepush-floor: %s: %s\n", what, std::strerror(errno));
    std::exit(1);
}

template<class T>
bool
parse_number(std::string_view s, T& out)
{
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

bool
parse_list(std::string_view s, std::vector<int>& out, int lo, int hi)
{
    out.clear();
    while(!s.empty())
    {
        auto const comma = s.find(',');
        int k = 0;
        if(!parse_number(s.substr(0, comma), k) || k < lo || k > hi)
            return false;
        out.push_back(k);
        s = comma == std::string_view::npos ? std::string_view{} : s.substr(comma + 1);
    }
    return !out.empty();
}

// 0 ok, 1 help, 2 usage error.
int
parse(int argc, char** argv, options& o)
{
    for(int i = 1; i < argc; ++i)
    {
        std::string_view const arg = argv[i];
        if(arg == "--help" || arg == "-h")
        {
            std::fputs(usage_text, stdout);
            return 1;
        }
        if(i + 1 >= argc)
        {
            std::fprintf(stderr, "tradepush-floor: missing value for %s\n", argv[i]);
            return 2;
        }
        std::string_view const val = argv[++i];
        bool ok = true;
        if(arg == "--connections")
            ok = parse_number(val, o.connections) && o.connections > 0;
        else if(arg == "--msg-bytes")
            ok = parse_number(val, o.msg_bytes) && o.msg_bytes > 0 && o.msg_bytes <= 65536;
        else if(arg == "--coalesce")
            ok = parse_list(val, o.coalesce, 1, 1024);
        else if(arg == "--tick-hz")
            ok = parse_list(val, o.tick_hz, 0, 10000);
        else if(arg == "--duration-s")
            ok = parse_number(val, o.duration_s) && o.duration_s > 0;
        else if(arg == "--writer-cpu")
            ok = parse_number(val, o.writer_cpu) && o.writer_cpu >= 0;
        else if(arg == "--reader-cpu")
            ok = parse_number(val, o.reader_cpu) && o.reader_cpu >= 0;
        else if(arg == "--json")
            o.json_path = val;
        else
        {
            std::fprintf(stderr, "tradepush-floor: unknown option %s (see --help)\n", argv[i - 1]);
            return 2;
        }
        if(!ok)
        {
            std::fprintf(stderr, "tradepush-floor: bad value for %s: %s\n", argv[i - 1], argv[i]);
            return 2;
        }
    }
    return 0;
}

void
pin_self(int cpu, char const* who)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if(sched_setaffinity(0, sizeof set, &set) != 0)
        std::fprintf(stderr, "tradepush-floor: cannot pin the %s to core %d: %s (running unpinned)\n", who, cpu,
                     std::strerror(errno));
}

double
thread_cpu_s()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

void
set_nonblocking(int fd)
{
    if(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0)
        die("fcntl");
}

/// N connected pairs: writer ends (accepted, like a server's) and reader ends.
void
connect_pairs(int n, std::vector<int>& writers, std::vector<int>& readers)
{
    int const lfd = socket(AF_INET, SOCK_STREAM, 0);
    if(lfd < 0)
        die("socket");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if(bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(lfd, 128) != 0 ||
       getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
        die("listen on 127.0.0.1:0");
    for(int i = 0; i < n; ++i)
    {
        // One at a time, accepted at once: the accept queue never overflows.
        int const c = socket(AF_INET, SOCK_STREAM, 0);
        if(c < 0)
            die("socket (is the open-file limit below 2 x --connections?)");
        if(connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
            die("connect");
        int const a = accept(lfd, nullptr, nullptr);
        if(a < 0)
            die("accept");
        int one = 1;
        // Servers send pushes with Nagle off; so does the floor.
        setsockopt(a, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        set_nonblocking(a);
        set_nonblocking(c);
        writers.push_back(a);
        readers.push_back(c);
    }
    close(lfd);
}

void
reader_loop(std::vector<int> const& fds, int cpu, std::atomic<bool> const& stop)
{
    pin_self(cpu, "reader");
    int const ep = epoll_create1(0);
    if(ep < 0)
        die("epoll_create1");
    for(int fd : fds)
    {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        if(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0)
            die("epoll_ctl");
    }
    std::vector<char> buf(256 * 1024);
    std::vector<epoll_event> events(1024);
    while(!stop.load(std::memory_order_relaxed))
    {
        int const n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), 50);
        for(int i = 0; i < n; ++i)
            while(read(events[static_cast<std::size_t>(i)].data.fd, buf.data(), buf.size()) > 0)
            {
            }
    }
    close(ep);
}

/// Value at quantile q (0..1) of v (reordered).
double
quantile(std::vector<double>& v, double q)
{
    if(v.empty())
        return 0;
    auto const i = std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())));
    auto const it = v.begin() + static_cast<std::ptrdiff_t>(i);
    std::nth_element(v.begin(), it, v.end());
    return *it;
}

result
write_run(std::vector<int> const& fds, int k, int tick_hz, options const& o)
{
    using clock = std::chrono::steady_clock;
    result r;
    r.coalesce = k;
    r.tick_hz = tick_hz;
    std::string const payload(static_cast<std::size_t>(k * o.msg_bytes), 'x');
    auto const len = payload.size();
    std::vector<double> pass_ms;
    pass_ms.reserve(1 << 16);
    auto const period = tick_hz > 0 ? std::chrono::duration_cast<clock::duration>(
                                          std::chrono::duration<double>(1.0 / tick_hz))
                                    : clock::duration::zero();

    auto const wall0 = clock::now();
    auto const end = wall0 + std::chrono::duration_cast<clock::duration>(
                                 std::chrono::duration<double>(o.duration_s));
    auto next = wall0;
    double const cpu0 = thread_cpu_s();
    for(;;)
    {
        if(tick_hz > 0)
        {
            // Sleep to the tick (absolute, so the period does not drift with the pass's length).
            if(next >= end)
                break;
            std::this_thread::sleep_until(next);
        }
        auto const t = clock::now();
        if(t >= end)
            break;
        for(int fd : fds)
        {
            auto const n = send(fd, payload.data(), len, MSG_DONTWAIT | MSG_NOSIGNAL);
            if(n == static_cast<ssize_t>(len))
                r.msgs += static_cast<std::uint64_t>(k);
            else if(n > 0)
                r.msgs += static_cast<std::uint64_t>(n / o.msg_bytes);
            else if(errno == EAGAIN || errno == EWOULDBLOCK)
                ++r.eagain;
            else
                die("send");
        }
        auto const done = clock::now();
        pass_ms.push_back(std::chrono::duration<double, std::milli>(done - t).count());
        ++r.rounds;
        if(tick_hz > 0)
        {
            // Steady period; after an overrun restart from now (no catch-up burst, like the
            // scripted upstream).
            next += period;
            if(next <= done)
            {
                ++r.overruns;
                next = done + period;
            }
        }
    }
    r.cpu_s = thread_cpu_s() - cpu0;
    r.wall_s = std::chrono::duration<double>(clock::now() - wall0).count();
    r.fanout_ms = quantile(pass_ms, 0.5);
    r.fanout_p99_ms = quantile(pass_ms, 0.99);
    return r;
}

double
us_per_msg(result const& r)
{
    return r.msgs ? r.cpu_s * 1e6 / static_cast<double>(r.msgs) : 0.0;
}

double
msgs_per_cpu_s(result const& r)
{
    return r.cpu_s > 0 ? static_cast<double>(r.msgs) / r.cpu_s : 0.0;
}

} // namespace

int
main(int argc, char** argv)
{
    options o;
    if(int const rc = parse(argc, argv, o); rc != 0)
        return rc == 1 ? 0 : 2;

    // Both ends of every connection live here.
    rlimit rl{};
    if(getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max)
    {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }

    std::vector<int> writers, readers;
    connect_pairs(o.connections, writers, readers);

    std::atomic<bool> stop{false};
    std::thread reader([&] { reader_loop(readers, o.reader_cpu, stop); });

    std::vector<result> results;
    std::thread writer([&] {
        pin_self(o.writer_cpu, "writer");
        for(int hz : o.tick_hz)
            for(int k : o.coalesce)
            {
                results.push_back(write_run(writers, k, hz, o));
                // Let the reader empty the sockets so the next run starts from the same state.
                std::this_thread::sleep_for(std::chrono::milliseconds(200));
            }
    });
    writer.join();
    stop.store(true);
    reader.join();

    for(auto const& r : results)
    {
        char pace[32] = "unpaced";
        if(r.tick_hz > 0)
            std::snprintf(pace, sizeof pace, "%d Hz", r.tick_hz);
        std::printf("floor: %d connections, %d-byte messages, coalesce %d, %s: %.3f us sender CPU per message, "
                    "%.0f msgs per CPU-s, fan-out %.3f ms (p99 %.3f ms) (%llu msgs, %llu EAGAIN, %llu overruns, "
                    "%.2f CPU-s over %.2f s)\n",
                    o.connections, o.msg_bytes, r.coalesce, pace, us_per_msg(r), msgs_per_cpu_s(r), r.fanout_ms,
                    r.fanout_p99_ms, static_cast<unsigned long long>(r.msgs),
                    static_cast<unsigned long long>(r.eagain), static_cast<unsigned long long>(r.overruns), r.cpu_s,
                    r.wall_s);
    }

    if(!o.json_path.empty())
    {
        std::ofstream f(o.json_path, std::ios::trunc);
        f << "{\"connections\":" << o.connections << ",\"msg_bytes\":" << o.msg_bytes
          << ",\"duration_s\":" << o.duration_s << ",\"writer_cpu\":" << o.writer_cpu
          << ",\"reader_cpu\":" << o.reader_cpu << ",\"results\":[";
        for(std::size_t i = 0; i < results.size(); ++i)
        {
            auto const& r = results[i];
            char buf[512];
            std::snprintf(buf, sizeof buf,
                          "%s{\"coalesce\":%d,\"tick_hz\":%d,\"sender_cpu_us_per_msg\":%.4f,"
                          "\"msgs_per_cpu_s\":%.1f,\"fanout_ms\":%.4f,\"fanout_p99_ms\":%.4f,\"msgs\":%llu,"
                          "\"eagain\":%llu,\"ticks\":%llu,\"overruns\":%llu,\"sender_cpu_s\":%.4f,"
                          "\"wall_s\":%.4f}",
                          i ? "," : "", r.coalesce, r.tick_hz, us_per_msg(r), msgs_per_cpu_s(r), r.fanout_ms,
                          r.fanout_p99_ms, static_cast<unsigned long long>(r.msgs),
                          static_cast<unsigned long long>(r.eagain), static_cast<unsigned long long>(r.rounds),
                          static_cast<unsigned long long>(r.overruns), r.cpu_s, r.wall_s);
            f << buf;
        }
        f << "]}\n";
        if(!f)
        {
            std::fprintf(stderr, "tradepush-floor: cannot write %s\n", o.json_path.c_str());
            return 1;
        }
    }
    for(int fd : writers)
        close(fd);
    for(int fd : readers)
        close(fd);
    return 0;
}
