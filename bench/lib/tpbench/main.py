"""bench/run: builds, measures the floor, runs every scenario against every server, writes the
results (JSON per run, summary.json, RESULTS.md, PNG charts). See bench/README.md."""

import argparse
import datetime
import json
import os
import shutil
import signal
import subprocess
import sys
import time

from . import charts, machine, report
from .procs import HarnessError, Registry
from .scenarios import (COALESCE_SYMBOLS, MODES, SCENARIOS, derive, floor_connection_counts, points,
                        run_point)
from .servers import SERVERS, Paths, runtime_missing, start_server

DEFAULT_SECRET = "bench-secret-0123456789abcdef0123456789"
SERVER_CPU = 0
LOADGEN_CPU = 1
EXIT_SKIP = 77  # ctest SKIP_RETURN_CODE: a peer's runtime is missing (smoke only)


class Ctx:
    pass


def log(msg):
    print(f"bench: {msg}", flush=True)


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="bench/run", description=__doc__)
    ap.add_argument("--build-dir", default="build/release",
                    help="CMake build dir with tradepushd, the bench plugin, loadgen and floor "
                         "(default build/release)")
    ap.add_argument("--no-build", action="store_true", help="use the build dir as it is")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="the whole suite in a few minutes")
    mode.add_argument("--smoke", action="store_true",
                      help="seconds: one tiny run of each scenario per server (CI)")
    ap.add_argument("--servers", default=",".join(SERVERS), help="subset of " + ",".join(SERVERS))
    ap.add_argument("--scenarios", default=",".join(SCENARIOS),
                    help="subset of " + ",".join(SCENARIOS))
    ap.add_argument("--out", help="output dir (default bench/results/<UTC date-time>)")
    ap.add_argument("--results-md", help="markdown page to write (default bench/RESULTS.md; "
                                         "--smoke writes it only into --out unless given)")
    ap.add_argument("--no-charts", action="store_true", help="skip the gnuplot charts")
    ap.add_argument("--no-check", action="store_true", help="skip the contract checker")
    ap.add_argument("--note", action="append", default=[],
                    help="a line for the notes section of RESULTS.md (repeatable)")
    ap.add_argument("--secret", default=DEFAULT_SECRET)
    ap.add_argument("--flush-window-us", type=int, default=2000, metavar="US",
                    help="tradepushd's write-coalescing flush window in the coalesce scenario "
                         "(start.sh --flush-window-us; default 2000; -1 = not given, the "
                         "daemon's default)")
    ap.add_argument("--report-from", metavar="DIR",
                    help="only rewrite the report (targets, charts, RESULTS.md) from DIR/summary.json")
    a = ap.parse_args(argv)
    a.mode = "smoke" if a.smoke else "quick" if a.quick else "full"
    a.servers = [s.strip() for s in a.servers.split(",") if s.strip()]
    a.scenarios = [s.strip() for s in a.scenarios.split(",") if s.strip()]
    for s in a.servers:
        if s not in SERVERS:
            ap.error(f"unknown server {s!r} (known: {', '.join(SERVERS)})")
    for s in a.scenarios:
        if s not in SCENARIOS:
            ap.error(f"unknown scenario {s!r} (known: {', '.join(SCENARIOS)})")
    return a


def build(repo, build_dir):
    """Configures (release preset) when needed and builds the targets the bench needs."""
    if not os.path.exists(os.path.join(build_dir, "build.ninja")):
        log(f"configuring {build_dir} (cmake --preset release)")
        _check([ "cmake", "--preset", "release", "-B", build_dir], repo, 900)
    r = subprocess.run(["ninja", "-C", build_dir, "-t", "targets", "all"], capture_output=True,
                       text=True, timeout=120)
    known = {line.split(":", 1)[0] for line in r.stdout.splitlines()}
    wanted = ["tradepushd", "tradepush-loadgen", "tradepush-floor"]
    missing = [t for t in wanted if t not in known]
    if missing:
        raise HarnessError(f"{build_dir} has no target(s) {', '.join(missing)} "
                           "(configured without the bench? TRADEPUSH_BUILD_BENCH=ON)")
    plugins = sorted(t for t in known if "/" not in t and "bench" in t and "plugin" in t)
    targets = wanted + plugins
    log(f"building {' '.join(targets)} in {build_dir}")
    _check(["ninja", "-C", build_dir, "-j2"] + targets, repo, 3600)


