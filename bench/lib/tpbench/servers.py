"""The three servers under test: how to start each, whether its runtime is here, and one started
server pinned to the server core with its PID, port and /proc sampler."""

import os
import queue
import shutil
import subprocess
import time

from .procs import HarnessError, Sampler, free_port, port_open, proc_mem_kb, proc_start_time

SERVERS = ("tradepushd", "node", "flask")
PYTHON = "/usr/bin/python3"  # Debian's python3 (the first python3 on PATH may lack flask-socketio)


class Paths:
    def __init__(self, repo, build_dir):
        self.repo = repo
        self.build_dir = build_dir
        self.peers = os.environ.get("TRADEPUSH_BENCH_PEERS", os.path.join(repo, "bench", "peers"))
        self.bin = os.environ.get("TRADEPUSH_BENCH_BIN", os.path.join(build_dir, "bench"))
        self.loadgen = os.path.join(self.bin, "tradepush-loadgen")
        self.floor = os.path.join(self.bin, "tradepush-floor")
        self.node = shutil.which("node")


def server_argv(name, paths, port, secret, ticker_hz, private_hz, symbols=1, flush_window_us=None, extra=()):
    """The start command of one server; `extra`: more options of tradepushd's start.sh."""
    common = ["--port", str(port), "--secret", secret,
              "--ticker-hz", _num(ticker_hz), "--private-hz", _num(private_hz)]
    # Only when not the default, so the other scenarios start every server exactly as before.
    if symbols != 1:
        common += ["--symbols", str(int(symbols))]
    if name == "tradepushd":
        fw = [] if flush_window_us is None else ["--flush-window-us", str(int(flush_window_us))]
        return ["bash", os.path.join(paths.peers, "tradepushd", "start.sh"),
                "--build-dir", paths.build_dir] + common + ["--workers", "1"] + fw + list(extra)
    if name == "node":
        return [paths.node or "node", os.path.join(paths.peers, "node", "server.mjs")] + common
    if name == "flask":
        return [PYTHON, os.path.join(paths.peers, "flask", "server.py")] + common
    raise ValueError(name)


def _num(x):
    return str(int(x)) if float(x) == int(x) else str(x)


def runtime_missing(name, paths):
    """Why this server cannot run here (None when it can). tradepushd's reasons are harness
    errors; the peers' are reasons to skip."""
    if name == "tradepushd":
        start = os.path.join(paths.peers, "tradepushd", "start.sh")
        if not os.path.isfile(start):
            return f"{start} not found"
        return None
    if name == "node":
        if not paths.node:
            return "node not on PATH"
        if not os.path.isfile(os.path.join(paths.peers, "node", "server.mjs")):
            return "bench/peers/node/server.mjs not found"
        if not os.path.isdir(os.path.join(paths.peers, "node", "node_modules", "socket.io")):
            return "bench/peers/node/node_modules/socket.io missing (run scripts/install-deps.sh)"
        return None
    if name == "flask":
        if not os.path.isfile(os.path.join(paths.peers, "flask", "server.py")):
            return "bench/peers/flask/server.py not found"
        if not os.access(PYTHON, os.X_OK):
            return f"{PYTHON} not found"
        r = subprocess.run([PYTHON, "-c", "import flask_socketio"], capture_output=True, timeout=30)
        if r.returncode != 0:
            return "python3-flask-socketio not importable by /usr/bin/python3"
        from .machine import flask_default_async_mode
        mode = flask_default_async_mode(os.path.join(paths.peers, "flask", "server.py"))
        if mode:
            r = subprocess.run([PYTHON, "-c", f"import {mode}"], capture_output=True, timeout=30)
            if r.returncode != 0:
                return f"the Flask peer's async mode {mode} is not importable (python3-{mode})"
        return None
    raise ValueError(name)


class RunningServer:
    def __init__(self, name, child, pid, port, registry):
        self.name = name
        self.child = child
        self.pid = pid
        self.start_ticks = proc_start_time(pid)
        self.port = port
        self.registry = registry
        self.sampler = None

    def mem(self):
        return proc_mem_kb(self.pid)

    def alive(self):
        return self.start_ticks is not None and proc_start_time(self.pid) == self.start_ticks

    def start_sampler(self, period=0.1):
        self.sampler = Sampler(self.pid, period)
        self.sampler.start()
        return self.sampler

    def stop(self):
        if self.sampler and self.sampler.is_alive():
            self.sampler.stop()
        self.registry.stop(self.child, grace_s=5.0, extra_pids=[(self.pid, self.start_ticks)])


def start_server(name, paths, registry, log_path, secret, ticker_hz, private_hz, cpu,
                 ready_timeout_s=60.0, symbols=1, flush_window_us=None, extra=()):
    """Starts one server pinned to `cpu` on a free loopback port, waits (bounded) for READY, and
    returns a RunningServer. Retries once on another port if the first is taken meanwhile."""
    last_err = None
    for _attempt in range(2):
        port = free_port()
        argv = ["taskset", "-c", str(cpu)] + server_argv(name, paths, port, secret, ticker_hz,
                                                         private_hz, symbols, flush_window_us, extra)
        cwd = paths.repo
        child = registry.start(name, argv, log_path, capture=True, cwd=cwd)
        pid = None
        ready = False
        deadline = time.monotonic() + ready_timeout_s
        ended = False
        while time.monotonic() < deadline:
            try:
                line = child.lines.get(timeout=0.2)
            except queue.Empty:
                if child.popen.poll() is not None and child.lines.empty():
                    ended = True
                    break
                continue
            if line is None:
                ended = True
                break
            if line.startswith("PID "):
                try:
                    pid = int(line.split()[1])
                except (IndexError, ValueError):
                    pass
            elif line.startswith("READY"):
                ready = True
                parts = line.split()
                if len(parts) > 1 and parts[1].isdigit() and int(parts[1]) != port:
                    port = int(parts[1])
                if pid is not None:
                    break
                # READY before PID: give the PID line a moment, else measure the started process.
                try:
                    nxt = child.lines.get(timeout=1.0)
                    if nxt and nxt.startswith("PID "):
                        pid = int(nxt.split()[1])
                except (queue.Empty, ValueError, IndexError):
                    pass
                break
        if ready:
            if pid is None:
                pid = child.pid
            srv = RunningServer(name, child, pid, port, registry)
            if not srv.alive():
                registry.stop(child)
                last_err = f"{name}: process {pid} gone right after READY"
                continue
            # Keep draining stdout into the log so a chatty server never blocks on a full pipe.
            return srv
        registry.stop(child, grace_s=2.0)
        why = "exited" if ended else f"no READY within {ready_timeout_s:.0f} s"
        last_err = f"{name}: {why} (log: {log_path})"
        if ended and port_open(port):
            continue  # someone else took the port meanwhile: try another
        break
    raise HarnessError(last_err)
