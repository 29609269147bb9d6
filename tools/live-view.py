#!/usr/bin/python3
"""Live client view: connects to tradepushd like an app would and prints every push as it arrives.

Uses Debian's python3-socketio (run with /usr/bin/python3). Mints its own HS256 token with the
given secret, so point it at a daemon whose config holds the same secret (the development config
in etc/tradepushd.toml does).
"""
import argparse
import base64
import hashlib
import hmac
import json
import sys
import threading
import time

try:
    import socketio
except ImportError:
    sys.exit("live-view: python3-socketio is missing (apt-get install python3-socketio python3-websocket; "
             "run with /usr/bin/python3)")


def mint_token(user, secret, ttl=3600):
    def b64(obj):
        raw = json.dumps(obj, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    now = int(time.time())
    signing_input = b64({"alg": "HS256", "typ": "JWT"}) + "." + b64({"sub": user, "iat": now, "exp": now + ttl})
    sig = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + base64.urlsafe_b64encode(sig).rstrip(b"=").decode()


def summary(event, payload):
    data = payload.get("data", {})
    if event == "balance":
        coins = ", ".join(f"{c.get('coin')} {c.get('available_balance')}" for c in data.get("coins", []))
        return f"equity {data.get('total_equity')}  available: {coins}"
    if event == "positions":
        return "; ".join(f"{p.get('symbol')} {p.get('side')} {p.get('size')} @ {p.get('entry_price')} "
                         f"upnl {p.get('unrealised_pnl')}" for p in data.get("positions", [])) or "no positions"
    if event == "pnl":
        return f"unrealised {data.get('unrealised_pnl')}  realised {data.get('realised_pnl')}"
    if event == "orders":
        return "; ".join(f"{o.get('symbol')} {o.get('side')} {o.get('qty')} @ {o.get('price')} {o.get('status')}"
                         for o in data.get("orders", [])) or "no open orders"
    if event == "ticker":
        return f"last {data.get('last_price')}  bid {data.get('bid')}  ask {data.get('ask')}"
    return json.dumps(data)[:120]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--url", default="http://127.0.0.1:8080")
    ap.add_argument("--user", default="demo")
    ap.add_argument("--secret", default="dev-only-change-me-0123456789abcdef")
    ap.add_argument("--types", default="balance,positions,pnl,orders")
    ap.add_argument("--symbols", default="BTCUSDT,ETHUSDT")
    ap.add_argument("--transport", choices=["websocket", "polling"], default="websocket")
    ap.add_argument("--seconds", type=float, default=0, help="exit after this long (0 = until Ctrl-C)")
    args = ap.parse_args()

    sio = socketio.Client(reconnection=True)
    started = time.time()

    # Handlers run on the client's threads: one line at a time, never two glued together.
    lock = threading.Lock()

    def out(line):
        with lock:
            print(f"{time.strftime('%H:%M:%S')} {line}", flush=True)

    @sio.event
    def connect():
        out(f"connected as user {args.user} over {sio.transport()}")
        types = [t for t in args.types.split(",") if t]
        symbols = [s for s in args.symbols.split(",") if s]
        if types:
            sio.emit("subscribe_trading", {"types": types}, callback=lambda ack: out(f"subscribe_trading -> {ack}"))
        if symbols:
            sio.emit("subscribe_ticker", {"symbols": symbols, "exchange": "bybit", "category": "linear"},
                     callback=lambda ack: out(f"subscribe_ticker -> {ack}"))

    @sio.event
    def connect_error(data):
        out(f"connect refused: {data}")

    @sio.event
    def disconnect():
        out("disconnected (the client reconnects by itself)")

    def push(event):
        def handler(payload):
            name = event + (" " + payload.get("symbol", "") if event == "ticker" else "")
            out(f"{name:<18} seq {payload.get('seq'):>4}  {summary(event, payload)}")
        return handler

    for event in ("balance", "positions", "pnl", "orders", "ticker"):
        sio.on(event, push(event))
    sio.on("stream_status", lambda s: out(f"stream_status {s}"))

    transports = ["websocket"] if args.transport == "websocket" else ["polling"]
    sio.connect(args.url, auth={"token": mint_token(args.user, args.secret)}, transports=transports)
    try:
        while args.seconds <= 0 or time.time() - started < args.seconds:
            sio.sleep(0.2)
    except KeyboardInterrupt:
        pass
    sio.disconnect()


if __name__ == "__main__":
    main()
