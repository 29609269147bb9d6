// The load generator's command line.

#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace tradepush::bench {

struct options
{
    std::string host = "127.0.0.1";
    int source_addresses = 1; // >1: client i connects from 127.0.0.(1 + i % N) (per-address limits)
    std::uint16_t port = 0;
    std::string secret = "bench-secret-0123456789abcdef0123456789";
    int clients = 1;
    int users = 0; // 0: as many as clients
    bool sub_ticker = true;
    bool sub_trading = false;
    int symbols = 1; // tickers subscribed: BTCUSDT, SYM1USDT, ... (wire.hpp)
    double connect_rate = 0;   // connections started per second; 0 = unpaced
    int max_pending = 1000;    // handshakes in flight when unpaced
    double warmup_s = 1;
    double duration_s = 5;
    double slow_fraction = 0;
    bool storm = false;
    int jitter_ms = 1000;
    int cpu = -1;
    int threads = 1;
    double timeout_s = 120;
    double handshake_timeout_s = 30;
    std::string json_path;
    bool quiet = false;
};

/// The usage text printed by --help.
std::string
usage();

/// Parses argv. Returns the options, or nullopt after printing why to stderr (exit 2) or after
/// printing --help to stdout (`help` set, exit 0).
std::optional<options>
parse_options(int argc, char** argv, bool& help);

} // namespace tradepush::bench
