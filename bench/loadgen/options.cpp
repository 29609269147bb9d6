#include "loadgen/options.hpp"

#include "loadgen/wire.hpp"

#include <charconv>
#include <cstdio>
#include <cstring>
#include <string_view>

namespace tradepush::bench {

std::string
usage()
{
    return R"(tradepush-loadgen: N raw Engine.IO v4 / Socket.IO v5 WebSocket clients (bench/CONTRACT.md)

Usage: tradepush-loadgen --port P [options]

  --host H              server address (default 127.0.0.1)
  --port P              server port (required)
  --source-addresses N  client i connects from 127.0.0.(1 + i % N), so that a server's per-address
                        limits see N addresses (default 1: the kernel's choice; --host must then be
                        in 127.0.0.0/8; at most 254)
  --secret S            HS256 secret for the clients' JWTs
                        (default bench-secret-0123456789abcdef0123456789)
  --clients N           clients to open (default 1)
  --users U             distinct users: client i is "u<i % U>" (default N)
  --subscribe WHAT      ticker | trading | both (default ticker)
  --symbols N           tickers each client subscribes to in its one subscribe_ticker: BTCUSDT,
                        SYM1USDT, ..., SYM<N-1>USDT (default 1, at most 64)
  --connect-rate R      connections started per second; 0 = as fast as --max-pending allows (default 0)
  --max-pending K       handshakes in flight at most (default 1000)
  --warmup-s W          seconds after every client has its snapshots, before measuring (default 1)
  --duration-s D        length of the measuring window in seconds (default 5)
  --slow-fraction F     fraction of clients (chosen evenly by index) that stop reading once they have
                        their snapshots; their SO_RCVBUF is 4096 (default 0)
  --storm               after the window: close every connection at once, reconnect each after a
                        uniform random delay in [0, --jitter-ms], resubscribe (at most 3 attempts)
  --jitter-ms J         reconnect jitter of --storm (default 1000)
  --threads T           event loop threads (default 1)
  --cpu C               pin the process to core C
  --timeout-s S         bound of each waiting phase (connecting, the storm's reconnecting): when it
                        passes, report what there is and exit 1 (default 120)
  --handshake-timeout-s S  a connection attempt not connected to Socket.IO by then fails (default 30)
  --json FILE           write the results as JSON to FILE
  --quiet               no progress lines on stderr (the summary and the window marker stay)
  --help                this text

Prints "all clients ready" on stdout once every client has its snapshots (the harness starts its
attackers then), "measuring window start" on stdout when the window opens and "measuring window end" when it
closes. Exit status: 0 when every client connected, was acked and got its snapshots (again, with
--storm); 1 otherwise (or on timeout, SIGINT, SIGTERM); 2 on usage errors.
)";
}

namespace {

template<class T>
bool
parse_number(std::string_view s, T& out)
{
    auto const* end = s.data() + s.size();
    auto [p, ec] = std::from_chars(s.data(), end, out);
    return ec == std::errc() && p == end;
}

} // namespace

std::optional<options>
parse_options(int argc, char** argv, bool& help)
{
    options o;
    help = false;
    auto fail = [](std::string const& msg) -> std::optional<options> {
        std::fprintf(stderr, "tradepush-loadgen: %s (see --help)\n", msg.c_str());
        return std::nullopt;
    };

    int port = -1;
    for(int i = 1; i < argc; ++i)
    {
        std::string_view const arg = argv[i];
        if(arg == "--help" || arg == "-h")
        {
            std::fputs(usage().c_str(), stdout);
            help = true;
            return std::nullopt;
        }
        if(arg == "--storm")
        {
            o.storm = true;
            continue;
        }
        if(arg == "--quiet")
        {
            o.quiet = true;
            continue;
        }
        if(i + 1 >= argc)
            return fail("missing value for " + std::string(arg));
        std::string_view const val = argv[++i];
        bool ok = true;
        if(arg == "--host")
            o.host = val;
        else if(arg == "--port")
            ok = parse_number(val, port) && port > 0 && port < 65536;
        else if(arg == "--source-addresses")
            ok = parse_number(val, o.source_addresses) && o.source_addresses >= 1 && o.source_addresses <= 254;
        else if(arg == "--secret")
            o.secret = val;
        else if(arg == "--clients")
            ok = parse_number(val, o.clients) && o.clients > 0;
        else if(arg == "--users")
            ok = parse_number(val, o.users) && o.users > 0;
        else if(arg == "--subscribe")
        {
            o.sub_ticker = val == "ticker" || val == "both";
            o.sub_trading = val == "trading" || val == "both";
            ok = o.sub_ticker || o.sub_trading;
        }
        else if(arg == "--symbols")
            ok = parse_number(val, o.symbols) && o.symbols >= 1 && o.symbols <= max_symbols;
        else if(arg == "--connect-rate")
            ok = parse_number(val, o.connect_rate) && o.connect_rate >= 0;
        else if(arg == "--max-pending")
            ok = parse_number(val, o.max_pending) && o.max_pending > 0;
        else if(arg == "--warmup-s")
            ok = parse_number(val, o.warmup_s) && o.warmup_s >= 0;
        else if(arg == "--duration-s")
            ok = parse_number(val, o.duration_s) && o.duration_s >= 0;
        else if(arg == "--slow-fraction")
            ok = parse_number(val, o.slow_fraction) && o.slow_fraction >= 0 && o.slow_fraction <= 1;
        else if(arg == "--jitter-ms")
            ok = parse_number(val, o.jitter_ms) && o.jitter_ms >= 0;
        else if(arg == "--threads")
            ok = parse_number(val, o.threads) && o.threads > 0 && o.threads <= 256;
        else if(arg == "--cpu")
            ok = parse_number(val, o.cpu) && o.cpu >= 0;
        else if(arg == "--timeout-s")
            ok = parse_number(val, o.timeout_s) && o.timeout_s > 0;
        else if(arg == "--handshake-timeout-s")
            ok = parse_number(val, o.handshake_timeout_s) && o.handshake_timeout_s > 0;
        else if(arg == "--json")
            o.json_path = val;
        else
            return fail("unknown option " + std::string(arg));
        if(!ok)
            return fail("bad value for " + std::string(arg) + ": " + std::string(val));
    }
    if(port < 0)
        return fail("--port is required");
    o.port = static_cast<std::uint16_t>(port);
    if(o.users == 0)
        o.users = o.clients;
    return o;
}

} // namespace tradepush::bench
