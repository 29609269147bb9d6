"""The scenarios of issue 6, their points per mode, and one measured run of one server at one point.

A *point* is one load generator configuration (e.g. "fan-out, 10 Hz, 1000 clients"). Every point
runs the servers back to back, each freshly started, so the figures of one point compare as ratios.
"""

import json
import os
import re
import subprocess
import time

from . import abuse
from .procs import HarnessError
from .servers import start_server

SCENARIOS = ("idle", "fanout", "private", "storm", "slow", "coalesce", "abuse")

# The coalesce scenario: several tickers changing together at 100 Hz, so a server has more than one
# frame pending per connection at once (the case write coalescing is for).
COALESCE_HZ = 100
COALESCE_SYMBOLS = 4

# Per mode: load generator windows (s), bounds (s) and the client counts of every scenario.
# 100 Hz stops at 1k (quick) / 2k (full) clients: the load generator has one core and receives
# about 100-200k msgs/s there; 5k clients at 100 Hz (500k msgs/s) overran it for every server.
MODES = {
    "smoke": dict(warmup_s=1, duration_s=1, timeout_s=20, settle_s=0.2, connect_rate=0,
                  idle=[20], fanout=[(10, 20)], private=[10], storm=[20], slow=[20], coalesce=[20],
                  floor_connections=[20], floor_duration_s=1, jitter_ms=200,
                  # The attackers run at least 12 s: the connect and header deadlines (10 s) fall in it.
                  abuse=[20], abuse_reps=1, abuse_warmup_s=1, abuse_duration_s=2, abuse_min_s=12),
    "quick": dict(warmup_s=2, duration_s=5, timeout_s=60, settle_s=0.5, connect_rate=2000,
                  idle=[1000, 5000], fanout=[(10, 1000), (10, 5000), (100, 1000)],
                  private=[1000], storm=[2000], slow=[1000], coalesce=[250, 500],
                  floor_connections=None, floor_duration_s=2, jitter_ms=2000,
                  abuse=[1000], abuse_reps=3, abuse_warmup_s=3, abuse_duration_s=15, abuse_min_s=12),
    "full": dict(warmup_s=3, duration_s=15, timeout_s=120, settle_s=1.0, connect_rate=2000,
                 idle=[1000, 10000, 19000],
                 fanout=[(10, 1000), (10, 5000), (10, 10000), (100, 1000), (100, 2000)],
                 private=[5000], storm=[10000], slow=[1000], coalesce=[250, 500],
                 floor_connections=None, floor_duration_s=2, jitter_ms=2000,
                 abuse=[1000], abuse_reps=3, abuse_warmup_s=5, abuse_duration_s=30, abuse_min_s=12),
}

MAX_PENDING = 256  # handshakes in flight per load generator when the connect rate is limited


