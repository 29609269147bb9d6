#!/usr/bin/python3
"""DESIGN §1 end to end with Debian's python3-socketio client (default transports: polling, then
upgrade to websocket): an app process is SIGKILLed (no disconnect packet) and a new process connects
and subscribes, 50 times; each new process must get all four trading snapshots within 1 s of its
subscribe ack although the data never changes. Afterwards /stats must be back at the idle baseline,
resets must have grown and RSS must be bounded.

    /usr/bin/python3 reconnect_python.py            (the test; needs TRADEPUSH_DAEMON)
    /usr/bin/python3 reconnect_python.py --child URL TOKEN   (one app process, used by the test)
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import json
import os
import subprocess
import threading
import time

from e2e_daemon import TRADING_TYPES, Checks, Daemon, is_idle, mint_jwt, tie_to_parent

ITERATIONS = 50
RSS_SLACK = 64 * 1024 * 1024
USER = "4"
# The data must not change between reconnects (the original bug), so the feed never ticks.
TICK_NEVER = 0


def child(url, token):
    """One app: connect, subscribe, check the snapshots, report one JSON line, idle until killed."""
    import socketio

    got = {}
    lock = threading.Lock()
    sio = socketio.Client(reconnection=False)

    def handler(name):
        def on(payload):
            with lock:
                got.setdefault(name, (payload, time.monotonic()))
        return on

    for t in TRADING_TYPES:
        sio.on(t, handler(t))

    def report(r):
        sys.stdout.write(json.dumps(r) + "\n")
        sys.stdout.flush()

    try:
        sio.connect(url, auth={"token": token}, wait_timeout=5)
        ack = sio.call("subscribe_trading", {"types": TRADING_TYPES}, timeout=5)
    except Exception as e:  # noqa: BLE001 - report whatever went wrong
        report({"ok": False, "error": f"{type(e).__name__}: {e}"})
        os._exit(1)
    t_ack = time.monotonic()
    if not isinstance(ack, dict) or ack.get("ok") is not True:
        report({"ok": False, "error": f"ack {ack!r}"})
        os._exit(1)
    while time.monotonic() < t_ack + 4:
        with lock:
            if all(t in got for t in TRADING_TYPES):
                break
        time.sleep(0.005)
    with lock:
        lateness = {t: (round((got[t][1] - t_ack) * 1000, 1) if t in got else None) for t in TRADING_TYPES}
        late = [t for t in TRADING_TYPES if t not in got or got[t][1] > t_ack + 1.0]
        if late:
            report({"ok": False, "error": f"snapshots not within 1 s of the ack: {lateness}"})
            os._exit(1)
        report({"ok": True, "lateness": lateness, "transport": sio.transport(),
                "seq": {t: got[t][0].get("seq") for t in TRADING_TYPES},
                "data": {t: got[t][0].get("data") for t in TRADING_TYPES}})
    while True:  # until SIGKILL
        time.sleep(60)


def run_child(url):
    proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--child", url, mint_jwt(USER)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=tie_to_parent)
    line = []
    t = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)
    t.start()
    t.join(20)
    if not line or not line[0]:
        proc.kill()
        proc.wait(5)
        err = proc.stderr.read().decode(errors="replace")[-2000:]
        return proc, {"ok": False, "error": f"no report from the client process within 20 s; stderr: {err}"}
    return proc, json.loads(line[0])


def kill(proc):
    if proc.poll() is None:
        proc.kill()
    proc.wait(5)


def main():
    c = Checks()
    d = Daemon({"server": {"ping_interval_ms": 1000, "ping_timeout_ms": 1000},
                "feed": {"tick_interval_ms": TICK_NEVER}})
    prev = None
    try:
        base = d.wait_idle(15)
        first_data = None
        worst = float("-inf")
        waited = 0
        transports = {}
        t0 = time.monotonic()
        for i in range(ITERATIONS + 1):
            # Odd iterations wait until the daemon noticed the killed app; even ones race its cleanup.
            wait_gone = i > 0 and i % 2 == 1
            if prev is not None:
                kill(prev)
                if wait_gone:
                    try:
                        d.wait_stats(lambda s: s["hub"]["connections"] == 0 and s["hub"]["open_accounts"] == 0, 10,
                                     f"#{i}: the killed client's session is released")
                    except AssertionError as e:
                        c.check(False, str(e))
            resets_before = d.stats()["hub"]["resets"]
            prev, r = run_child(d.url)
            if not c.check(r.get("ok") is True, f"#{i}: new app process got all four snapshots within 1 s of the ack"
                           + (f" ({r.get('lateness')}, {r.get('transport')})" if r.get("ok") else f": {r.get('error')}")):
                continue
            worst = max([worst] + list(r["lateness"].values()))
            transports[r["transport"]] = transports.get(r["transport"], 0) + 1
            if first_data is None:
                first_data = r["data"]
            else:
                c.check(r["data"] == first_data, f"#{i}: data unchanged between reconnects (tick never)")
            if wait_gone:
                waited += 1
                after = d.stats()["hub"]["resets"]
                c.check(after > resets_before, f"#{i}: reset_user called for the fresh session (resets {resets_before} -> {after})")
        loop_s = time.monotonic() - t0
        if prev is not None:
            kill(prev)
            prev = None
        try:
            idle = d.wait_idle(15)
        except AssertionError as e:
            c.check(False, str(e))
            idle = d.stats()
        resets = idle["hub"]["resets"] - base["hub"]["resets"]
        print(f"INFO: {ITERATIONS} kill/reconnect cycles in {loop_s:.1f} s; worst snapshot lateness {worst} ms after ack; "
              f"transports at report {transports}; resets +{resets}; rss {base['rss_bytes'] / 1048576:.1f} MiB -> "
              f"{idle['rss_bytes'] / 1048576:.1f} MiB; idle stats {json.dumps(idle)}", flush=True)
        c.check(is_idle(idle), "back at the idle baseline: no connections/users/subscriptions/streams/upstreams/sessions")
        c.check(resets >= waited, f"resets +{resets} >= {waited} sessions started with no device left")
        c.check(idle["rss_bytes"] < base["rss_bytes"] + RSS_SLACK,
                f"rss bounded: {idle['rss_bytes']} < {base['rss_bytes']} + {RSS_SLACK}")
        c.check(d.alive(), "tradepushd still running")
    finally:
        if prev is not None:
            kill(prev)
        code = d.stop()
    c.check(code == 0, f"tradepushd exited cleanly on SIGTERM (code {code})")
    if c.failed:
        print(d.log()[-4000:])
    c.finish()


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        main()
