// What the clients count: per worker (single-threaded, plain integers, merged at the end) and the
// few atomics the controller watches while the workers run.

#pragma once

#include "loadgen/histogram.hpp"
#include "loadgen/options.hpp"
#include "loadgen/wire.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace tradepush::bench {

using steady_clock = std::chrono::steady_clock;

/// Progress of one phase (the first connect, the storm's reconnect). A client settles once per
/// phase: ready (it has the first push of every stream it subscribed) or failed.
struct phase_progress
{
    std::atomic<int> ready{0};
    std::atomic<int> failed{0};
    // ns since the run's start at which the last client became ready.
    std::atomic<std::int64_t> last_ready_ns{0};

    int settled() const noexcept { return ready.load() + failed.load(); }

    void
    mark_ready(std::int64_t ns) noexcept
    {
        auto cur = last_ready_ns.load(std::memory_order_relaxed);
        while(cur < ns && !last_ready_ns.compare_exchange_weak(cur, ns, std::memory_order_relaxed))
        {
        }
        ready.fetch_add(1, std::memory_order_release);
    }
};

/// Read-mostly state every worker shares with the controller.
struct shared_state
{
    options const& opt;
    steady_clock::time_point t0;
    // Set by the controller during the measuring window; clients read it per message.
    std::atomic<bool> measuring{false};
    phase_progress initial;
    phase_progress storm;
    // Socket.IO EVENT packets with ack ids 1 and 2 (bench/CONTRACT.md); the ticker one names
    // --symbols symbols.
    std::string subscribe_ticker;
    std::string subscribe_trading = R"(422["subscribe_trading",{"types":["balance","positions","pnl","orders"]}])";

    explicit shared_state(options const& o)
        : opt(o)
        , t0(steady_clock::now())
    {
        subscribe_ticker = R"(421["subscribe_ticker",{"symbols":[)";
        for(int k = 0; k < opt.symbols; ++k)
        {
            if(k)
                subscribe_ticker += ',';
            subscribe_ticker += '"' + symbol_name(k) + '"';
        }
        subscribe_ticker += R"(],"exchange":"bench","category":"linear"}])";
    }

    std::int64_t
    since_start_ns() const noexcept
    {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(steady_clock::now() - t0).count();
    }
};

/// One worker's counters. Top-level error counters are the first connect's; the storm's are
/// separate so a report can add them without counting anything twice.
struct worker_stats
{
    std::uint64_t connected = 0;
    std::uint64_t connect_errors = 0;
    std::uint64_t refused = 0;
    std::uint64_t ack_errors = 0;
    std::uint64_t disconnects = 0;

    // In the measuring window, every client: data pushes, and every event by kind.
    std::uint64_t messages = 0;
    std::array<std::uint64_t, event_kind_count> by_event{};
    // The whole run, every client, every event.
    std::uint64_t messages_total = 0;

    histogram latency_fast;
    histogram latency_slow;
    std::uint64_t seq_gaps = 0;      // fast clients, in the window
    std::uint64_t slow_seq_gaps = 0; // slow clients, in the window
    std::uint64_t seq_gaps_run = 0;  // fast clients, the whole run
    std::uint64_t seq_backwards = 0; // a seq at or below the last one seen on that stream
    std::uint64_t no_emit_us = 0;    // pushes in the window without a usable emit_us
    // Per ticker symbol (index as in wire.hpp), in the window: pushes (every client) and seq gaps
    // (fast clients). The four private streams' gaps are in private_seq_gaps (event_kind order - 1).
    std::array<std::uint64_t, max_symbols> ticker_messages_by_symbol{};
    std::array<std::uint64_t, max_symbols> seq_gaps_by_symbol{};
    std::array<std::uint64_t, data_stream_count - 1> private_seq_gaps{};
    std::uint64_t unknown_symbol = 0; // ticker pushes in the window for a symbol not subscribed

    std::uint64_t storm_errors = 0;
    std::uint64_t storm_reconnects = 0;

    void
    merge(worker_stats const& o) noexcept
    {
        connected += o.connected;
        connect_errors += o.connect_errors;
        refused += o.refused;
        ack_errors += o.ack_errors;
        disconnects += o.disconnects;
        messages += o.messages;
        for(std::size_t k = 0; k < by_event.size(); ++k)
            by_event[k] += o.by_event[k];
        messages_total += o.messages_total;
        latency_fast.merge(o.latency_fast);
        latency_slow.merge(o.latency_slow);
        seq_gaps += o.seq_gaps;
        slow_seq_gaps += o.slow_seq_gaps;
        seq_gaps_run += o.seq_gaps_run;
        seq_backwards += o.seq_backwards;
        no_emit_us += o.no_emit_us;
        for(std::size_t k = 0; k < ticker_messages_by_symbol.size(); ++k)
        {
            ticker_messages_by_symbol[k] += o.ticker_messages_by_symbol[k];
            seq_gaps_by_symbol[k] += o.seq_gaps_by_symbol[k];
        }
        for(std::size_t k = 0; k < private_seq_gaps.size(); ++k)
            private_seq_gaps[k] += o.private_seq_gaps[k];
        unknown_symbol += o.unknown_symbol;
        storm_errors += o.storm_errors;
        storm_reconnects += o.storm_reconnects;
    }
};

} // namespace tradepush::bench