def points(mode, scenarios):
    """The points of the selected scenarios, in run order."""
    m = MODES[mode]
    base = dict(warmup_s=m["warmup_s"], duration_s=m["duration_s"], timeout_s=m["timeout_s"],
                connect_rate=m["connect_rate"], max_pending=MAX_PENDING, slow_fraction=0.0,
                storm=False, jitter_ms=0, ticker_hz=0, private_hz=0, subscribe="ticker",
                symbols=1, flush_window_us=None)
    out = []
    for sc in SCENARIOS:
        if sc not in scenarios:
            continue
        if sc == "idle":
            for n in m["idle"]:
                out.append(dict(base, scenario=sc, key=f"idle-{n}", label=f"idle, {n} clients",
                                clients=n, users=n, ticker_hz=0))
        elif sc == "fanout":
            for hz, n in m["fanout"]:
                out.append(dict(base, scenario=sc, key=f"fanout-{hz}hz-{n}",
                                label=f"ticker {hz} Hz, {n} clients", clients=n, users=n,
                                ticker_hz=hz))
        elif sc == "private":
            for n in m["private"]:
                out.append(dict(base, scenario=sc, key=f"private-{n}",
                                label=f"private 1 Hz, {n} users", clients=n, users=n,
                                subscribe="trading", private_hz=1))
        elif sc == "storm":
            for n in m["storm"]:
                out.append(dict(base, scenario=sc, key=f"storm-{n}",
                                label=f"storms, {n} clients", clients=n, users=n,
                                subscribe="both", ticker_hz=1, private_hz=0, connect_rate=0,
                                storm=True, jitter_ms=m["jitter_ms"], max_pending=n,
                                timeout_s=max(base["timeout_s"], 60 if mode != "smoke" else 20)))
        elif sc == "slow":
            for n in m["slow"]:
                for frac in (0.0, 0.1):
                    out.append(dict(base, scenario=sc, key=f"slow-{n}-{int(frac * 100)}pct",
                                    label=f"ticker 10 Hz, {n} clients, {int(frac * 100)}% slow",
                                    clients=n, users=n, ticker_hz=10, slow_fraction=frac))
        elif sc == "coalesce":
            # tradepushd gets --flush-window-us (bench/run's option) through run_point.
            for n in m["coalesce"]:
                out.append(dict(base, scenario=sc, key=f"coalesce-{COALESCE_HZ}hz-{COALESCE_SYMBOLS}sym-{n}",
                                label=f"ticker {COALESCE_HZ} Hz × {COALESCE_SYMBOLS} symbols, {n} clients",
                                clients=n, users=n, ticker_hz=COALESCE_HZ,
                                symbols=COALESCE_SYMBOLS))
        elif sc == "abuse":
            # The same point without, then with, the attackers (tradepushd only: main.py), several
            # times in turn: a p99 of one window is its one or two slowest ticks, which vary by a
            # third from run to run here, so the targets compare medians.
            for n in m["abuse"]:
                for rep, attack in ((r, a) for r in range(1, m["abuse_reps"] + 1) for a in (False, True)):
                    out.append(dict(base, scenario=sc, rep=rep,
                                    key=f"abuse-{n}-{'attacked' if attack else 'baseline'}-{rep}",
                                    label=f"ticker 10 Hz, {n} clients, {'with' if attack else 'without'} attackers, run {rep}",
                                    clients=n, users=n, ticker_hz=10, attack=attack,
                                    warmup_s=m["abuse_warmup_s"], duration_s=m["abuse_duration_s"],
                                    attack_min_s=m["abuse_min_s"], source_addresses=abuse.SOURCE_ADDRESSES))
    return out


def floor_connection_counts(mode, scenarios):
    m = MODES[mode]
    if m["floor_connections"]:
        return list(m["floor_connections"])
    counts = set()
    for p in points(mode, scenarios):
        if p["scenario"] in ("fanout", "private", "slow"):  # coalesce is compared with Node, not the floor
            counts.add(p["clients"])
    if not counts:
        counts.add(1000)
    return sorted(counts)


def loadgen_argv(paths, point, port, secret, json_path, cpu):
    argv = ["taskset", "-c", str(cpu), paths.loadgen,
            "--host", "127.0.0.1", "--port", str(port), "--secret", secret,
            "--clients", str(point["clients"]), "--users", str(point["users"]),
            "--subscribe", point["subscribe"],
            "--connect-rate", str(point["connect_rate"]), "--max-pending", str(point["max_pending"]),
            "--warmup-s", str(point["warmup_s"]), "--duration-s", str(point["duration_s"]),
            "--slow-fraction", str(point["slow_fraction"]),
            "--cpu", str(cpu), "--json", json_path, "--quiet",
            "--timeout-s", str(point["timeout_s"])]
    if point.get("symbols", 1) != 1:
        argv += ["--symbols", str(point["symbols"])]
    if point.get("source_addresses", 1) != 1:
        argv += ["--source-addresses", str(point["source_addresses"])]
    if point["storm"]:
        argv += ["--storm", "--jitter-ms", str(point["jitter_ms"])]
    return argv


def loadgen_hard_limit_s(point):
    """Wall-clock bound for one load generator run (its own --timeout-s bounds each phase)."""
    limit = point["timeout_s"] + point["warmup_s"] + point["duration_s"] + 60
    if point["storm"]:
        limit += point["timeout_s"] + point["jitter_ms"] / 1000.0
    return limit


# The load generator prints "measuring window start" / "measuring window end" on stdout.
WINDOW_START = re.compile(r"measuring window start", re.I)
WINDOW_END = re.compile(r"measuring window end", re.I)


