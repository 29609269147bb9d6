"""The hostile clients of the abuse scenario: every attack of the edge-safety work, run at once
against one server on loopback, each from its own loopback source address (so that one attack's
per-address refusals never stand in for another's defence).

Run as `bench/attack --port P --secret S --seconds N --json FILE [--admin-socket PATH]`. Standard
library only (asyncio and raw sockets: the attacks need framing no client library would send).
Every attack counts what it tried and how the server answered; the JSON says, per attack, whether
the server refused or closed the attacker (`defended`), from the attacker's side of the wire.
"""

import argparse
import asyncio
import base64
import collections
import hashlib
import hmac
import json
import os
import resource
import socket
import sys
import time

TEXT, CONT, CLOSE, PING = 0x1, 0x0, 0x8, 0x9
IO_TIMEOUT_S = 5.0
ZERO_MASK = b"\0\0\0\0"  # a valid mask (RFC 6455 5.3); servers never check its randomness


class Ctx:
    def __init__(self, a):
        self.host, self.port, self.path = a.host, a.port, "/socket.io/"
        self.secret, self.leeway_s = a.secret.encode(), a.leeway_s
        self.stop_at = time.monotonic() + a.seconds
        self.results = {}

    def left(self):
        return self.stop_at - time.monotonic()

    def stat(self, attack):
        return self.results.setdefault(attack, collections.Counter())


# ---- wire helpers --------------------------------------------------------------------------------

def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=")


def token(ctx, sub, claims=None):
    """An HS256 JWT for `sub`, valid for an hour unless `claims` say otherwise."""
    now = int(time.time())
    body = {"sub": sub, "iat": now, "exp": now + 3600}
    body.update(claims or {})
    body = {k: v for k, v in body.items() if v is not None}
    signing = b64url(b'{"alg":"HS256","typ":"JWT"}') + b"." + b64url(json.dumps(body).encode())
    return (signing + b"." + b64url(hmac.new(ctx.secret, signing, hashlib.sha256).digest())).decode()


def frame(opcode, payload=b"", fin=True, length=None):
    """A masked client frame; `length` overrides the header's length (the overflow attack)."""
    n = len(payload) if length is None else length
    b0 = (0x80 if fin else 0) | opcode
    if n < 126:
        head = bytes([b0, 0x80 | n])
    elif n < 65536:
        head = bytes([b0, 0xFE]) + n.to_bytes(2, "big")
    else:
        head = bytes([b0, 0xFF]) + n.to_bytes(8, "big")
    return head + ZERO_MASK + payload


def text(s):
    return frame(TEXT, s.encode() if isinstance(s, str) else s)


async def read_frame(r):
    """(opcode, payload) of the server's next frame; raises on EOF."""
    h = await r.readexactly(2)
    n = h[1] & 0x7F
    if n == 126:
        n = int.from_bytes(await r.readexactly(2), "big")
    elif n == 127:
        n = int.from_bytes(await r.readexactly(8), "big")
    return h[0] & 0x0F, await r.readexactly(n)


