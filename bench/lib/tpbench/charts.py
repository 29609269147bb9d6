"""PNG charts with gnuplot (Debian gnuplot-nox) from summary.json's figures: data as TSV next to
the PNGs in the output directory, plotted by bench/charts/*.gp."""

import os
import shutil
import subprocess

from . import report
from .servers import SERVERS


COLORS = {"tradepushd": "#1f77b4", "node": "#ff7f0e", "flask": "#2ca02c"}


def _num(v):
    return "NaN" if v is None else f"{v:.6g}"


def _write(path, header, rows):
    with open(path, "w") as f:
        f.write("\t".join(header) + "\n")
        for r in rows:
            f.write("\t".join([r[0]] + [_num(x) for x in r[1:]]) + "\n")


def _plot(script, datafile, outfile, **params):
    args = "; ".join(f"{k}='{v}'" if isinstance(v, str) else f"{k}={v}"
                     for k, v in dict(datafile=datafile, outfile=outfile, **params).items())
    r = subprocess.run(["gnuplot", "-e", args, script], capture_output=True, text=True,
                       timeout=60)
    if r.returncode != 0 or not os.path.exists(outfile):
        raise RuntimeError(f"gnuplot {os.path.basename(script)}: {r.stderr.strip()[-300:]}")


def render(summary, out, repo):
    """Writes the charts into `out`; returns ([png file names], error or None)."""
    if not shutil.which("gnuplot"):
        return [], "gnuplot not found (apt-get install gnuplot-nox); no charts"
    gp = os.path.join(repo, "bench", "charts")
    servers = [s for s in SERVERS if any(r["server"] == s for r in summary["runs"])]
    made, errors = [], []

    def runs_of(scenario):
        pts = report._points(summary, scenario)
        return [(p, report._runs(summary, p)) for p in pts]

    def val(rec, fn):
        if rec is None or not rec.get("loadgen"):
            return None
        try:
            return fn(rec)
        except (TypeError, KeyError, ZeroDivisionError):
            return None

    def chart(name, script, header, rows, **params):
        if not rows:
            return
        params["colors"] = " ".join(COLORS.get(h, "#7f7f7f") for h in header[1:])
        data = os.path.join(out, name + ".tsv")
        png = os.path.join(out, name + ".png")
        _write(data, header, rows)
        try:
            _plot(os.path.join(gp, script), data, png, **params)
            made.append(name + ".png")
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
            errors.append(str(e))

    # RSS per connection vs clients.
    rows = []
    for p, runs in runs_of("idle"):
        any_run = next(iter(runs.values()))
        rows.append([str(any_run["params"]["clients"])] + [
            val(runs.get(s), lambda r: report.met(r, "rss_per_conn_kb")) for s in servers])
    chart("rss_per_connection", "lines.gp", ["clients"] + servers, rows,
          chart_title="Idle: RSS per connection (KB) vs connected clients", xlab="clients",
          ylab="KB per connection")

    # Delivered msgs per server CPU-second (and the floor) per point.
    rows, p99rows = [], []
    for sc in ("fanout", "private", "slow", "coalesce"):
        for p, runs in runs_of(sc):
            any_run = next(iter(runs.values()))
            # The floor is one message per send at 10 ticks a second: no reference for coalesce.
            _, r1, _ = report.floor_for(summary, any_run["params"]["clients"]) if sc != "coalesce" \
                else (None, None, None)
            label = any_run["label"]
            rows.append([label] + [val(runs.get(s), lambda r: report.met(r, "msgs_per_cpu_s"))
                                   for s in servers]
                        + [r1.get("msgs_per_cpu_s") if r1 else None])
            p99rows.append([label] + [val(runs.get(s), lambda r: report.lat_ms(r, "p99"))
                                      for s in servers])
    chart("msgs_per_cpu_s", "histogram.gp", ["point"] + servers + ["floor (1 msg/send)"], rows,
          chart_title="Delivered messages per server CPU-second (higher is better)",
          ylab="msgs per CPU-s")
    chart("p99_latency", "histogram.gp", ["point"] + servers, p99rows,
          chart_title="p99 latency, upstream emit to client receipt (ms, log scale; lower is better)",
          ylab="ms", logy=1)

    # Storms.
    rows = []
    for p, runs in runs_of("storm"):
        n = next(iter(runs.values()))["params"]["clients"]
        rows.append([f"connect storm, {n}"] + [
            val(runs.get(s), lambda r: report.lg(r, "all_snapshots_ms") / 1000) for s in servers])
        rows.append([f"reconnect storm, {n}"] + [
            val(runs.get(s), lambda r: report.lg(r, "storm", "all_snapshots_ms") / 1000)
            for s in servers])
    chart("storms", "histogram.gp", ["storm"] + servers, rows,
          chart_title="Time until every client has all its snapshots (s; lower is better)",
          ylab="seconds")
    return made, "; ".join(errors) or None
