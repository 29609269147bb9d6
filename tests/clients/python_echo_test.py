#!/usr/bin/python3
"""Debian's python3-socketio 5.7.2 client against the tradepush echo server.

Runs with the system interpreter (/usr/bin/python3; needs python3-socketio and python3-websocket).
Starts the server from $TRADEPUSH_ECHO_SERVER on a free loopback port, then for websocket and
polling transports: connect with auth, message/message-back (text, numbers, objects, bytes) and an
ack round trip. Prints one line per check; exit status 0 means every check passed.
"""

import os
import queue
import subprocess
import sys
import threading

import socketio

TIMEOUT = 5


def start_server():
    binary = os.environ.get("TRADEPUSH_ECHO_SERVER")
    if not binary:
        sys.exit("TRADEPUSH_ECHO_SERVER must point at the tradepush_echo_server binary")
    proc = subprocess.Popen([binary, "--port", "0", "--host", "127.0.0.1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = []

    def read_first_line():
        line.append(proc.stdout.readline())

    reader = threading.Thread(target=read_first_line, daemon=True)
    reader.start()
    reader.join(10)
    if not line or not line[0].startswith("listening on "):
        proc.kill()
        sys.exit("echo server did not start: %r" % (line,))
    return proc, int(line[0].split()[2])


class Checker:
    def __init__(self):
        self.failed = 0
        self.passed = 0

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print("PASS %s" % name, flush=True)
        else:
            self.failed += 1
            print("FAIL %s %s" % (name, detail), flush=True)


def run(transport, port, c):
    sio = socketio.Client(reconnection=False)
    events = queue.Queue()
    sio.on("auth", lambda data: events.put(("auth", (data,))))
    sio.on("message-back", lambda *args: events.put(("message-back", args)))

    def next_event(name):
        try:
            got, args = events.get(timeout=TIMEOUT)
        except queue.Empty:
            return None
        return args if got == name else ("unexpected", got, args)

    auth = {"token": "py-%s" % transport, "n": 1}
    try:
        sio.connect("http://127.0.0.1:%d" % port, auth=auth, transports=[transport], wait_timeout=TIMEOUT)
    except Exception as e:  # any failure is a failed check, not a crash
        c.check("[%s] connect" % transport, False, repr(e))
        return
    sid = sio.get_sid("/")
    c.check("[%s] connect: fresh 20-char socket id, not the Engine.IO sid" % transport,
            sio.connected and len(sid or "") == 20 and sid != sio.eio.sid, "sid=%r eio=%r" % (sid, sio.eio.sid))
    got = next_event("auth")
    c.check("[%s] auth event equals the CONNECT payload" % transport, got == (auth,), repr(got))

    cases = [
        ("hello",),
        (1, 2.5, -3, "two"),
        ({"a": [1, True, None], "b": {"c": "d"}},),
        (b"\x00\x01\xff", "text", {"nested": b"bytes"}),
    ]
    for args in cases:
        sio.emit("message", args)
        got = next_event("message-back")
        c.check("[%s] message-back %r" % (transport, args), got == args, repr(got))

    try:
        got = sio.call("message-with-ack", ("x", 2, {"y": [3]}), timeout=TIMEOUT)
        c.check("[%s] ack round trip" % transport, got == ("x", 2, {"y": [3]}), repr(got))
        got = sio.call("message-with-ack", b"\x07\x08", timeout=TIMEOUT)
        c.check("[%s] binary ack round trip" % transport, got == b"\x07\x08", repr(got))
    except Exception as e:
        c.check("[%s] ack round trip" % transport, False, repr(e))
    sio.disconnect()


def main():
    proc, port = start_server()
    c = Checker()
    try:
        for transport in ("websocket", "polling"):
            run(transport, port, c)
    finally:
        proc.terminate()
        try:
            code = proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = None
    c.check("echo server exits cleanly on SIGTERM", code == 0, "exit code %r" % code)
    print("%d passed, %d failed" % (c.passed, c.failed), flush=True)
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
