"""Shared helpers for the Python end-to-end tests (run with Debian's /usr/bin/python3).

Starts tradepushd on a free loopback port with a temporary config, mints HS256 JWTs, reads /stats.
Every wait is bounded; the daemon gets SIGKILL when this process dies (PR_SET_PDEATHSIG), and
Daemon.stop() is meant to be called from a finally/tearDown.
"""
import base64
import ctypes
import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

SECRET = "test-secret-test-secret-test-secret-0123"
TRADING_TYPES = ["balance", "positions", "pnl", "orders"]

DEFAULT_CONFIG = {
    "server": {"listen": ["127.0.0.1:0"], "workers": 2, "ping_interval_ms": 25000, "ping_timeout_ms": 20000},
    "limits": {
        "max_pending_bytes": 4194304,
        "slow_consumer_timeout_ms": 10000,
        "socket_send_buffer": 0,
        "max_symbols_per_request": 50,
        "max_tickers_per_connection": 200,
        "max_connections_per_user": 32,
        # Every test client comes from 127.0.0.1: no per-address limits here.
        "max_sockets_per_address": 0,
        "handshakes_per_second_per_address": 0,
        "failed_logins_per_address": 0,
    },
    "auth": {"leeway_s": 30},
    "feed": {"kind": "scripted", "tick_interval_ms": 1000, "snapshot_delay_ms": 0},
    "log": {"level": "info"},
    # No admin socket unless a test asks for one (in its own temporary directory).
    "admin": {"socket": ""},
}

_PR_SET_PDEATHSIG = 1


def tie_to_parent():
    """preexec_fn: the child gets SIGKILL when the process that spawned it dies."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def mint_jwt(sub, exp=None, secret=SECRET):
    now = int(time.time())
    header = _b64u(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = _b64u(json.dumps({"sub": str(sub), "iat": now, "exp": exp if exp is not None else now + 3600}).encode())
    signing_input = f"{header}.{claims}"
    sig = _b64u(hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest())
    return f"{signing_input}.{sig}"


def _toml_value(v):
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def is_idle(s):
    h = s["hub"]
    return (h["connections"] == 0 and h["users"] == 0 and h["subscriptions"] == 0 and h["account_streams"] == 0
            and h["ticker_streams"] == 0 and h["open_accounts"] == 0 and s["engine"]["sessions"] == 0)


class Daemon:
    """tradepushd with DEFAULT_CONFIG overridden per table by `overrides`."""

    def __init__(self, overrides=None, env=None, extra_toml=""):
        binary = os.environ.get("TRADEPUSH_DAEMON")
        if not binary:
            raise RuntimeError("TRADEPUSH_DAEMON must point at the tradepushd binary")
        cfg = {t: dict(v, **(overrides or {}).get(t, {})) for t, v in DEFAULT_CONFIG.items()}
        self.dir = tempfile.mkdtemp(prefix="tradepush-e2e-py-")
        path = os.path.join(self.dir, "tradepushd.toml")
        with open(path, "w") as f:
            for table, values in cfg.items():
                f.write(f"[{table}]\n")
                for k, v in values.items():
                    f.write(f"{k} = {_toml_value(v)}\n")
                f.write("\n")
            f.write(f'[[auth.keys]]\nalg = "HS256"\nsecret = {json.dumps(SECRET)}\n')
            f.write(extra_toml)
        self.config_path = path
        self.proc = subprocess.Popen([binary, "--config", path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     preexec_fn=tie_to_parent, env=dict(os.environ, **(env or {})))
        self._log = []
        port_found = threading.Event()
        self.port = None

        def reader():
            for raw in self.proc.stdout:
                line = raw.decode(errors="replace")
                self._log.append(line)
                if len(self._log) > 5000:
                    del self._log[:2500]
                m = re.search(r"listening on 127\.0\.0\.1:\d+ \(port (\d+)\)", line)
                if m and self.port is None:
                    self.port = int(m.group(1))
                    port_found.set()
            port_found.set()

        threading.Thread(target=reader, daemon=True).start()
        if not port_found.wait(10) or self.port is None:
            self.stop()
            raise RuntimeError("tradepushd did not start within 10 s:\n" + self.log())
        self.url = f"http://127.0.0.1:{self.port}"

    def log(self):
        return "".join(self._log)

    def alive(self):
        return self.proc.poll() is None

    def stats(self):
        with urllib.request.urlopen(f"{self.url}/stats", timeout=5) as r:
            return json.loads(r.read())

    def wait_stats(self, pred, timeout=10.0, what="stats condition"):
        deadline = time.monotonic() + timeout
        while True:
            last = self.stats()
            if pred(last):
                return last
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} not reached within {timeout} s; last /stats: {json.dumps(last)}")
            time.sleep(0.05)

    def wait_idle(self, timeout=10.0):
        return self.wait_stats(is_idle, timeout, "idle baseline (no connections, users, streams, sessions)")

    def stop(self):
        """SIGTERM, SIGKILL after 5 s; returns the exit code (negative = signal)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        shutil.rmtree(self.dir, ignore_errors=True)
        return self.proc.returncode


class Checks:
    """Prints one line per check and remembers failures; exit status via finish()."""

    def __init__(self):
        self.failed = 0

    def check(self, ok, what):
        print(f"{'PASS' if ok else 'FAIL'}: {what}", flush=True)
        if not ok:
            self.failed += 1
        return ok

    def finish(self):
        print(f"{'FAILED' if self.failed else 'OK'}: {self.failed} failed check(s)", flush=True)
        sys.exit(1 if self.failed else 0)
