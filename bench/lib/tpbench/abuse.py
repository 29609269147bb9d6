"""The abuse scenario: legitimate clients receiving a ticker while bench/attack runs every attack of
the edge-safety work against the same server, compared with the same load without attackers.

tradepushd only (the attacks test its defences; the peers have none of these limits to measure). It
runs with its shipped edge limits (start.sh --edge-limits default); the legitimate clients connect
from SOURCE_ADDRESSES loopback addresses so that those limits let all of them in, and the attackers
from addresses of their own (127.0.1.0/24, 127.0.2.0/24). The attacker process shares the load
generator's core at idle priority (SCHED_IDLE): it gets what the load generator leaves, so it never
delays the legitimate clients' readings on that core.
"""

import json
import os
import re
import subprocess
import time
import urllib.request


SOURCE_ADDRESSES = 8  # 1000 clients / 8 = 125 per address: under the 256 and the burst of 200
READY = re.compile(r"all clients ready")

# The targets: the legitimate clients' p99 and delivered rate within 10% of the run without
# attackers, the server's peak RSS under twice that run's.
P99_REL = 1.10
RATE_REL = 0.90
HWM_REL = 2.0


def server_args(out_dir, tag):
    """start.sh options of an abuse point: the shipped limits, and the admin socket to attack."""
    return ["--edge-limits", "default", "--admin-socket", admin_socket_path(out_dir, tag)]


def admin_socket_path(out_dir, tag):
    # sun_path holds 107 bytes: a short name under /tmp, never the (long) results directory.
    return os.path.join("/tmp", f"tradepush-abuse-{os.getpid()}-{abs(hash((out_dir, tag))) % 10**6}.sock")


class Attacker:
    """bench/attack, started once the load generator's clients are all ready."""

    def __init__(self, ctx, point, port, out_dir, tag):
        self.ctx, self.point, self.port = ctx, point, port
        self.json_path = os.path.join(out_dir, f"{tag}.attack.json")
        self.log_path = os.path.join(out_dir, f"{tag}.attack.log")
        self.admin_socket = admin_socket_path(out_dir, tag)
        self.seconds = max(point["warmup_s"] + point["duration_s"] + 1, point["attack_min_s"])
        self.child = None
        if os.path.exists(self.json_path):
            os.unlink(self.json_path)

    def start_when_ready(self, lg, limit_s):
        """Waits (bounded, and only while the load generator runs) for `all clients ready`, then
        starts the attackers. Returns False when the clients never got ready."""
        end = time.monotonic() + limit_s
        while time.monotonic() < end and lg.popen.poll() is None:
            if any(READY.search(line) for _t, line in list(lg.timed)):
                break
            time.sleep(0.05)
        else:
            return False
        argv = ["chrt", "-i", "0", "taskset", "-c", str(self.ctx.loadgen_cpu),
                "/usr/bin/python3", os.path.join(self.ctx.paths.repo, "bench", "attack"),
                "--port", str(self.port), "--secret", self.ctx.secret, "--seconds", str(self.seconds),
                "--json", self.json_path, "--admin-socket", self.admin_socket]
        argv += self.point.get("attack_args", [])
        self.child = self.ctx.registry.start("attack", argv, self.log_path, cwd=self.ctx.paths.repo)
        return True

    def finish(self, rec):
        """Waits for the attackers (bounded), stores what they saw in rec['attack']."""
        if self.child is None:
            rec["errors"].append("attackers not started: the legitimate clients never got ready")
            return
        try:
            self.child.popen.wait(timeout=self.seconds + 30)
        except subprocess.TimeoutExpired:
            rec["errors"].append("attackers still running past their time: stopped")
        self.ctx.registry.stop(self.child, grace_s=2.0)
        try:
            with open(self.json_path) as f:
                rec["attack"] = json.load(f)
        except (OSError, ValueError) as e:
            rec["errors"].append(f"attackers wrote no JSON: {e}")
            return
        bad = [n for n, s in rec["attack"]["attacks"].items() if s.get("defended") is False]
        if bad:
            rec["errors"].append("attacks neither refused nor closed: " + ", ".join(bad))