def run_point(point, server_name, ctx, out_dir):
    """One server at one point. Returns the run record (never raises for a server's failure;
    raises HarnessError when the harness itself cannot go on)."""
    tag = f"{point['key']}.{server_name}"
    # Write coalescing's flush window is tradepushd's option, given only in the coalesce scenario.
    # Smoke runs check the harness and the servers' --symbols, not performance: no flush window.
    flush_window_us = None
    if point["scenario"] == "coalesce" and server_name == "tradepushd" and ctx.mode != "smoke":
        flush_window_us = getattr(ctx, "flush_window_us", None)
    rec = dict(scenario=point["scenario"], point=point["key"], label=point["label"],
               server=server_name, params={k: point[k] for k in (
                   "clients", "users", "subscribe", "ticker_hz", "private_hz", "slow_fraction",
                   "storm", "jitter_ms", "connect_rate", "warmup_s", "duration_s", "timeout_s",
                   "symbols")},
               status="ok", errors=[], files={})
    rec["params"]["flush_window_us"] = flush_window_us
    is_abuse = point["scenario"] == "abuse"
    if is_abuse:
        rec["params"]["attack"] = point["attack"]
        rec["params"]["rep"] = point["rep"]
        rec["params"]["source_addresses"] = point["source_addresses"]
    srv_log = os.path.join(out_dir, f"{tag}.server.log")
    lg_log = os.path.join(out_dir, f"{tag}.loadgen.log")
    lg_json = os.path.join(out_dir, f"{tag}.loadgen.json")
    rec["files"] = dict(server_log=os.path.basename(srv_log), loadgen_log=os.path.basename(lg_log),
                        loadgen_json=os.path.basename(lg_json))
    if os.path.exists(lg_json):
        os.unlink(lg_json)
    try:
        srv = start_server(server_name, ctx.paths, ctx.registry, srv_log, ctx.secret,
                           point["ticker_hz"], point["private_hz"], ctx.server_cpu,
                           symbols=point.get("symbols", 1), flush_window_us=flush_window_us,
                           extra=abuse.server_args(out_dir, tag) if is_abuse else ())
    except HarnessError as e:
        rec["status"] = "failed"
        rec["errors"].append(f"server start: {e}")
        return rec
    m = {}
    lg = None
    attacker = None
    try:
        time.sleep(ctx.settle_s)
        fresh = srv.mem()
        m["rss_fresh_kb"] = fresh.get("VmRSS")
        m["threads"] = fresh.get("Threads")
        sampler = srv.start_sampler(0.1)
        argv = loadgen_argv(ctx.paths, point, srv.port, ctx.secret, lg_json, ctx.loadgen_cpu)
        t0 = time.monotonic()
        lg = ctx.registry.start("loadgen", argv, lg_log, capture=True, merge=True, cwd=ctx.paths.repo)
        limit = loadgen_hard_limit_s(point)
        if is_abuse and point["attack"]:
            attacker = abuse.Attacker(ctx, point, srv.port, out_dir, tag)
            attacker.start_when_ready(lg, point["timeout_s"])
        try:
            rc = lg.popen.wait(timeout=max(1.0, limit - (time.monotonic() - t0)))
        except subprocess.TimeoutExpired:
            rc = None
            rec["errors"].append(f"loadgen still running after {limit:.0f} s: stopped")
        t1 = time.monotonic()
        ctx.registry.stop(lg, grace_s=3.0)
        if attacker is not None:
            attacker.finish(rec)
        if is_abuse:
            rec["server_refusals"] = abuse.server_refusals(srv.port)
        end = sampler.stop()
        server_alive = srv.alive()
        if not server_alive:
            rec["errors"].append("server process died during the run")
        try:
            m["rss_end_kb"] = srv.mem().get("VmRSS")
            m["hwm_kb"] = srv.mem().get("VmHWM")
        except OSError:
            if end:
                m["rss_end_kb"], m["hwm_kb"] = end[2], end[3]
        m["loadgen_exit"] = rc
        m["run_s"] = round(t1 - t0, 3)
        lgj = None
        if os.path.exists(lg_json):
            try:
                with open(lg_json) as f:
                    lgj = json.load(f)
            except (OSError, ValueError) as e:
                rec["errors"].append(f"loadgen JSON unreadable: {e}")
        else:
            rec["errors"].append("loadgen wrote no JSON")
        rec["loadgen"] = lgj
        if rc not in (0, None):
            rec["errors"].append(f"loadgen exit {rc} (not every client connected and subscribed)")
        _window_figures(rec, m, sampler, lg, t0, t1, point, lgj)
        rec["timeline"] = [[round(s[0] - t0, 2), round(s[1], 3), s[2], s[3],
                            None if s[4] is None else round(s[4], 4)]
                           for s in sampler.samples[:: max(1, len(sampler.samples) // 400)]]
    except (OSError, ValueError) as e:  # the server vanished under us, or /proc said nonsense
        rec["errors"].append(f"measuring: {e}")
    finally:
        if lg is not None and lg.popen.poll() is None:
            ctx.registry.stop(lg, grace_s=2.0)
        srv.stop()
    rec["metrics"] = m
    if rec["errors"]:
        # A run with a loadgen JSON is partial (figures kept, marked); without one it failed.
        rec["status"] = "partial" if rec.get("loadgen") else "failed"
    return rec


def _window_figures(rec, m, sampler, lg, t0, t1, point, lgj):
    """CPU and memory over the load generator's measuring window.

    The window is when the load generator printed "measuring window start" and "measuring window
    end" on stdout (the lines' arrival here); without them it is estimated as loadgen start +
    all_snapshots_ms + warmup, window_s long (the loadgen warms up once every client has its
    snapshots). Whole-run CPU (loadgen start to exit, connects and teardown included) is reported
    next to it."""
    m["cpu_run_s"] = round(sampler.cpu_at(t1) - sampler.cpu_at(t0), 3)
    window_s = float((lgj or {}).get("window_s") or point["duration_s"])
    start = end = None
    for t, line in lg.timed:
        if start is None and WINDOW_START.search(line):
            start, m["window_source"] = t, "marker"
        elif start is not None and WINDOW_END.search(line):
            end = t
            break
    if start is not None and end is not None and abs((end - start) - window_s) > max(
            0.25, 0.1 * window_s):
        # The lines did not arrive when printed (buffered output): estimate instead.
        start = end = None
        m["window_marker_ignored"] = True
    if start is None:
        snap_ms = (lgj or {}).get("all_snapshots_ms")
        if isinstance(snap_ms, (int, float)) and snap_ms >= 0:
            start = t0 + snap_ms / 1000.0 + point["warmup_s"]
            m["window_source"] = "estimated"
        else:
            start = max(t0, t1 - window_s)
            m["window_source"] = "end-anchored"
    if end is None:
        end = start + window_s
    end = min(end, t1)
    start = min(start, end)
    m["window_s"] = round(end - start, 3)
    m["cpu_window_stat_s"] = round(sampler.cpu_at(end) - sampler.cpu_at(start), 4)
    c0, c1 = sampler.cpu_at(start, 4), sampler.cpu_at(end, 4)
    if c0 is not None and c1 is not None:
        m["cpu_window_schedstat_s"] = round(c1 - c0, 5)
    in_win = sampler.between(start, end)
    if in_win:
        m["rss_loaded_kb"] = in_win[-1][2]
        m["rss_window_max_kb"] = max(s[2] for s in in_win)
        mid = start + (end - start) / 2
        second = [s for s in in_win if s[0] >= mid]
        if second:
            m["rss_growth_2nd_half_kb"] = second[-1][2] - second[0][2]
    derive(m, lgj)


def derive(m, lgj):
    """The figures computed from the measurements (also rerun by --report-from).

    The window's CPU seconds are the schedstat sum (ns resolution) when /proc has it, else
    utime+stime (10 ms ticks; kept as cpu_window_stat_s either way)."""
    if "cpu_window_stat_s" not in m and "cpu_window_s" in m and "cpu_source" not in m:
        m["cpu_window_stat_s"] = m["cpu_window_s"]  # summaries written before the split
    sched = m.get("cpu_window_schedstat_s")
    if sched is not None:
        m["cpu_window_s"], m["cpu_source"] = sched, "schedstat"
    else:
        m["cpu_window_s"], m["cpu_source"] = m.get("cpu_window_stat_s"), "stat"
    cpu = m.get("cpu_window_s")
    if cpu is not None and m.get("window_s"):
        m["cpu_per_s"] = round(cpu / m["window_s"], 6)
    m.pop("msgs_per_cpu_s", None)
    if lgj:
        msgs = lgj.get("messages")
        if not lgj.get("window_s"):
            msgs = None  # the load generator never opened its window (timed out connecting)
        if isinstance(msgs, (int, float)) and cpu and cpu > 0:
            m["msgs_per_cpu_s"] = round(msgs / cpu, 1)
        conn = lgj.get("connected") or 0
        if conn and m.get("rss_loaded_kb") and m.get("rss_fresh_kb") is not None:
            m["rss_per_conn_kb"] = round((m["rss_loaded_kb"] - m["rss_fresh_kb"]) / conn, 3)
