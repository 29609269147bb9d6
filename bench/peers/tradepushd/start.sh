#!/usr/bin/env bash
# Runs tradepushd with the `bench` plugin as a benchmark server (bench/CONTRACT.md).
#
# Usage: start.sh --build-dir DIR --port P [--secret S] [--ticker-hz H] [--private-hz H] [--workers N]
#                 [--plugin FILE] [--symbols N] [--flush-window-us N] [--edge-limits default]
#                 [--admin-socket PATH]
#
# --symbols N goes into the plugin's config ("symbols"); --flush-window-us N writes flush_window_us = N
# into [server] (write coalescing; only written when given, so daemons without the key still start).
# --edge-limits default keeps the shipped per-address, pre-auth and connect-deadline limits (the abuse
# scenario; its clients connect from several loopback addresses); without it they are off, since every
# benchmark client comes from 127.0.0.1. --admin-socket PATH enables the admin socket there.
#
# Writes a config into a temporary directory, starts DIR/daemon/tradepushd in the background, prints
#   PID <daemon pid>      (the process whose CPU and RSS are measured)
#   READY <port>          (once GET /healthz answers)
# then waits for the daemon and forwards SIGTERM/SIGINT to it, exiting with its status. The
# temporary directory is removed on exit.
set -euo pipefail

build_dir=""
port=""
secret="bench-secret-0123456789abcdef0123456789"
ticker_hz=10
private_hz=1
workers=1
plugin=""
symbols=""
flush_window_us=""
edge_limits="off"
admin_socket=""

die() { printf 'start.sh: %s\n' "$*" >&2; exit 2; }

while [ $# -gt 0 ]; do
    case "$1" in
        --build-dir) build_dir="${2:?}"; shift 2 ;;
        --port) port="${2:?}"; shift 2 ;;
        --secret) secret="${2:?}"; shift 2 ;;
        --ticker-hz) ticker_hz="${2:?}"; shift 2 ;;
        --private-hz) private_hz="${2:?}"; shift 2 ;;
        --workers) workers="${2:?}"; shift 2 ;;
        --plugin) plugin="${2:?}"; shift 2 ;;
        --symbols) symbols="${2:?}"; shift 2 ;;
        --flush-window-us) flush_window_us="${2:?}"; shift 2 ;;
        --edge-limits) edge_limits="${2:?}"; shift 2 ;;
        --admin-socket) admin_socket="${2:?}"; shift 2 ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) die "unknown argument: $1" ;;
    esac
done

[ -n "$build_dir" ] || die "--build-dir is required"
[ -n "$port" ] || die "--port is required"
for n in "$port" "$ticker_hz" "$private_hz" "$workers" ${symbols:+"$symbols"} ${flush_window_us:+"$flush_window_us"}; do
    [[ "$n" =~ ^[0-9]+$ ]] || die "not a non-negative integer: $n"
done
case "$edge_limits" in off|default) ;; *) die "--edge-limits must be off or default" ;; esac
case "$admin_socket" in *'"'*|*'\'*) die "--admin-socket must not contain quotes or backslashes" ;; esac
[ "${#secret}" -ge 32 ] || die "--secret must be at least 32 bytes (HS256 keys, RFC 7518)"
case "$secret" in *'"'*|*'\'*) die "--secret must not contain quotes or backslashes" ;; esac
build_dir="$(cd "$build_dir" && pwd)"
daemon="$build_dir/daemon/tradepushd"
[ -x "$daemon" ] || die "no daemon at $daemon (build target tradepushd)"
if [ -z "$plugin" ]; then
    plugin="$build_dir/bench/plugin/libtradepush-bench.so"
fi
[ -f "$plugin" ] || die "no plugin at $plugin (build target tradepush_bench_plugin)"

# 20 000 connections need as many descriptors.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

plugin_config="{\"ticker_hz\":$ticker_hz,\"private_hz\":$private_hz${symbols:+,\"symbols\":$symbols}}"
server_extra=""
if [ -n "$flush_window_us" ]; then
    server_extra="flush_window_us = $flush_window_us"
fi
# Every benchmark client comes from 127.0.0.1 unless told otherwise: the per-address limits would
# refuse all but the first few hundred, and the 10 s connect deadline would fail a slow connect phase.
connect_timeout_ms=45000
limits_extra="max_sockets_per_address = 0
handshakes_per_second_per_address = 0
max_unauthenticated_connections = 0"
if [ "$edge_limits" = "default" ]; then
    connect_timeout_ms=10000
    limits_extra="# the shipped per-address and pre-auth limits (etc/tradepushd.toml)"
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/tradepushd-bench.XXXXXX")"
child=""
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT

# The keys of etc/tradepushd.toml; limits raised for 20 000 connections of 20 000 users.
cat >"$tmp/tradepushd.toml" <<CONF
[server]
listen = ["127.0.0.1:$port"]
workers = $workers
path = "/socket.io/"
ping_interval_ms = 25000
ping_timeout_ms = 20000
connect_timeout_ms = $connect_timeout_ms
drain_spread_ms = 0
close_timeout_ms = 1000
drain_timeout_ms = 5000
transports = ["polling", "websocket"]
$server_extra

[limits]
max_pending_bytes = 4194304
slow_consumer_timeout_ms = 10000
max_symbols_per_request = 50
max_tickers_per_connection = 200
max_connections_per_user = 100000
$limits_extra

[auth]
leeway_s = 30

[[auth.keys]]
alg = "HS256"
secret = "$secret"

[feed]
kind = "scripted"
tick_interval_ms = 0
snapshot_delay_ms = 0
exchanges = ["bench"]

[plugins]
dir = "$(dirname "$plugin")"
run_dir = "$tmp/run"

[[plugins.load]]
file = "$(basename "$plugin")"
config = '$plugin_config'

[admin]
socket = "$admin_socket"

[log]
level = "warn"
CONF
mkdir -p "$tmp/run"

"$daemon" --config "$tmp/tradepushd.toml" --check-config >&2 || die "config rejected"

forward() {
    [ -n "$child" ] && kill -TERM "$child" 2>/dev/null || true
}
trap forward TERM INT

"$daemon" --config "$tmp/tradepushd.toml" </dev/null &
child=$!
echo "PID $child"

ready=0
for _ in $(seq 1 200); do           # at most ~20 s
    if ! kill -0 "$child" 2>/dev/null; then
        wait "$child" || true
        die "tradepushd exited before it was ready"
    fi
    if curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$port/healthz" 2>/dev/null; then
        ready=1
        break
    fi
    sleep 0.1
done
if [ "$ready" -ne 1 ]; then
    kill -TERM "$child" 2>/dev/null || true
    wait "$child" || true
    die "tradepushd did not answer /healthz within 20 s"
fi
echo "READY $port"

# `wait` returns early (status > 128) when a trapped signal arrives; keep waiting until the daemon is gone,
# then collect its own exit status.
while kill -0 "$child" 2>/dev/null; do
    wait "$child" || true
done
status=0
wait "$child" || status=$?
exit "$status"