def server_refusals(port):
    """The server's own count of what its edge limits refused (from /metrics), or {} if unreadable."""
    want = ("tradepushd_connections_refused_total", "tradepushd_unauthenticated_evicted_total",
            "tradepushd_connections_shed_total")
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
            text = r.read().decode()
    except (OSError, ValueError):
        return {}
    out = {}
    for line in text.splitlines():
        if line.startswith(want):
            name, _, value = line.rpartition(" ")
            try:
                out[name] = int(float(value))
            except ValueError:
                pass
    return out


def groups(summary):
    """(clients, [runs without attackers], [runs with attackers]) of tradepushd, per client count."""
    by = {}
    for r in summary.get("runs", []):
        if r.get("scenario") == "abuse" and r.get("server") == "tradepushd":
            by.setdefault(r["params"]["clients"], ([], []))[bool(r["params"].get("attack"))].append(r)
    return [(n, base, hit) for n, (base, hit) in sorted(by.items())]


# ---- targets and the results page -----------------------------------------------------------------

def _median(xs):
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    mid = len(xs) // 2
    return xs[mid] if len(xs) % 2 else (xs[mid - 1] + xs[mid]) / 2


def _usable(runs):
    return [r for r in runs if r.get("status") != "failed" and r.get("loadgen")]


def _figures(runs):
    """Medians over the runs of the legitimate clients' p99 and delivered rate; the peak RSS is
    the highest of them."""
    from . import report as rp  # report imports this module: imported here, not at the top
    runs = _usable(runs)
    rate = _median(rp.lg(r, "messages_per_s") if rp.lg(r, "window_s") else None for r in runs)
    hwm = [rp.met(r, "hwm_kb") for r in runs if rp.met(r, "hwm_kb")]
    return dict(p99=_median(rp.lat_ms(r, "p99") for r in runs), rate=rate, hwm=max(hwm) if hwm else None,
                n=len(runs))


def targets(summary):
    """The abuse scenario's targets, in report.evaluate_targets' shape."""
    out = []

    def add(target, figure, ok, note=""):
        out.append(dict(target=target, figure=figure, met=ok, note=note))

    for n, base, hit in groups(summary):
        b, a = _figures(base), _figures(hit)
        if not b["n"] or not a["n"]:
            add(f"abuse, {n} clients: runs without and with attackers", "run failed", False)
            continue
        runs = f"medians of {a['n']} runs each"
        if a["p99"] is not None and b["p99"]:
            add(f"abuse, {n} clients: legitimate p99 within 10% of the runs without attackers",
                f"{a['p99']:.2f} ms vs {b['p99']:.2f} ms ({a['p99'] / b['p99']:.2f}×)",
                a["p99"] <= b["p99"] * P99_REL, runs)
        if a["rate"] is not None and b["rate"]:
            add(f"abuse, {n} clients: delivered rate within 10% of the runs without attackers",
                f"{a['rate']:.0f} vs {b['rate']:.0f} msgs/s ({a['rate'] / b['rate']:.3f}×)",
                a["rate"] >= b["rate"] * RATE_REL, runs)
        if a["hwm"] and b["hwm"]:
            add(f"abuse, {n} clients: server peak RSS under 2× the runs without attackers",
                f"{a['hwm'] / 1024:.1f} MB vs {b['hwm'] / 1024:.1f} MB ({a['hwm'] / b['hwm']:.2f}×)",
                a["hwm"] < b["hwm"] * HWM_REL, "the highest peak of each")
        seen = [(r.get("attack") or {}).get("attacks") or {} for r in hit]
        bad = sorted({k for attacks in seen for k, st in attacks.items() if st.get("defended") is False})
        total = len(seen[-1]) if seen else 0
        add(f"abuse, {n} clients: every attacker refused or closed",
            f"{total - len(bad)} of {total} attacks in every run" + (f" (not: {', '.join(bad)})" if bad else ""),
            bool(total) and not bad,
            "fast_sender is served by design: its effect is in the legitimate clients' figures")
    return out


