#!/usr/bin/env bash
# Installs what building, testing and benchmarking tradepush needs on Debian 12 (bookworm), then the
# Node packages of the test clients and of the benchmark's socket.io peer. Idempotent and quiet: when
# everything is present it only checks and exits, so run-tests.sh calls it every time.
#
# Usage: scripts/install-deps.sh
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

say() { printf 'install-deps: %s\n' "$*"; }
die() { printf 'install-deps: error: %s\n' "$*" >&2; exit 1; }

# Runs a command as root: directly when we are root, through sudo when it exists.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root to run '$*' (not root and no sudo)"
    fi
}

# Runs a command with its output kept in a log that is shown only when it fails.
quietly() {
    local log
    log="$(mktemp)"
    if ! "$@" >"$log" 2>&1; then
        printf 'install-deps: error: command failed: %s\n' "$*" >&2
        tail -n 40 "$log" >&2
        rm -f "$log"
        return 1
    fi
    rm -f "$log"
}

command -v dpkg-query >/dev/null 2>&1 || die "dpkg-query not found: this script supports Debian 12 only"

# Toolchain and libraries, with the exact Boost that CMakeLists.txt asks for (1.81).
packages=(
    build-essential cmake ninja-build ccache pkg-config git
    libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-filesystem1.81-dev
    libssl-dev libspdlog-dev libtomlplusplus-dev catch2
    python3 python3-socketio python3-websocket python3-requests
    procps curl
    # tests/e2e/proxy.test.mjs: a real HAProxy in front of the daemon (PROXY protocol v2)
    haproxy
    # fuzz/: libFuzzer targets build with clang (-fsanitize=fuzzer,address,undefined)
    clang libfuzzer-14-dev
    # packaging/ and its tests: the .deb build, lintian, systemd-analyze and sysusers
    debhelper lintian fakeroot dpkg-dev systemd
    # bench/: the Flask-SocketIO peer (gevent is the async mode it uses, eventlet the alternative) and charts
    python3-flask-socketio python3-gevent python3-gevent-websocket python3-eventlet gnuplot-nox
)
# Node may come from another origin (e.g. NodeSource's nodejs bundles npm, and Debian's npm package
# would conflict with it): ask for the Debian packages only when the commands are missing.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
    # db:Status-Abbrev is "ii " for an installed package; anything else (rc, un, absent) is missing.
    status="$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)"
    [ "${status:0:2}" = "ii" ] || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
    say "installing ${missing[*]}"
    quietly as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    quietly as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "${missing[@]}"
    say "installed ${#missing[@]} package(s)"
else
    say "all ${#packages[@]} Debian packages present"
fi

# Node packages of one directory: reinstall only when the lock file changed since the last install. npm
# writes node_modules/.package-lock.json on every install, so it is the stamp.
npm_install_dir() {
    local dir="$1" rel="${1#"$repo_root"/}"
    [ -f "$dir/package.json" ] || return 0
    local stamp="$dir/node_modules/.package-lock.json"
    if [ -f "$dir/package-lock.json" ]; then
        if [ ! -f "$stamp" ] || [ "$dir/package-lock.json" -nt "$stamp" ]; then
            say "npm ci in $rel"
            (cd "$dir" && quietly npm ci --no-audit --no-fund --loglevel=error)
        else
            say "$rel/node_modules up to date"
        fi
    else
        # Without a lock file npm ci refuses to run; install so tests can still proceed, and say so.
        say "warning: $rel has no package-lock.json; running npm install (commit the lock file)"
        if [ ! -d "$dir/node_modules" ] || [ "$dir/package.json" -nt "$stamp" ]; then
            (cd "$dir" && quietly npm install --no-audit --no-fund --loglevel=error)
        fi
    fi
}

# Node test clients (socket.io-client) and the benchmark's Node socket.io peer.
npm_install_dir "$repo_root/tests/clients"
npm_install_dir "$repo_root/bench/peers/node"