def _check(argv, cwd, timeout):
    r = subprocess.run(argv, cwd=cwd, timeout=timeout)
    if r.returncode != 0:
        raise HarnessError(f"command failed ({r.returncode}): {' '.join(argv)}")


def run_floor(ctx, n):
    """tradepush-floor at n connections; retried at fewer connections when the per-process
    open-file limit (two sockets per connection) does not allow n."""
    d = MODES[ctx.mode]["floor_duration_s"]
    tried = []
    for conns in _floor_tries(n):
        path = os.path.join(ctx.out, f"floor-{conns}.json")
        argv = [ctx.paths.floor, "--connections", str(conns), "--msg-bytes", "150",
                "--coalesce", "1,4", "--tick-hz", "0,10", "--duration-s", str(d), "--writer-cpu", str(SERVER_CPU),
                "--reader-cpu", str(LOADGEN_CPU), "--json", path]
        child = ctx.registry.start("floor", argv, os.path.join(ctx.out, f"floor-{conns}.log"))
        try:
            rc = child.popen.wait(timeout=60 + 4 * d)
        except subprocess.TimeoutExpired:
            rc = "timeout"
        ctx.registry.stop(child, grace_s=2.0)
        tried.append(f"{conns}: exit {rc}")
        if rc == 0 and os.path.exists(path):
            with open(path) as f:
                res = json.load(f)
            res["requested_connections"] = n
            return res
    raise HarnessError(f"tradepush-floor failed ({'; '.join(tried)}; logs in {ctx.out})")


def _floor_tries(n):
    import resource
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    cap = max(10, (soft - 200) // 2)
    first = min(n, cap)
    return [first] if first <= 1000 else [first, 1000]


def _flask_py(ctx):
    return os.path.join(ctx.paths.peers, "flask", "server.py")


def contract_check(ctx, name, symbols=1):
    """node bench/peers/check.mjs against a fresh server; returns (ok, message). With symbols > 1
    (the coalesce scenario is selected) server and checker run --symbols: a superset of the
    one-symbol check (BTCUSDT is the first of them, the private streams are the same)."""
    checker = os.path.join(ctx.paths.peers, "check.mjs")
    if not ctx.paths.node or not os.path.isfile(checker):
        return None, "checker not run (no node or no bench/peers/check.mjs)"
    if not os.path.isdir(os.path.join(ctx.paths.repo, "tests", "clients", "node_modules", "ws")):
        return None, "checker not run (tests/clients/node_modules missing: scripts/install-deps.sh)"
    logp = os.path.join(ctx.out, f"check.{name}.log")
    try:
        srv = start_server(name, ctx.paths, ctx.registry, os.path.join(ctx.out,
                           f"check.{name}.server.log"), ctx.secret, 10, 1, SERVER_CPU,
                           symbols=symbols)
    except HarnessError as e:
        return False, f"server start: {e}"
    try:
        argv = ["taskset", "-c", str(LOADGEN_CPU), ctx.paths.node, checker, "--port",
                str(srv.port), "--secret", ctx.secret, "--ticker-hz", "10", "--private-hz", "1",
                "--clients", "20", "--duration-ms", "3000", "--symbols", str(symbols)]
        child = ctx.registry.start("check", argv, logp, cwd=ctx.paths.repo)
        try:
            rc = child.popen.wait(timeout=90)
        except subprocess.TimeoutExpired:
            rc = "timeout"
        ctx.registry.stop(child, grace_s=2.0)
    finally:
        srv.stop()
    if name == "flask":
        ctx.flask_async_mode = ctx.flask_async_mode or machine.flask_async_mode(
            os.path.join(ctx.out, f"check.{name}.server.log"), _flask_py(ctx))
    if rc == 0:
        return True, "ok"
    tail = ""
    try:
        with open(logp) as f:
            tail = " | ".join(f.read().strip().splitlines()[-3:])
    except OSError:
        pass
    return False, f"exit {rc}: {tail}"


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))))
    build_dir = os.path.abspath(os.path.join(repo, a.build_dir) if not os.path.isabs(a.build_dir)
                                else a.build_dir)
    started = datetime.datetime.now(datetime.timezone.utc)
    if a.report_from:
        return _report_only(a, repo)
    out = os.path.abspath(a.out) if a.out else os.path.join(
        repo, "bench", "results", started.strftime("%Y%m%dT%H%M%SZ") + ("-" + a.mode))
    os.makedirs(out, exist_ok=True)

    registry = Registry()

    def on_signal(signum, _frame):
        log(f"signal {signum}: stopping every process started")
        registry.kill_all()
        sys.exit(128 + signum)

    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_signal)

    try:
        return _main(a, repo, build_dir, out, started, registry)
    except HarnessError as e:
        log(f"error: {e}")
        return 1
    finally:
        registry.kill_all()