# What each attack does and the answer it is meant to get (bench/README.md has the details).
ATTACKS = {
    "ws_overflow": "fragment + continuation of 2^64-1 / 2^63-1 bytes → 1002 / 1009",
    "ping_flood": "pings as fast as possible, never reading → closed (1008)",
    "socket_flood": "400 idle sockets from one address → refused past 256, the rest closed at the header deadline",
    "handshake_flood": "100 polling handshakes/s from one address → 429 past 20/s (burst 200)",
    "unauth_sessions": "8 addresses × 160 sessions never sending CONNECT → oldest evicted or 503 past 1024, closed at the connect deadline",
    "zombie_sessions": "valid CONNECT, then leave the namespace and stay → closed",
    "bad_logins": "1000 bad-token CONNECTs per connection → closed after 3, then `too_many_failures`",
    "token_policy": "no exp / 48 h lifetime / iat an hour ahead → refused with its code",
    "expiring_tokens": "token expiring 3 s after CONNECT → `token_expired`, closed",
    "bad_utf8": "a text frame that is not UTF-8 → 1007",
    "fast_sender": "authenticated, 64 acked 2 KB requests per write, flat out → served (closed by the event-flood check)",
    "admin_flood": "admin commands, replies never read → the daemon stops reading past 1 MiB",
}


def _seen(st):
    keep = {k: v for k, v in st.items() if k != "defended" and v}
    return ", ".join(f"{k} {v}" for k, v in sorted(keep.items()))


def _range(runs, fn, digits):
    from . import report as rp
    vals = [v for v in (rp._safe(lambda _s, r: fn(r), {}, r) for r in runs) if v is not None]
    if not vals:
        return "–"
    med = _median(vals)
    if len(vals) == 1:
        return rp._fmt(med, digits)
    return f"{rp._fmt(med, digits)} ({rp._fmt(min(vals), digits)}–{rp._fmt(max(vals), digits)})"


def markdown(summary):
    """The abuse section of RESULTS.md (no lines when the scenario did not run)."""
    from . import report as rp
    gs = groups(summary)
    if not gs:
        return []
    L = ["## 7. Abuse: legitimate clients while every attack runs\n",
         "tradepushd with its shipped edge limits (`start.sh --edge-limits default`); the legitimate "
         f"clients (ticker at 10 Hz) connect from {SOURCE_ADDRESSES} loopback addresses, the attackers "
         "(`bench/attack`, started once every legitimate client has its snapshot, running through "
         "the measuring window) from addresses of their own, on the load generator's core at idle "
         "priority. Runs without and with attackers alternate; figures are the median of the runs "
         "(lowest–highest in brackets).\n",
         "| clients | figure | without attackers | with attackers |", "|---|---|---:|---:|"]
    rows = [("connected", lambda r: rp.lg(r, "connected"), 0),
            ("msgs delivered per s", lambda r: rp.lg(r, "messages_per_s") if rp.lg(r, "window_s") else None, 0),
            ("p50 latency (ms)", lambda r: rp.lat_ms(r, "p50"), 2),
            ("p99 latency (ms)", lambda r: rp.lat_ms(r, "p99"), 2),
            ("p99.9 latency (ms)", lambda r: rp.lat_ms(r, "p999"), 2),
            ("max latency (ms)", lambda r: rp.lat_ms(r, "max"), 1),
            ("disconnects", lambda r: rp.lg(r, "disconnects"), 0),
            ("server CPU (% of a core)", lambda r: rp._mul(rp.met(r, "cpu_per_s"), 100), 1),
            ("peak RSS (MB)", lambda r: rp._div(rp.met(r, "hwm_kb"), 1024), 1)]
    for n, base, hit in gs:
        for i, (name, fn, digits) in enumerate(rows):
            L.append(f"| {n if i == 0 else ''} | {name} | {_range(_usable(base), fn, digits)} | "
                     f"{_range(_usable(hit), fn, digits)} |")
        L.append("")
        last = hit[-1] if hit else {}
        attacks = last.get("attack") or {}
        if attacks:
            L.append(f"What the attackers of the last run did and saw ({attacks.get('seconds')} s, "
                     "counts from their side of the wire; every run's are in its `*.attack.json`):\n")
            L.append("| attack | what it does → the answer it must get | what it saw | defended |")
            L.append("|---|---|---|:---:|")
            for k, st in sorted(attacks.get("attacks", {}).items()):
                d = st.get("defended")
                L.append(f"| {k} | {ATTACKS.get(k, '')} | {_seen(st)} | "
                         f"{'n/a' if d is None else 'yes' if d else '**no**'} |")
            L.append("")
        refusals = last.get("server_refusals") or {}
        if refusals:
            L.append("The server's own counters after that run (`/metrics`): "
                     + ", ".join(f"`{k}` {v}" for k, v in sorted(refusals.items())) + ".\n")
    return L
