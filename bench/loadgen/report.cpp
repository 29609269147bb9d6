#include "loadgen/report.hpp"

#include <cstdio>

namespace tradepush::bench {

namespace {

// Appends `"key":value` pairs with commas; enough JSON for flat numbers and nested objects.
class json_writer
{
public:
    void open(char const* key = nullptr) { prefix(key); out_ += '{'; first_ = true; }
    void close() { out_ += '}'; first_ = false; }

    void
    num(char const* key, double v)
    {
        prefix(key);
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.3f", v);
        out_ += buf;
    }

    void
    num(char const* key, std::uint64_t v)
    {
        prefix(key);
        out_ += std::to_string(v);
    }

    void num(char const* key, std::int64_t v) { prefix(key); out_ += std::to_string(v); }
    void num(char const* key, int v) { num(key, static_cast<std::int64_t>(v)); }

    void
    opt(char const* key, std::optional<double> v)
    {
        if(v)
            return num(key, *v);
        prefix(key);
        out_ += "null";
    }

    void boolean(char const* key, bool v) { prefix(key); out_ += v ? "true" : "false"; }

    void
    latency(char const* key, histogram const& h)
    {
        open(key);
        num("count", h.count());
        num("p50", h.percentile(0.50));
        num("p90", h.percentile(0.90));
        num("p99", h.percentile(0.99));
        num("p999", h.percentile(0.999));
        num("max", h.max());
        num("mean", h.mean());
        close();
    }

    std::string take() { return std::move(out_); }

private:
    void
    prefix(char const* key)
    {
        if(!first_)
            out_ += ',';
        first_ = false;
        if(key)
        {
            out_ += '"';
            out_ += key;
            out_ += "\":";
        }
    }