def _main(a, repo, build_dir, out, started, registry):
    # The harness samples /proc from the load generator's core, never the server's.
    try:
        os.sched_setaffinity(0, {LOADGEN_CPU})
    except OSError:
        pass
    if not a.no_build:
        build(repo, build_dir)
    ctx = Ctx()
    ctx.mode = a.mode
    ctx.out = out
    ctx.registry = registry
    ctx.paths = Paths(repo, build_dir)
    ctx.secret = a.secret
    ctx.server_cpu = SERVER_CPU
    ctx.loadgen_cpu = LOADGEN_CPU
    ctx.settle_s = MODES[a.mode]["settle_s"]
    ctx.flask_async_mode = None
    ctx.flush_window_us = a.flush_window_us if a.flush_window_us >= 0 else None
    if os.cpu_count() < 2:
        raise HarnessError("needs at least 2 CPUs (server on core 0, load generator on core 1)")
    for exe in (ctx.paths.loadgen, ctx.paths.floor):
        if not os.access(exe, os.X_OK):
            raise HarnessError(f"{exe} not found (build the bench targets, or drop --no-build)")

    servers, skipped = [], {}
    for name in a.servers:
        why = runtime_missing(name, ctx.paths)
        if why and name == "tradepushd":
            raise HarnessError(f"tradepushd cannot run: {why}")
        if why:
            log(f"skipping {name}: {why}")
            skipped[name] = why
        else:
            servers.append(name)
    log(f"mode {a.mode}; servers {', '.join(servers)}; scenarios {', '.join(a.scenarios)}; "
        f"out {out}")

    summary = dict(mode=a.mode, started_utc=started.strftime("%Y-%m-%d %H:%M:%S UTC"),
                   argv=sys.argv[1:], servers=servers, skipped=skipped, scenarios=a.scenarios,
                   notes=a.note, server_cpu=SERVER_CPU, loadgen_cpu=LOADGEN_CPU,
                   flush_window_us=ctx.flush_window_us if "coalesce" in a.scenarios else None,
                   machine=machine.machine_info(), versions=machine.versions(ctx.paths),
                   floor={}, checks={}, runs=[])

    def save():
        with open(os.path.join(out, "summary.json"), "w") as f:
            json.dump(summary, f, indent=1)

    # The floor, in the same run, at the client counts of the scenarios that deliver messages.
    if any(s in a.scenarios for s in ("fanout", "private", "slow")):
        for n in floor_connection_counts(a.mode, a.scenarios):
            log(f"floor: {n} connections")
            res = run_floor(ctx, n)
            summary["floor"][str(n)] = res
            r1 = next((r for r in res.get("results", []) if r.get("coalesce") == 1), None)
            if r1:
                log(f"floor: {res.get('connections')} conns: {r1.get('msgs_per_cpu_s', 0):.0f} "
                    f"msgs/CPU-s at coalesce 1, fan-out {r1.get('fanout_ms')} ms")
        save()

    if not a.no_check:
        for name in servers:
            ok, msg = contract_check(ctx, name, COALESCE_SYMBOLS if "coalesce" in a.scenarios else 1)
            summary["checks"][name] = dict(ok=ok, message=msg)
            log(f"contract check {name}: {msg}")
        save()

    for p in points(a.mode, a.scenarios):
        for name in servers:
            if p["scenario"] == "abuse" and name != "tradepushd":
                continue  # the attacks test tradepushd's edge limits; the peers have none to measure
            t = time.monotonic()
            rec = run_point(p, name, ctx, out)
            if name == "flask" and not ctx.flask_async_mode:
                ctx.flask_async_mode = machine.flask_async_mode(
                    os.path.join(out, rec["files"]["server_log"]), _flask_py(ctx))
            summary["runs"].append(rec)
            save()
            log(f"{p['key']} {name}: {rec['status']} in {time.monotonic() - t:.1f} s; "
                + report.one_line(rec) + ("; " + "; ".join(rec["errors"]) if rec["errors"] else ""))

    summary["versions"]["flask_async_mode"] = ctx.flask_async_mode
    summary["finished_utc"] = datetime.datetime.now(datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M:%S UTC")
    summary["targets"] = report.evaluate_targets(summary)
    save()

    return _write_report(a, repo, out, summary, save, ctx.paths.repo)


def _report_only(a, repo):
    out = os.path.abspath(a.report_from)
    with open(os.path.join(out, "summary.json")) as f:
        summary = json.load(f)
    a.mode = summary.get("mode", a.mode)
    for rec in summary.get("runs", []):
        if rec.get("metrics"):
            derive(rec["metrics"], rec.get("loadgen"))
    summary["targets"] = report.evaluate_targets(summary)
    summary["notes"] = list(dict.fromkeys((summary.get("notes") or []) + a.note))

    def save():
        with open(os.path.join(out, "summary.json"), "w") as f:
            json.dump(summary, f, indent=1)

    _write_report(a, repo, out, summary, save, repo)
    return 0


def _write_report(a, repo, out, summary, save, chart_repo):
    skipped = summary.get("skipped") or {}
    chart_files = []
    if not a.no_charts:
        chart_files, chart_err = charts.render(summary, out, chart_repo)
        if chart_err:
            log(f"charts: {chart_err}")
            summary.setdefault("warnings", []).append(f"charts: {chart_err}")
    chart_dir_rel = None
    md_path = a.results_md
    if md_path is None and a.mode != "smoke":
        md_path = os.path.join(repo, "bench", "RESULTS.md")
    if md_path and chart_files and a.mode != "smoke":
        # Next to the page: bench/charts/ for bench/RESULTS.md.
        dst = os.path.join(os.path.dirname(os.path.abspath(md_path)), "charts")
        os.makedirs(dst, exist_ok=True)
        for c in chart_files:
            shutil.copy2(os.path.join(out, c), os.path.join(dst, c))
        chart_dir_rel = os.path.relpath(dst, os.path.dirname(os.path.abspath(md_path)))
    md_out = report.markdown(summary, chart_files, ".")
    with open(os.path.join(out, "RESULTS.md"), "w") as f:
        f.write(md_out)
    if md_path:
        md = report.markdown(summary, chart_files, chart_dir_rel or os.path.relpath(
            out, os.path.dirname(os.path.abspath(md_path))))
        with open(md_path, "w") as f:
            f.write(md)
        log(f"wrote {md_path}")
    save()
    log(f"results in {out}")
    if a.report_from:
        return 0

    failed = [r for r in summary["runs"] if r["status"] != "ok"]
    bad_checks = [n for n, c in summary["checks"].items() if c["ok"] is False]
    for r in failed:
        log(f"not ok: {r['point']} {r['server']}: {r['status']}: {'; '.join(r['errors'])}")
    if a.mode == "smoke":
        if failed or bad_checks:
            log(f"smoke FAILED: {len(failed)} run(s) not ok, contract check failed for "
                f"{', '.join(bad_checks) or 'none'}")
            return 1
        n = len(summary["runs"])
        log(f"smoke: {n} passed, 0 failed")
        if skipped:
            log("smoke SKIPPED for " + "; ".join(f"{k}: {v}" for k, v in skipped.items()))
            return EXIT_SKIP
        return 0
    # A full or quick run fails only when tradepushd's own runs did not work.
    if any(r["server"] == "tradepushd" and r["status"] == "failed" for r in summary["runs"]):
        return 1
    return 0
