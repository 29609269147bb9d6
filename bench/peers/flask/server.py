#!/usr/bin/python3
"""The Flask-SocketIO peer of the tradepush benchmark (bench/CONTRACT.md).

Written like the original Python server (docs: /work/shared/DESIGN.md section 1): Flask-SocketIO, one
Socket.IO room per user and stream, background tasks that push to the rooms with socketio.emit(..., to=room).
The scripted upstream is the one of bench/plugin/bench_exchange.cpp (same numbers, same timers).

usage: /usr/bin/python3 server.py --port P [--secret S] [--ticker-hz 10] [--private-hz 1] [--symbols 1]
                                  [--async-mode gevent|eventlet]
Prints "PID <pid>" and "READY <port>" on stdout; exits on SIGTERM/SIGINT with status 0.
Run it with Debian's /usr/bin/python3 (python3-flask-socketio, python3-gevent, python3-gevent-websocket,
python3-eventlet).
"""
import argparse
import sys


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--secret", default="bench-secret-0123456789abcdef0123456789")
    p.add_argument("--ticker-hz", type=int, default=10)
    p.add_argument("--private-hz", type=int, default=1)
    p.add_argument("--symbols", type=int, default=1)
    p.add_argument("--async-mode", choices=["gevent", "eventlet"], default="gevent")
    a = p.parse_args()
    if not 0 <= a.ticker_hz <= 1000:
        p.error("--ticker-hz must be 0..1000")
    if not 0 <= a.private_hz <= 100:
        p.error("--private-hz must be 0..100")
    if not 1 <= a.symbols <= 64:
        p.error("--symbols must be 1..64")
    if not 0 <= a.port <= 65535:
        p.error("--port must be 0..65535")
    return a


ARGS = parse_args()

# Monkey-patch before anything else imports socket, threading or time.
if ARGS.async_mode == "eventlet":
    import eventlet

    eventlet.monkey_patch()
else:
    from gevent import monkey

    monkey.patch_all()

import base64  # noqa: E402
import hashlib  # noqa: E402
import hmac  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import time  # noqa: E402

from flask import Flask, request  # noqa: E402
from flask_socketio import SocketIO, join_room  # noqa: E402

EXCHANGE = "bench"
ACCOUNT = "main"
TYPES = ("balance", "positions", "pnl", "orders")
LEEWAY_S = 30


class compact_json:
    """The json module Socket.IO uses, without the spaces json.dumps puts after ',' and ':' by default
    (the other servers send compact JSON; this keeps the bytes on the wire the same)."""

    @staticmethod
    def dumps(obj, *args, **kwargs):
        kwargs.setdefault("separators", (",", ":"))
        return json.dumps(obj, *args, **kwargs)

    loads = staticmethod(json.loads)


def realtime_us():
    return time.time_ns() // 1000


def num(numerator, denominator):
    """numerator / denominator printed as the other servers print it: 97000.1, 97000 (not 97000.0), 0.01."""
    if numerator % denominator == 0:
        return numerator // denominator
    return numerator / denominator


