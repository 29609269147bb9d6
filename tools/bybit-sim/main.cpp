// tradepush-bybit-sim: a local Bybit V5 (REST + WebSocket) for end-to-end tests and the demo.
//
//   tradepush-bybit-sim [--listen 127.0.0.1:0] [--seed N] [--state FILE.toml|json] [--tick-ms N]
//                       [--ws-idle-timeout-s N] [--max-connections N] [--no-demo]
//
// Prints exactly one line "bybit-sim listening on 127.0.0.1:<port>" on stdout once bound, so scripts
// can read the port; SIGINT/SIGTERM stop it cleanly. See README.md for endpoints and the control API.

#include "server.hpp"
#include "state_file.hpp"

#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <limits>
#include <string>

namespace net = boost::asio;
namespace sim = tradepush::bybit_sim;

namespace {

int
usage(char const* why)
{
    if (why)
        std::fprintf(stderr, "tradepush-bybit-sim: %s\n", why);
    std::fprintf(stderr,
        "usage: tradepush-bybit-sim [--listen 127.0.0.1:0] [--seed N] [--state FILE.toml|json]\n"
        "                           [--tick-ms N] [--ws-idle-timeout-s N] [--max-connections N]\n"
        "                           [--no-demo] [--allow-non-loopback]\n");
    return 2;
}

bool
parse_number(char const* s, long long min, long long max, long long& out)
{
    char* end = nullptr;
    errno = 0;
    out = std::strtoll(s, &end, 10);
    return errno == 0 && end && *end == '\0' && end != s && out >= min && out <= max;
}

} // namespace

int
main(int argc, char** argv)
{
    sim::sim_config cfg;
    std::string listen = "127.0.0.1:0";
    std::string state_file;
    bool demo = true;
    bool allow_public = false;
    for (int i = 1; i < argc; ++i) {
        std::string const arg = argv[i];
        auto value = [&]() -> char const* { return i + 1 < argc ? argv[++i] : nullptr; };
        long long n = 0;
        if (arg == "--listen") {
            auto const* v = value();
            if (!v)
                return usage("--listen needs HOST:PORT");
            listen = v;
        } else if (arg == "--seed") {
            auto const* v = value();
            if (!v || !parse_number(v, 0, std::numeric_limits<long long>::max(), n))
                return usage("--seed needs a non-negative integer");
            cfg.seed = static_cast<std::uint64_t>(n);
        } else if (arg == "--state") {
            auto const* v = value();
            if (!v)
                return usage("--state needs a file");
            state_file = v;
        } else if (arg == "--tick-ms") {
            auto const* v = value();
            if (!v || !parse_number(v, 0, 3600000, n))
                return usage("--tick-ms needs 0..3600000");
            cfg.tick_ms = static_cast<int>(n);
        } else if (arg == "--ws-idle-timeout-s") {
            auto const* v = value();
            if (!v || !parse_number(v, 1, 86400, n))
                return usage("--ws-idle-timeout-s needs 1..86400");
            cfg.ws_idle_timeout_s = static_cast<int>(n);
        } else if (arg == "--max-connections") {
            auto const* v = value();
            if (!v || !parse_number(v, 1, 100000, n))
                return usage("--max-connections needs 1..100000");
            cfg.max_connections = static_cast<std::size_t>(n);
        } else if (arg == "--no-demo") {
            demo = false;
        } else if (arg == "--allow-non-loopback") {
            allow_public = true;
        } else if (arg == "-h" || arg == "--help") {
            usage(nullptr);
            return 0;
        } else {
            return usage(("unknown argument " + arg).c_str());
        }
    }

    auto const colon = listen.rfind(':');
    long long port = 0;
    if (colon == std::string::npos || !parse_number(listen.c_str() + colon + 1, 0, 65535, port))
        return usage("--listen needs HOST:PORT");
    boost::system::error_code ec;
    auto const addr = net::ip::make_address(listen.substr(0, colon), ec);
    if (ec)
        return usage("--listen: bad address");
    // The control API has no auth: never expose it beyond this machine by accident.
    if (!addr.is_loopback() && !allow_public)
        return usage("refusing a non-loopback --listen address without --allow-non-loopback");

    try {
        auto state = std::make_shared<sim::app>(cfg);
        if (demo)
            sim::install_demo_preset(*state);
        if (!state_file.empty()) {
            std::string err;
            if (!sim::load_state_file(*state, state_file, err)) {
                std::fprintf(stderr, "tradepush-bybit-sim: %s\n", err.c_str());
                return 1;
            }
            (void)state->eng().take_events();
        }
        net::io_context ioc{1};
        sim::server srv(ioc, state, {addr, static_cast<unsigned short>(port)});
        srv.run();

        net::signal_set signals(ioc, SIGINT, SIGTERM);
        net::steady_timer grace(ioc);
        signals.async_wait([&](boost::system::error_code const&, int) {
            // Close the listener and send WebSocket close frames, then give them a moment to go out:
            // clients should see a clean close, not a reset.
            srv.stop();
            grace.expires_after(std::chrono::milliseconds(200));
            grace.async_wait([&](boost::system::error_code const&) { ioc.stop(); });
        });

        std::cout << "bybit-sim listening on " << addr.to_string() << ":" << srv.port() << std::endl;
        ioc.run();
    } catch (std::exception const& e) {
        std::fprintf(stderr, "tradepush-bybit-sim: %s\n", e.what());
        return 1;
    }
    return 0;
}
