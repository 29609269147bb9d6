#!/usr/bin/env bash
# The main job in one command: installs what is missing, builds the release preset, starts tradepushd
# with the development config (scripted exchange feed) and a live client view that prints every push.
# Ctrl-C stops both.
#
# Usage: scripts/demo.sh [--port N] [--user U] [--seconds S]
#   --port N     port for the daemon (default 8080)
#   --user U     the user id the live view logs in as (default 4)
#   --seconds S  stop after S seconds (default: run until Ctrl-C)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

port=8080
user=4
seconds=0
while [ $# -gt 0 ]; do
    case "$1" in
        --port) port="$2"; shift ;;
        --user) user="$2"; shift ;;
        --seconds) seconds="$2"; shift ;;
        -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) printf 'demo: unknown argument: %s\n' "$1" >&2; exit 2 ;;
    esac
    shift
done

bash scripts/install-deps.sh
echo "demo: building (release preset)..."
cmake --preset release >/dev/null
cmake --build --preset release --target tradepushd -j "${TRADEPUSH_BUILD_JOBS:-2}" >/dev/null

# The shipped development config, on the chosen port.
work="$(mktemp -d)"
daemon_pid=""
cleanup() {
    [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT INT TERM
sed "s/^listen = .*/listen = [\"127.0.0.1:${port}\"]/" etc/tradepushd.toml >"$work/tradepushd.toml"

build/release/daemon/tradepushd --config "$work/tradepushd.toml" >"$work/daemon.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 1 50); do
    curl -fs "http://127.0.0.1:${port}/healthz" >/dev/null 2>&1 && break
    if ! kill -0 "$daemon_pid" 2>/dev/null; then
        cat "$work/daemon.log" >&2
        exit 1
    fi
    sleep 0.1
done
echo "demo: tradepushd is up on 127.0.0.1:${port} (log: $work/daemon.log); live view of user ${user} follows"

/usr/bin/python3 tools/live-view.py --url "http://127.0.0.1:${port}" --user "$user" --seconds "$seconds"