# --- JWT HS256 ---------------------------------------------------------------------------------------
KEY = ARGS.secret.encode()


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def verify_jwt(token):
    """Returns the `sub` of a valid HS256 token, or None."""
    if not isinstance(token, str):
        return None
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        header = json.loads(b64url_decode(parts[0]))
        if header.get("alg") != "HS256":
            return None
        want = hmac.new(KEY, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(want, b64url_decode(parts[2])):
            return None
        claims = json.loads(b64url_decode(parts[1]))
        now = time.time()
        exp = claims.get("exp")
        if not isinstance(exp, (int, float)) or exp + LEEWAY_S < now:
            return None
        nbf = claims.get("nbf")
        if isinstance(nbf, (int, float)) and nbf - LEEWAY_S > now:
            return None
        sub = claims.get("sub")
        return sub if isinstance(sub, str) and sub else None
    except (ValueError, TypeError, AttributeError):
        return None


# --- The app -----------------------------------------------------------------------------------------
app = Flask(__name__)
socketio = SocketIO(
    app,
    async_mode=ARGS.async_mode,
    json=compact_json,
    cors_allowed_origins=[],
    ping_interval=25,
    ping_timeout=20,
    logger=False,
    engineio_logger=False,
)

# --- The scripted upstream (see bench/plugin/bench_exchange.cpp for the numbers) ----------------------
tickers = {}  # (category, symbol) -> Ticker


class Ticker:
    def __init__(self, category, symbol):
        self.category = category
        self.symbol = symbol
        self.room = f"ticker:{EXCHANGE}:{category}:{symbol}"
        self.changes = 0
        self.seq = 0
        self.envelope = None
        self.change(0)

    def change(self, n, us=None):
        if us is None:
            us = realtime_us()
        p = 970000 + n % 2000
        self.changes = n
        self.seq += 1
        self.envelope = {
            "exchange": EXCHANGE, "category": self.category, "symbol": self.symbol, "seq": self.seq,
            "ts": us // 1000,
            "data": {
                "symbol": self.symbol, "last_price": num(p, 10), "mark_price": num(p + 5, 10),
                "index_price": num(p - 5, 10), "bid": num(p - 1, 10), "bid_size": 1.5, "ask": num(p + 1, 10),
                "ask_size": 2.5, "volume_24h": 12345 + n, "emit_us": us,
            },
        }


class User:
    def __init__(self, sub, index):
        self.sub = sub
        self.index = index
        self.subscribers = 0
        self.changes = 0
        self.seq = {t: 0 for t in TYPES}
        self.rooms = {t: f"user:{sub}:{t}" for t in TYPES}
        self.envelopes = {}
        self.change(0)

    def change(self, m):
        us = realtime_us()
        ts = us // 1000
        q = m % 2000
        self.changes = m
        data = {
            "balance": {"total_equity": num(1000000 + q, 100), "available_balance": num(800000 + q, 100),
                        "emit_us": us},
            "positions": {"positions": [{"symbol": "BTCUSDT", "side": "long", "size": 0.01, "entry_price": 97000,
                                         "mark_price": num(970000 + q, 10), "unrealised_pnl": num(q, 1000)}],
                          "emit_us": us},
            "pnl": {"unrealised_pnl": num(q, 1000), "realised_pnl": 125.5, "total_pnl": num(125500 + q, 1000),
                    "emit_us": us},
            "orders": {"orders": [{"order_id": f"o{m}", "symbol": "BTCUSDT", "side": "buy",
                                   "price": num(960000 + q, 10), "qty": 0.01}],
                       "emit_us": us},
        }
        for t in TYPES:
            self.seq[t] += 1
            self.envelopes[t] = {"exchange": EXCHANGE, "account": ACCOUNT, "seq": self.seq[t], "ts": ts,
                                 "data": data[t]}


class Schedule:
    """Users with at least one trading subscriber; user i of N changes at i * period / N of each cycle."""

    def __init__(self):
        self.users = {}
        self.order = []
        self.cursor = 0
        self.cycle_start = 0.0
        self.running = False

    def open(self, sub):
        u = self.users.get(sub)
        if u is None:
            u = User(sub, len(self.order))
            self.users[sub] = u
            self.order.append(u)
            if ARGS.private_hz > 0 and not self.running:
                self.running = True
                self.cycle_start = time.monotonic()
                self.cursor = 1  # user 0 just got its initial state
                socketio.start_background_task(self.run)
        return u

    def close(self, u):
        last = self.order.pop()
        if last is not u:
            self.order[u.index] = last
            last.index = u.index
        self.cursor = min(self.cursor, len(self.order))
        del self.users[u.sub]

    def step(self, start, end):
        for i in range(start, min(end, len(self.order))):
            u = self.order[i]
            u.change(u.changes + 1)
            for t in TYPES:
                socketio.emit(t, u.envelopes[t], to=u.rooms[t])

    def run(self):
        period = 1.0 / ARGS.private_hz
        while self.order:
            now = time.monotonic()
            if now - self.cycle_start >= period:
                self.step(self.cursor, len(self.order))  # the rest of the previous cycle
                self.cycle_start += period
                if now - self.cycle_start >= period:
                    self.cycle_start = now  # stalled: no catch-up
                self.cursor = 0
            n = len(self.order)
            due = min(n, int((now - self.cycle_start) * n / period) + 1)
            if due > self.cursor:
                self.step(self.cursor, due)
                self.cursor = due
            n = max(len(self.order), 1)
            if self.cursor >= len(self.order):
                next_due = self.cycle_start + period
            else:
                next_due = self.cycle_start + period * self.cursor / n
            socketio.sleep(min(max(next_due - time.monotonic(), 0.001), 0.020))
        self.running = False


schedule = Schedule()
ticker_running = False


def ticker_loop():
    """One steady timer for every ticker: next deadline = previous + period; after a stall, from now."""
    period = 1.0 / ARGS.ticker_hz
    due = time.monotonic() + period
    while True:
        socketio.sleep(max(due - time.monotonic(), 0))
        # Every open ticker changes at the same instant (one emit_us per tick, CONTRACT.md --symbols).
        us = realtime_us()
        for t in list(tickers.values()):
            t.change(t.changes + 1, us)
            socketio.emit("ticker", t.envelope, to=t.room)
        now = time.monotonic()
        due += period
        if due <= now:
            due = now + period


def get_ticker(category, symbol):
    global ticker_running
    t = tickers.get((category, symbol))
    if t is None:
        t = tickers[(category, symbol)] = Ticker(category, symbol)
        if ARGS.ticker_hz > 0 and not ticker_running:
            ticker_running = True
            socketio.start_background_task(ticker_loop)
    return t


# --- Socket.IO handlers ------------------------------------------------------------------------------
sessions = {}  # sid -> {"user": sub, "trading": User or None}


@socketio.on("connect")
def on_connect(auth):
    sub = verify_jwt(auth.get("token") if isinstance(auth, dict) else None)
    if sub is None:
        return False  # -> 44 {"message": "Connection rejected by server"}
    sessions[request.sid] = {"user": sub, "trading": None}
    return True


@socketio.on("disconnect")
def on_disconnect():
    s = sessions.pop(request.sid, None)
    if s and s["trading"] is not None:
        u = s["trading"]
        u.subscribers -= 1
        if u.subscribers == 0:
            schedule.close(u)


def invalid(message):
    return {"ok": False, "error": {"code": "invalid_request", "message": message}}


@socketio.on("subscribe_ticker")
def on_subscribe_ticker(payload=None):
    p = payload if isinstance(payload, dict) else {}
    exchange = p.get("exchange", EXCHANGE)
    category = p.get("category", "linear")
    symbols = p.get("symbols")
    if (exchange != EXCHANGE or not isinstance(category, str) or not isinstance(symbols, list) or not symbols
            or len(symbols) > 50 or not all(isinstance(s, str) and s for s in symbols)):
        return invalid("bad subscribe_ticker")
    for symbol in symbols:
        t = get_ticker(category, symbol)
        join_room(t.room)
        socketio.emit("ticker", t.envelope, to=request.sid)  # the current state right away
    return {"ok": True, "symbols": symbols, "exchange": exchange, "category": category}


@socketio.on("subscribe_trading")
def on_subscribe_trading(payload=None):
    p = payload if isinstance(payload, dict) else {}
    types = p.get("types", list(TYPES))
    if (not isinstance(types, list) or not types or not all(t in TYPES for t in types)
            or p.get("account", ACCOUNT) != ACCOUNT):
        return invalid("bad subscribe_trading")
    s = sessions.get(request.sid)
    if s is None:
        return invalid("not connected")
    if s["trading"] is None:
        s["trading"] = schedule.open(s["user"])
        s["trading"].subscribers += 1
    u = s["trading"]
    for t in types:
        join_room(u.rooms[t])
        socketio.emit(t, u.envelopes[t], to=request.sid)
    return {"ok": True, "types": types, "account": ACCOUNT}


# --- Serving -----------------------------------------------------------------------------------------
def stop(*_):
    sys.stdout.flush()
    os._exit(0)


def main():
    print(f"flask peer: async_mode={ARGS.async_mode}, ticker_hz={ARGS.ticker_hz}, private_hz={ARGS.private_hz}, "
          f"symbols={ARGS.symbols}",
          file=sys.stderr, flush=True)
    if ARGS.async_mode == "eventlet":
        import eventlet.wsgi

        sock = eventlet.listen(("127.0.0.1", ARGS.port))
        port = sock.getsockname()[1]
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        print(f"PID {os.getpid()}", flush=True)
        print(f"READY {port}", flush=True)
        eventlet.wsgi.server(sock, app, log_output=False, max_size=100000)
    else:
        import gevent
        from gevent import pywsgi
        from geventwebsocket.handler import WebSocketHandler

        server = pywsgi.WSGIServer(("127.0.0.1", ARGS.port), app, handler_class=WebSocketHandler, log=None,
                                   error_log=None)
        server.start()
        port = server.server_port
        gevent.signal_handler(signal.SIGTERM, stop)
        gevent.signal_handler(signal.SIGINT, stop)
        print(f"PID {os.getpid()}", flush=True)
        print(f"READY {port}", flush=True)
        server.serve_forever()


if __name__ == "__main__":
    main()