async def tcp(ctx, src, rcvbuf=0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        if rcvbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.bind((src, 0))
        s.setblocking(False)
        await asyncio.wait_for(asyncio.get_running_loop().sock_connect(s, (ctx.host, ctx.port)), IO_TIMEOUT_S)
        return await asyncio.open_connection(sock=s, limit=1 << 20)
    except BaseException:
        s.close()
        raise


async def http_status(r):
    head = await asyncio.wait_for(r.readuntil(b"\r\n\r\n"), IO_TIMEOUT_S)
    return int(head.split(b" ", 2)[1])


async def ws_open(ctx, src, rcvbuf=0):
    """A WebSocket Engine.IO session: (status, reader, writer); reader/writer are None unless 101.
    With 101 the Engine.IO open packet has been read."""
    r, w = await tcp(ctx, src, rcvbuf)
    key = base64.b64encode(os.urandom(16)).decode()
    w.write((f"GET {ctx.path}?EIO=4&transport=websocket HTTP/1.1\r\nHost: {ctx.host}:{ctx.port}\r\n"
             f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
             "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    try:
        status = await http_status(r)
        if status == 101:
            op, data = await asyncio.wait_for(read_frame(r), IO_TIMEOUT_S)
            if op == TEXT and data[:1] == b"0":
                return status, r, w
            status = -1
    except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError, IndexError):
        status = 0  # closed before answering
    w.close()
    return status, None, None


async def sio_connect(ctx, r, w, tok):
    """Sends a Socket.IO CONNECT; returns the server's answer packet (b'40{...}' or b'44{...}')."""
    w.write(text("40" + json.dumps({"token": tok})))
    while True:
        op, data = await asyncio.wait_for(read_frame(r), IO_TIMEOUT_S)
        if op == TEXT and data[:2] in (b"40", b"44"):
            return data


async def until_closed(r, w, limit_s):
    """Reads (answering Engine.IO pings) until the server closes; returns the close code (0 for a
    bare EOF), or None when it is still open after limit_s."""
    end = time.monotonic() + limit_s
    try:
        while True:
            op, data = await asyncio.wait_for(read_frame(r), max(0.01, end - time.monotonic()))
            if op == CLOSE:
                return int.from_bytes(data[:2], "big") if len(data) >= 2 else 0
            if op == TEXT and data == b"2":
                w.write(text("3"))
    except asyncio.TimeoutError:
        return None
    except (OSError, asyncio.IncompleteReadError):
        return 0


def close_quietly(w):
    if w is not None:
        w.close()


async def loop_until_stop(ctx, body, pause_s):
    """Runs `body()` again and again until the stop time, `pause_s` apart; an attempt that fails on
    the network counts as an error of its own, never stops the attack."""
    while ctx.left() > 0:
        await body()
        await asyncio.sleep(pause_s)


async def on_fresh_sessions(ctx, st, src, body, pause_s, rcvbuf=0):
    """Until the stop time, `pause_s` apart: opens a WebSocket session from `src` and runs
    `body(r, w)` on it (counting attempts and HTTP refusals), then closes it."""
    async def once():
        st["attempts"] += 1
        status, r, w = await ws_open(ctx, src, rcvbuf)
        if r is None:
            st[f"refused_http_{status}"] += 1
            return
        try:
            await body(r, w)
        finally:
            close_quietly(w)
    await loop_until_stop(ctx, lambda: guarded(st, once), pause_s)


# ---- the attacks ----------------------------------------------------------------------------------
# Each takes its own source address; each counts `attempts` and what the server answered.

async def ws_overflow(ctx, src):
    """A 1-byte first fragment, then a continuation whose 64-bit length wraps the size check
    (2^64-1, top bit set: must be 1002) or would (2^63-1: must be 1009), then junk."""
    st = ctx.stat("ws_overflow")
    lengths = [(1 << 64) - 1, (1 << 63) - 1]

    async def body(r, w):
        w.write(frame(TEXT, b"4", fin=False) + frame(CONT, b"", length=lengths[st["attempts"] % 2]))
        w.write(b"\x00" * 65536)
        code = await until_closed(r, w, IO_TIMEOUT_S)
        st["open_after_5s" if code is None else f"closed_{code}"] += 1
    await on_fresh_sessions(ctx, st, src, body, 0.1)


async def ping_flood(ctx, src):
    """Pings as fast as the socket takes them and never reads the pongs (receive buffer 4 KiB)."""
    st = ctx.stat("ping_flood")
    batch = frame(PING, b"x") * 512

    async def body(_r, w):
        t0 = time.monotonic()
        try:
            while ctx.left() > 0:
                w.write(batch)
                st["pings_sent"] += 512
                await asyncio.wait_for(w.drain(), max(0.01, ctx.left()))
                if w.transport.is_closing():
                    break
            else:
                st["still_open_at_end"] += 1
                return
            st["closed"] += 1
        except (OSError, asyncio.TimeoutError):
            if ctx.left() <= 0:
                st["still_open_at_end"] += 1
                return
            st["closed"] += 1
            st["ms_to_close_max"] = max(st["ms_to_close_max"], int((time.monotonic() - t0) * 1000))
    await on_fresh_sessions(ctx, st, src, body, 0.05, rcvbuf=4096)


async def socket_flood(ctx, src, target):
    """Holds up to `target` idle TCP connections from one address, reopening what the server closes."""
    st = ctx.stat("socket_flood")
    held = [0]

    async def one():
        while ctx.left() > 0:
            st["attempts"] += 1
            try:
                r, w = await tcp(ctx, src)
            except (OSError, asyncio.TimeoutError):
                st["connect_failed"] += 1
                await asyncio.sleep(0.2)
                continue
            t0 = time.monotonic()
            held[0] += 1
            st["max_held"] = max(st["max_held"], held[0])
            try:
                await asyncio.wait_for(r.read(1), max(0.01, ctx.left()))
                # The server closed an idle connection: at once (refused) or at the header deadline.
                st["refused_at_accept" if time.monotonic() - t0 < 1.0 else "closed_idle"] += 1
            except asyncio.TimeoutError:
                st["still_open_at_end"] += 1
            except OSError:
                st["refused_at_accept"] += 1
            finally:
                held[0] -= 1
                close_quietly(w)
            await asyncio.sleep(0.5)
    await asyncio.gather(*(one() for _ in range(target)))


async def handshake_flood(ctx, src, per_s):
    """Long-polling handshakes at `per_s`, each on a new connection, never followed up."""
    st = ctx.stat("handshake_flood")

    async def once():
        st["attempts"] += 1
        r, w = await tcp(ctx, src)
        try:
            w.write((f"GET {ctx.path}?EIO=4&transport=polling HTTP/1.1\r\nHost: {ctx.host}\r\n"
                     "Connection: close\r\n\r\n").encode())
            st[f"http_{await http_status(r)}"] += 1
        finally:
            close_quietly(w)
    await asyncio.gather(*(loop_until_stop(ctx, lambda: guarded(st, once), 8.0 / per_s) for _ in range(8)))


async def hold_until_closed(ctx, st, r, w):
    """Holds a session (answering pings) until the server closes it or the stop time."""
    t0 = time.monotonic()
    code = await until_closed(r, w, max(0.01, ctx.left()))
    if code is None:
        st["still_open_at_end"] += 1
    else:
        st[f"closed_{code}"] += 1
        st["s_to_close_max"] = max(st["s_to_close_max"], round(time.monotonic() - t0))


async def unauth_sessions(ctx, srcs, per_src):
    """Engine.IO sessions that never send CONNECT, `per_src` from each address, reopened when closed."""
    st = ctx.stat("unauth_sessions")

    async def body(r, w):
        await hold_until_closed(ctx, st, r, w)
    await asyncio.gather(*(on_fresh_sessions(ctx, st, s, body, 0.5) for s in srcs for _ in range(per_src)))


async def zombies(ctx, src, n):
    """Connects with a valid token, leaves the namespace (41) and holds the Engine.IO session."""
    st = ctx.stat("zombie_sessions")

    def body_for(i):
        async def body(r, w):
            await sio_connect(ctx, r, w, token(ctx, f"zombie{i}"))
            w.write(text("41"))
            await hold_until_closed(ctx, st, r, w)
        return body
    await asyncio.gather(*(on_fresh_sessions(ctx, st, src, body_for(i), 0.5) for i in range(n)))


async def bad_logins(ctx, src):
    """A thousand CONNECTs with a bad token on one connection, as fast as they go."""
    st = ctx.stat("bad_logins")

    async def body(r, w):
        w.write(text('40{"token":"not.a.token"}') * 1000)
        answers = 0
        try:
            while True:
                op, data = await asyncio.wait_for(read_frame(r), IO_TIMEOUT_S)
                if op == CLOSE:
                    st["closed"] += 1
                    break
                if op == TEXT and data[:2] == b"44":
                    answers += 1
                    st[f"code_{json.loads(data[2:]).get('data', {}).get('code', '?')}"] += 1
        except asyncio.IncompleteReadError:
            st["closed"] += 1
        st["answers_per_connection_max"] = max(st["answers_per_connection_max"], answers)
    await on_fresh_sessions(ctx, st, src, body, 0.2)


async def token_policy(ctx, src):
    """Tokens the policy refuses: no exp, a 48 h lifetime, an iat an hour ahead."""
    st = ctx.stat("token_policy")
    now = int(time.time())
    bad = [{"exp": None}, {"iat": now, "exp": now + 48 * 3600}, {"iat": now + 3600, "exp": now + 7200}]

    async def body(r, w):
        answer = await sio_connect(ctx, r, w, token(ctx, "policy", bad[st["attempts"] % 3]))
        if answer[:2] == b"40":
            st["accepted"] += 1
        else:
            st[f"code_{json.loads(answer[2:]).get('data', {}).get('code', '?')}"] += 1
    await on_fresh_sessions(ctx, st, src, body, 0.3)


async def expiring_tokens(ctx, src):
    """Subscribes with a token that expires (leeway included) 3 s after the connect, and keeps reading."""
    st = ctx.stat("expiring_tokens")

    async def body(r, w):
        answer = await sio_connect(ctx, r, w, token(ctx, "expiring", {"exp": int(time.time()) + 3 - ctx.leeway_s}))
        if answer[:2] != b"40":
            st["refused_connect"] += 1
            return
        w.write(text('421["subscribe_ticker",{"symbols":["BTCUSDT"],"exchange":"bench","category":"linear"}]'))
        t0 = time.monotonic()
        try:
            while time.monotonic() < t0 + 15:
                op, data = await asyncio.wait_for(read_frame(r), IO_TIMEOUT_S)
                if op == CLOSE:
                    break
                if op == TEXT and data == b"2":
                    w.write(text("3"))
                elif op == TEXT and b'"token_expired"' in data:
                    st["told_token_expired"] += 1
            else:
                st["open_after_15s"] += 1
                return
        except asyncio.IncompleteReadError:
            pass
        st["closed"] += 1
        st["s_to_close_max"] = max(st["s_to_close_max"], round(time.monotonic() - t0))
    await on_fresh_sessions(ctx, st, src, body, 0.5)


async def bad_utf8(ctx, src):
    """A text frame that is not UTF-8 (must be closed with 1007)."""
    st = ctx.stat("bad_utf8")

    async def body(r, w):
        w.write(text(b'42["\xff\xfe"]'))
        code = await until_closed(r, w, IO_TIMEOUT_S)
        st["open_after_5s" if code is None else f"closed_{code}"] += 1
    await on_fresh_sessions(ctx, st, src, body, 0.2)


async def fast_sender(ctx, src):
    """An authenticated client that sends acked requests as fast as its socket takes them (and reads
    the answers): served, but it must not starve the other clients of its worker."""
    st = ctx.stat("fast_sender")
    st["attempts"] += 1
    status, r, w = await ws_open(ctx, src)
    if r is None:
        st[f"refused_http_{status}"] += 1
        return
    try:
        await sio_connect(ctx, r, w, token(ctx, "fast"))
        pad = "x" * 2000
        batch = b"".join(text(f'42{i}["no_such_event",{{"pad":"{pad}"}}]') for i in range(64))

        async def drain_answers():
            while True:
                op, data = await read_frame(r)
                st["answers"] += 1
                if op == TEXT and data == b"2":
                    w.write(text("3"))
        reader = asyncio.ensure_future(drain_answers())
        try:
            while ctx.left() > 0 and not reader.done():
                w.write(batch)
                st["bytes_sent"] += len(batch)
                await asyncio.wait_for(w.drain(), max(0.01, ctx.left()))
        finally:
            reader.cancel()
        st["closed" if reader.done() and ctx.left() > 0 else "still_open_at_end"] += 1
    except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError):
        st["closed" if ctx.left() > 0 else "still_open_at_end"] += 1
    finally:
        close_quietly(w)


async def admin_flood(ctx, path):
    """Writes admin commands on the admin socket and never reads the replies."""
    st = ctx.stat("admin_flood")
    st["attempts"] += 1
    r, w = await asyncio.open_unix_connection(path)
    try:
        line = b'{"cmd":"status"}\n' * 256
        while ctx.left() > 0:
            w.write(line)
            await asyncio.wait_for(w.drain(), max(0.01, min(2.0, ctx.left())))
            st["bytes_sent"] += len(line)
        st["still_reading_at_end"] += 1
    except asyncio.TimeoutError:
        # The daemon stopped reading: its replies are over the per-connection bound.
        st["daemon_stopped_reading"] += 1
        code = await until_eof(r, ctx.left())
        st["closed" if code else "still_open_at_end"] += 1
    except OSError:
        st["closed"] += 1
    finally:
        close_quietly(w)


async def until_eof(r, limit_s):
    try:
        while await asyncio.wait_for(r.read(1 << 16), max(0.01, limit_s)):
            pass
        return True
    except asyncio.TimeoutError:
        return False
    except OSError:
        return True


async def guarded(st, body):
    try:
        await body()
    except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError) as e:
        st[f"error_{type(e).__name__}"] += 1