    std::string out_;
    bool first_ = true;
};

} // namespace

std::string
to_json(run_result const& r)
{
    auto const& s = r.stats;
    json_writer j;
    j.open();
    j.num("clients", r.clients);
    j.num("connected", s.connected);
    j.num("connect_errors", s.connect_errors);
    j.num("refused", s.refused);
    j.num("ack_errors", s.ack_errors);
    j.num("disconnects", s.disconnects);
    j.opt("all_snapshots_ms", r.all_snapshots_ms);
    j.num("settled_ms", r.settled_ms);
    j.num("with_snapshots", r.ready);
    j.num("messages", s.messages);
    j.open("messages_by_event");
    for(std::size_t k = 0; k < event_kind_count; ++k)
        j.num(std::string(event_names[k]).c_str(), s.by_event[k]);
    j.close();
    j.num("messages_total", s.messages_total);
    j.num("window_s", r.window_s);
    j.num("messages_per_s", r.window_s > 0 ? static_cast<double>(s.messages) / r.window_s : 0.0);
    // The load generator's own cost: CPU seconds over the window, and per message received.
    j.num("cpu_window_s", r.cpu_window_s);
    j.num("cpu_us_per_message",
          s.messages > 0 ? r.cpu_window_s * 1e6 / static_cast<double>(s.messages) : 0.0);
    j.latency("latency_us", s.latency_fast);
    j.num("seq_gaps", s.seq_gaps);
    j.num("seq_gaps_run", s.seq_gaps_run);
    j.num("seq_backwards", s.seq_backwards);
    j.num("no_emit_us", s.no_emit_us);
    // Per stream (bench/CONTRACT.md, --symbols): every client's ticker pushes by symbol in the
    // window, and the fast clients' missing messages (seq gaps) by stream in the window.
    j.num("symbols", r.symbols);
    j.open("ticker_messages_by_symbol");
    for(int k = 0; k < r.symbols; ++k)
        j.num(symbol_name(k).c_str(), s.ticker_messages_by_symbol[static_cast<std::size_t>(k)]);
    j.close();
    j.open("seq_gaps_by_stream");
    for(int k = 0; k < r.symbols; ++k)
        j.num(symbol_name(k).c_str(), s.seq_gaps_by_symbol[static_cast<std::size_t>(k)]);
    for(std::size_t k = 1; k < data_stream_count; ++k)
        j.num(std::string(event_names[k]).c_str(), s.private_seq_gaps[k - 1]);
    j.close();
    j.num("unknown_symbol", s.unknown_symbol);
    j.num("slow_clients", r.slow_clients);
    j.latency("slow_latency_us", s.latency_slow);
    j.num("slow_seq_gaps", s.slow_seq_gaps);
    if(r.storm)
    {
        j.open("storm");
        j.opt("all_snapshots_ms", r.storm_all_snapshots_ms);
        j.num("errors", s.storm_errors);
        j.num("reconnects", s.storm_reconnects);
        j.num("with_snapshots", r.storm_ready);
        j.num("failed", r.storm_failed);
        j.close();
    }
    j.boolean("timed_out", r.timed_out);
    j.boolean("interrupted", r.interrupted);
    j.boolean("ok", r.ok);
    j.close();
    auto out = j.take();
    out += '\n';
    return out;
}

std::string
summary(run_result const& r)
{
    auto const& s = r.stats;
    auto const& h = s.latency_fast;
    char buf[1024];
    std::string out;
    std::snprintf(buf, sizeof buf,
                  "loadgen: %d clients: %llu connected, %llu connect errors, %llu refused, %llu ack errors, "
                  "%llu disconnects; %d with snapshots",
                  r.clients, static_cast<unsigned long long>(s.connected),
                  static_cast<unsigned long long>(s.connect_errors), static_cast<unsigned long long>(s.refused),
                  static_cast<unsigned long long>(s.ack_errors), static_cast<unsigned long long>(s.disconnects),
                  r.ready);
    out += buf;
    if(r.all_snapshots_ms)
    {
        std::snprintf(buf, sizeof buf, " after %.1f ms", *r.all_snapshots_ms);
        out += buf;
    }
    out += '\n';
    std::snprintf(buf, sizeof buf,
                  "loadgen: window %.2f s: %llu messages (%.0f/s); latency us p50 %lld p90 %lld p99 %lld p999 %lld "
                  "max %lld (n=%llu); seq gaps %llu; loadgen CPU %.3f s (%.2f us/msg)\n",
                  r.window_s, static_cast<unsigned long long>(s.messages),
                  r.window_s > 0 ? static_cast<double>(s.messages) / r.window_s : 0.0,
                  static_cast<long long>(h.percentile(0.5)), static_cast<long long>(h.percentile(0.9)),
                  static_cast<long long>(h.percentile(0.99)), static_cast<long long>(h.percentile(0.999)),
                  static_cast<long long>(h.max()), static_cast<unsigned long long>(h.count()),
                  static_cast<unsigned long long>(s.seq_gaps), r.cpu_window_s,
                  s.messages > 0 ? r.cpu_window_s * 1e6 / static_cast<double>(s.messages) : 0.0);
    out += buf;
    if(r.slow_clients > 0)
    {
        std::snprintf(buf, sizeof buf, "loadgen: %d slow clients: latency p99 %lld us (n=%llu), seq gaps %llu\n",
                      r.slow_clients, static_cast<long long>(s.latency_slow.percentile(0.99)),
                      static_cast<unsigned long long>(s.latency_slow.count()),
                      static_cast<unsigned long long>(s.slow_seq_gaps));
        out += buf;
    }
    if(r.storm)
    {
        std::snprintf(buf, sizeof buf, "loadgen: storm: %d of %d with snapshots again", r.storm_ready, r.clients);
        out += buf;
        if(r.storm_all_snapshots_ms)
        {
            std::snprintf(buf, sizeof buf, " after %.1f ms", *r.storm_all_snapshots_ms);
            out += buf;
        }
        std::snprintf(buf, sizeof buf, "; %llu reconnects, %llu errors\n",
                      static_cast<unsigned long long>(s.storm_reconnects),
                      static_cast<unsigned long long>(s.storm_errors));
        out += buf;
    }
    out += r.ok ? "loadgen: ok\n" : (r.timed_out ? "loadgen: FAILED (timed out)\n" : "loadgen: FAILED\n");
    return out;
}

} // namespace tradepush::bench
