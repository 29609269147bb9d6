#!/usr/bin/python3
"""systemd integration of tradepushd against a fake NOTIFY_SOCKET (a datagram socket this test binds):
READY=1 once listening, WATCHDOG=1 while the loops turn, SIGHUP = RELOADING=1 + MONOTONIC_USEC then
READY=1 (a good config applies, a broken one is refused and the daemon keeps running), SIGTERM =
STOPPING=1 and exit 0.
"""
import os
import signal
import socket
import tempfile
import time

from e2e_daemon import Checks, Daemon


class NotifySocket:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.2)
        self.messages = []

    def wait(self, pred, timeout):
        """The first message (parsed into a dict) satisfying pred within timeout, else None."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for m in self.messages:
                if pred(m):
                    self.messages.remove(m)
                    return m
            try:
                raw = self.sock.recv(4096).decode()
            except socket.timeout:
                continue
            fields = dict(line.split("=", 1) for line in raw.split("\n") if "=" in line)
            self.messages.append(fields)
        return None


def main():
    c = Checks()
    tmp = tempfile.mkdtemp(prefix="tradepush-notify-")
    notify = NotifySocket(os.path.join(tmp, "notify.sock"))
    d = Daemon({"log": {"level": "info"}},
               env={"NOTIFY_SOCKET": os.path.join(tmp, "notify.sock"), "WATCHDOG_USEC": "1000000"})
    try:
        ready = notify.wait(lambda m: m.get("READY") == "1", 10)
        c.check(ready is not None and "worker shard" in ready.get("STATUS", ""), f"READY=1 with a STATUS ({ready})")
        ping = notify.wait(lambda m: m.get("WATCHDOG") == "1", 5)
        c.check(ping is not None, "WATCHDOG=1 within 5 s of a 1 s watchdog")

        # A good config: the log level changes live.
        with open(d.config_path) as f:
            good = f.read()
        with open(d.config_path, "w") as f:
            f.write(good.replace('level = "info"', 'level = "debug"'))
        before = time.clock_gettime(time.CLOCK_MONOTONIC)
        d.proc.send_signal(signal.SIGHUP)
        rel = notify.wait(lambda m: m.get("RELOADING") == "1", 10)
        usec = int(rel.get("MONOTONIC_USEC", "0")) if rel else 0
        c.check(rel is not None and abs(usec / 1e6 - before) < 10, f"SIGHUP sends RELOADING=1 with MONOTONIC_USEC ({rel})")
        done = notify.wait(lambda m: m.get("READY") == "1", 10)
        c.check(done is not None and "config reloaded" in done.get("STATUS", "") and "log level debug" in done["STATUS"],
                f"then READY=1 with the reloaded config's STATUS ({done})")

        # A broken config is refused; the daemon keeps serving.
        with open(d.config_path, "w") as f:
            f.write(good.replace("[limits]", "[limits]\nmax_symbols_per_requets = 3"))
        d.proc.send_signal(signal.SIGHUP)
        refused = notify.wait(lambda m: m.get("READY") == "1", 10)
        c.check(refused is not None and "refused" in refused.get("STATUS", ""), f"a broken config is refused ({refused})")
        time.sleep(0.2)
        c.check(d.alive() and d.stats()["engine"]["sessions"] == 0, "the daemon keeps running and answering")
        c.check("max_symbols_per_requets" in d.log(), "the refusal names the bad key in the log")

        d.proc.send_signal(signal.SIGTERM)
        stopping = notify.wait(lambda m: m.get("STOPPING") == "1", 10)
        c.check(stopping is not None, "SIGTERM sends STOPPING=1")
        rc = d.proc.wait(10)
        c.check(rc == 0, f"exit code 0 after SIGTERM (got {rc})")
    finally:
        d.stop()
    c.finish()


if __name__ == "__main__":
    main()
