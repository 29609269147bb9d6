#!/usr/bin/env bash
# The main job in one command: installs what is missing, builds the release preset, then starts
#   - the Bybit simulator (tools/bybit-sim, demo market and user, prices moving every tick),
#   - tradepushd with the Bybit plugin pointed at it and a credentials store for the demo user,
#   - a trader that places and cancels small orders on the simulator now and then (fills move
#     orders, positions, balance and pnl),
#   - a live client view (tools/live-view.py, a stock python3-socketio client) printing every push.
# Ctrl-C stops everything.
#
# Usage: scripts/demo.sh [--port N] [--seconds S] [--scripted]
#   --port N      port for the daemon (default 8080)
#   --seconds S   stop after S seconds (default: run until Ctrl-C)
#   --scripted    no simulator or plugin: the daemon's built-in scripted feed only
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

port=8080
seconds=0
scripted=0
while [ $# -gt 0 ]; do
    case "$1" in
        --port) port="$2"; shift ;;
        --seconds) seconds="$2"; shift ;;
        --scripted) scripted=1 ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) printf 'demo: unknown argument: %s\n' "$1" >&2; exit 2 ;;
    esac
    shift
done

say() { printf 'demo: %s\n' "$*"; }

bash scripts/install-deps.sh
say "building (release preset)..."
cmake --preset release >/dev/null
cmake --build --preset release --target tradepushd tradepush-bybit-sim tradepush_bybit_plugin \
    -j "${TRADEPUSH_BUILD_JOBS:-2}" >/dev/null

work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Waits up to 10 s for a line matching $2 in file $1 while process $3 lives; prints the match.
wait_line() {
    local file="$1" pattern="$2" pid="$3"
    for _ in $(seq 1 100); do
        if grep -m1 -E "$pattern" "$file" 2>/dev/null; then
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            cat "$file" >&2
            return 1
        fi
        sleep 0.1
    done
    cat "$file" >&2
    return 1
}

# The shipped development config, on the chosen port.
sed "s/^listen = .*/listen = [\"127.0.0.1:${port}\"]/" etc/tradepushd.toml >"$work/tradepushd.toml"
user=4
if [ "$scripted" -eq 0 ]; then
    build/release/tools/bybit-sim/tradepush-bybit-sim --listen 127.0.0.1:0 --tick-ms 1000 \
        >"$work/sim.out" 2>"$work/sim.log" &
    pids+=($!)
    sim_port="$(wait_line "$work/sim.out" '^bybit-sim listening on ' "${pids[-1]}" | sed 's/.*://')"
    sim="http://127.0.0.1:${sim_port}"
    say "Bybit simulator on ${sim} (demo user: read-only key demo-readonly-key)"

    # The demo user logs in with the JWT subject "demo" and reads its account with the read-only key.
    user=demo
    umask 077
    cat >"$work/credentials.toml" <<EOF
[[users.demo]]
label = "main"
exchange = "bybit"
network = "testnet"
api_key = "demo-readonly-key"
api_secret = "demo-readonly-secret"
EOF
    umask 022
    plugin_config="{\"rest_url\":\"${sim}\",\"ws_public_linear_url\":\"ws://127.0.0.1:${sim_port}/v5/public/linear\",\"ws_public_spot_url\":\"ws://127.0.0.1:${sim_port}/v5/public/spot\",\"ws_private_url\":\"ws://127.0.0.1:${sim_port}/v5/private\",\"allow_insecure_loopback\":true}"
    cat >>"$work/tradepushd.toml" <<EOF

[plugins]
dir = "$repo_root/build/release/plugins/bybit"
run_dir = "$work/plugins-run"
[[plugins.load]]
file = "libtradepush-bybit.so"
config = '$plugin_config'

[credentials]
file = "$work/credentials.toml"
EOF
fi

build/release/daemon/tradepushd --config "$work/tradepushd.toml" >"$work/daemon.log" 2>&1 &
pids+=($!)
daemon_pid="${pids[-1]}"
for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:${port}/healthz" >/dev/null 2>&1 && break
    if ! kill -0 "$daemon_pid" 2>/dev/null; then
        cat "$work/daemon.log" >&2
        exit 1
    fi
    sleep 0.1
done
say "tradepushd is up on 127.0.0.1:${port} (log: $work/daemon.log); live view of user ${user} follows"

if [ "$scripted" -eq 0 ]; then
    # A small trader: every few seconds a market order alternately buys and sells 0.001 BTC for the
    # demo user (fills move orders, positions, balance and pnl), and a resting bid comes and goes.
    (
        side=Buy
        while sleep 4; do
            curl -fs -X POST "$sim/sim/orders" -H 'content-type: application/json' \
                -d "{\"user\":\"demo\",\"category\":\"linear\",\"symbol\":\"BTCUSDT\",\"side\":\"$side\",\"orderType\":\"Market\",\"qty\":\"0.001\"}" \
                >/dev/null 2>&1 || true
            if [ "$side" = Buy ]; then side=Sell; else side=Buy; fi
        done
    ) &
    pids+=($!)
fi

/usr/bin/python3 tools/live-view.py --url "http://127.0.0.1:${port}" --user "$user" --seconds "$seconds"
