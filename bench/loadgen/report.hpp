// The load generator's results: the JSON file (bench/loadgen/README.md has the schema) and the
// short human summary on stderr.

#pragma once

#include "loadgen/options.hpp"
#include "loadgen/stats.hpp"

#include <optional>
#include <string>

namespace tradepush::bench {

struct run_result
{
    worker_stats stats;
    int clients = 0;
    int slow_clients = 0;
    int symbols = 1;
    std::optional<double> all_snapshots_ms; // every client had its snapshots (null otherwise)
    double settled_ms = 0;                  // every client had them or had failed
    int ready = 0;
    double window_s = 0;
    double cpu_window_s = 0; // this process's CPU seconds over the window
    bool timed_out = false;
    bool interrupted = false;
    // --storm
    bool storm = false;
    std::optional<double> storm_all_snapshots_ms;
    int storm_ready = 0;
    int storm_failed = 0;
    bool ok = false;
};

/// The results as one JSON object.
std::string
to_json(run_result const& r);

/// A few lines for a human.
std::string
summary(run_result const& r);

} // namespace tradepush::bench
