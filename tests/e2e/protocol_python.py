#!/usr/bin/python3
"""The client protocol (DESIGN §3) with Debian's python3-socketio: token in the CONNECT payload and in
an `Authorization: Bearer` header, refusals with their reason code, the four snapshots within 1 s of
the ack (also on a resubscribe), tickers with increasing seq, ack errors, two devices of one user.

    TRADEPUSH_DAEMON=.../tradepushd /usr/bin/python3 protocol_python.py
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import threading
import time

import socketio

from e2e_daemon import SECRET, TRADING_TYPES, Checks, Daemon, mint_jwt


class App:
    """A python-socketio client that records every event with its arrival time."""

    def __init__(self):
        self.sio = socketio.Client(reconnection=False)
        self.events = []
        self.lock = threading.Lock()
        self.connect_errors = []
        self.sio.on("*", self._on_any)
        self.sio.on("connect_error", lambda data=None: self.connect_errors.append(data))

    def _on_any(self, event, *args):
        with self.lock:
            self.events.append((event, args[0] if args else None, time.monotonic()))

    def connect(self, url, wait_timeout=5, **kw):
        # A refused connect makes python-socketio 5.7 wait the whole wait_timeout before raising.
        self.sio.connect(url, wait_timeout=wait_timeout, **kw)
        return self

    def since(self, mark, event):
        with self.lock:
            return [(p, t) for (e, p, t) in self.events[mark:] if e == event]

    def mark(self):
        with self.lock:
            return len(self.events)

    def subscribe_trading(self, types=TRADING_TYPES):
        """Returns (ack, {type: (payload, ms after ack)}) waiting at most 1 s after the ack."""
        m = self.mark()
        ack = self.sio.call("subscribe_trading", {"types": types}, timeout=5)
        t_ack = time.monotonic()
        while time.monotonic() < t_ack + 1.0 and not all(self.since(m, t) for t in types):
            time.sleep(0.005)
        snaps = {}
        for t in types:
            got = self.since(m, t)
            if got:
                snaps[t] = (got[0][0], round((got[0][1] - t_ack) * 1000, 1))
        return ack, snaps

    def close(self):
        try:
            self.sio.disconnect()
        except Exception:  # noqa: BLE001 - already gone
            pass


def wait_for(cond, timeout):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def main():
    c = Checks()
    d = Daemon({"feed": {"tick_interval_ms": 100}})
    apps = []
    try:
        for transports in (None, ["websocket"]):
            label = "default transports" if transports is None else "websocket"
            # Token in the CONNECT payload.
            a = App().connect(d.url, auth={"token": mint_jwt("py-1")}, transports=transports)
            apps.append(a)
            ack, snaps = a.subscribe_trading()
            c.check(isinstance(ack, dict) and ack.get("ok") is True and ack.get("account") == "main",
                    f"{label}: subscribe_trading ack {ack}")
            c.check(set(snaps) == set(TRADING_TYPES),
                    f"{label}: all four snapshots within 1 s of the ack ({ {t: s[1] for t, s in snaps.items()} })")
            for t, (p, _) in snaps.items():
                c.check(p.get("exchange") == "bybit" and p.get("account") == "main" and isinstance(p.get("seq"), int)
                        and isinstance(p.get("data"), dict), f"{label}: {t} envelope")
            m0 = a.mark()  # the resubscribe resets the user's streams: seq may start over
            ack, snaps = a.subscribe_trading()
            c.check(ack.get("ok") is True and set(snaps) == set(TRADING_TYPES),
                    f"{label}: resubscribe on the same connection gives all four snapshots again within 1 s")

            # Token in the Authorization header (same user: same account data for the same seq).
            b = App().connect(d.url, headers={"Authorization": f"Bearer {mint_jwt('py-1')}"}, transports=transports)
            apps.append(b)
            ack, snaps_b = b.subscribe_trading(["positions"])
            c.check(ack.get("ok") is True and "positions" in snaps_b, f"{label}: Authorization: Bearer header accepted")
            seq = snaps_b["positions"][0]["seq"] if "positions" in snaps_b else None
            same = wait_for(lambda: any(p["seq"] == seq for p, _ in a.since(m0, "positions")), 3)
            match = same and [p for p, _ in a.since(m0, "positions") if p["seq"] == seq][0]["data"] == snaps_b["positions"][0]["data"]
            c.check(match, f"{label}: header and payload connections of one user see the same positions for seq {seq}")

            # Both devices keep receiving; one leaves, the other continues with increasing seq.
            m = a.mark()
            b.close()
            ok = wait_for(lambda: len(a.since(m, "positions")) >= 3, 5)
            seqs = [p["seq"] for p, _ in a.since(m0, "positions")]
            c.check(ok and all(x < y for x, y in zip(seqs, seqs[1:])),
                    f"{label}: device A keeps receiving with increasing seq after B left ({seqs[-5:]})")

            # Tickers.
            m = a.mark()
            ack = a.sio.call("subscribe_ticker", {"symbols": ["BTCUSDT", "ETHUSDT"], "exchange": "bybit",
                                                  "category": "linear"}, timeout=5)
            c.check(ack.get("ok") is True, f"{label}: subscribe_ticker ack {ack}")
            ok = wait_for(lambda: {p["symbol"] for p, _ in a.since(m, "ticker")} == {"BTCUSDT", "ETHUSDT"}
                          and len(a.since(m, "ticker")) >= 6, 5)
            btc = [p["seq"] for p, _ in a.since(m, "ticker") if p["symbol"] == "BTCUSDT"]
            c.check(ok and all(x < y for x, y in zip(btc, btc[1:])), f"{label}: ticker pushes with increasing seq ({btc[:6]})")
            ack = a.sio.call("unsubscribe_ticker", {"symbols": ["BTCUSDT", "ETHUSDT"]}, timeout=5)
            c.check(ack.get("ok") is True, f"{label}: unsubscribe_ticker ack {ack}")

            # Ack errors.
            for event, payload, code in [("nope", {}, "unknown_event"),
                                         ("subscribe_trading", {"types": "balance"}, "invalid_args"),
                                         ("subscribe_trading", {"types": ["wallet"]}, "invalid_type"),
                                         ("subscribe_ticker", {"symbols": ["b t c"], "exchange": "bybit"}, "invalid_symbol"),
                                         ("subscribe_ticker", {"symbols": ["BTCUSDT"], "exchange": "ftx"}, "unknown_exchange")]:
                ack = a.sio.call(event, payload, timeout=5)
                c.check(isinstance(ack, dict) and ack.get("ok") is False and ack.get("error", {}).get("code") == code,
                        f"{label}: {event} {payload} -> {code} ({ack})")
            a.close()

            # Refusals.
            now = int(time.time())
            for name, kw, code in [
                ("no token", {}, "no_token"),
                ("expired", {"auth": {"token": mint_jwt("py-2", exp=now - 3600)}}, "token_expired"),
                ("bad signature", {"auth": {"token": mint_jwt("py-2", secret=SECRET[::-1])}}, "bad_signature"),
                ("garbage", {"auth": {"token": "garbage"}}, "malformed_token"),
                ("bad header", {"headers": {"Authorization": "Bearer garbage"}}, "malformed_token"),
            ]:
                r = App()
                try:
                    r.connect(d.url, wait_timeout=1, transports=transports, **kw)
                    refused = False
                except socketio.exceptions.ConnectionError:
                    refused = True
                err = r.connect_errors[0] if r.connect_errors else None
                c.check(refused and isinstance(err, dict) and err.get("message") == "unauthorized"
                        and (err.get("data") or {}).get("code") == code, f"{label}: {name} refused: {err}")
                r.close()
        idle = d.wait_idle(10)
        c.check(True, f"back at idle: {idle['hub']}")
    except AssertionError as e:
        c.check(False, str(e))
    finally:
        for a in apps:
            a.close()
        alive = d.alive()
        code = d.stop()
    c.check(alive, "tradepushd stayed up")
    c.check(code == 0, f"tradepushd exited cleanly on SIGTERM (code {code})")
    if c.failed:
        print(d.log()[-4000:])
    c.finish()


if __name__ == "__main__":
    main()