# ---- what counts as defended --------------------------------------------------------------------

def defended(name, st):
    """Whether the attacker saw the defence the attack is for (None: nothing to refuse)."""
    refused = sum(v for k, v in st.items() if k.startswith("refused_http_"))
    closed = sum(v for k, v in st.items() if k.startswith("closed"))
    if name == "fast_sender":
        return None  # it is served; what it must not do shows in the legitimate clients' figures
    if name == "socket_flood":
        return st["refused_at_accept"] > 0
    if name == "handshake_flood":
        return st["http_429"] > 0 or st["http_503"] > 0
    if name == "token_policy":
        return st["accepted"] == 0 and st["attempts"] > 0
    if name == "bad_logins":
        return st["closed"] > 0 and st["answers_per_connection_max"] <= 4
    if name == "expiring_tokens":
        return st["closed"] > 0 and st["open_after_15s"] == 0
    if name == "admin_flood":
        return st["daemon_stopped_reading"] > 0 or st["closed"] > 0
    return refused + closed > 0


async def run(a):
    ctx = Ctx(a)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    # One /24 per attack family; the legitimate clients use 127.0.0.1-127.0.0.254.
    attacks = {
        "ws_overflow": lambda: ws_overflow(ctx, "127.0.1.1"),
        "ping_flood": lambda: ping_flood(ctx, "127.0.1.2"),
        "socket_flood": lambda: socket_flood(ctx, "127.0.1.3", a.idle_sockets),
        "handshake_flood": lambda: handshake_flood(ctx, "127.0.1.4", a.handshakes_per_s),
        "unauth_sessions": lambda: unauth_sessions(
            ctx, [f"127.0.2.{i}" for i in range(1, a.unauth_addresses + 1)], a.unauth_per_address),
        "zombie_sessions": lambda: zombies(ctx, "127.0.1.6", a.zombies),
        "bad_logins": lambda: bad_logins(ctx, "127.0.1.7"),
        "token_policy": lambda: token_policy(ctx, "127.0.1.8"),
        "expiring_tokens": lambda: expiring_tokens(ctx, "127.0.1.9"),
        "bad_utf8": lambda: bad_utf8(ctx, "127.0.1.10"),
        "fast_sender": lambda: fast_sender(ctx, "127.0.1.11"),
    }
    if a.admin_socket:
        attacks["admin_flood"] = lambda: admin_flood(ctx, a.admin_socket)
    only = [x for x in a.only.split(",") if x] or list(attacks)
    unknown = [x for x in only if x not in attacks]
    if unknown:
        raise SystemExit(f"attack: unknown attack(s): {', '.join(unknown)} (known: {', '.join(attacks)})")
    jobs = [attacks[x]() for x in only]
    t0 = time.monotonic()
    # Every attack stops by itself at the stop time; the bound covers a read stuck past it.
    done = await asyncio.wait([asyncio.ensure_future(j) for j in jobs], timeout=a.seconds + 2 * IO_TIMEOUT_S)
    for t in done[1]:
        t.cancel()
    for t in done[0]:
        if t.exception() is not None:
            name = getattr(t.get_coro(), "__name__", "?")
            ctx.stat(name)[f"failed_{type(t.exception()).__name__}"] += 1
    out = {"seconds": round(time.monotonic() - t0, 2), "attacks": {}}
    for name, st in sorted(ctx.results.items()):
        out["attacks"][name] = dict(st, defended=defended(name, st))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--secret", required=True)
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--leeway-s", type=int, default=30, help="the server's [auth] leeway_s")
    ap.add_argument("--idle-sockets", type=int, default=400)
    ap.add_argument("--handshakes-per-s", type=float, default=100)
    ap.add_argument("--unauth-addresses", type=int, default=8)
    ap.add_argument("--unauth-per-address", type=int, default=160)
    ap.add_argument("--zombies", type=int, default=20)
    ap.add_argument("--admin-socket", default="")
    ap.add_argument("--only", default="", help="comma-separated attack names (default: all)")
    ap.add_argument("--json", required=True)
    a = ap.parse_args(argv)
    out = asyncio.run(run(a))
    with open(a.json, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
    bad = [n for n, s in out["attacks"].items() if s["defended"] is False]
    print(f"attack: {len(out['attacks'])} attacks for {out['seconds']} s; "
          + (f"NOT defended: {', '.join(bad)}" if bad else "every one refused or closed"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
