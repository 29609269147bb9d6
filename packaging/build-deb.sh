#!/usr/bin/env bash
# Builds the tradepushd .deb out of tree with debhelper, checks it with lintian, then installs and purges
# it on this machine and checks that files, the unit, the user and the group come and go as expected
# (operations.md §4.3). Needs Debian 12 with the build dependencies of debian/control plus debhelper,
# lintian and fakeroot; the install test needs root (CI and the dev sandbox run as root).
#
# Usage: packaging/build-deb.sh [--prebuilt BUILD_DIR] [--no-install-test] [--keep] [--out DIR]
#   --prebuilt DIR     do not compile: package the binaries of DIR, an existing non-sanitizer Release
#                      build tree (e.g. build/release), with debhelper's configure/build/clean skipped
#                      (TRADEPUSH_PREBUILT in debian/rules). Seconds instead of a full rebuild; this is
#                      what the packaging.deb_prebuilt test runs. The compiler flags are the preset's,
#                      without dpkg-buildflags' hardening, so ship packages built without it.
#   --no-install-test  stop after lintian (no dpkg -i / --purge)
#   --keep             keep the staged tree and build logs under the work directory
#   --out DIR          copy the built .deb files to DIR
#   --ctest            as a test: exit 77 (skipped) instead of failing when not root, tools are missing
#                      or the package is already installed from elsewhere
# Environment:
#   TRADEPUSH_DEB_WORKDIR  where the tree is staged and built (default ${TMPDIR:-/tmp}/tradepushd-deb;
#                          a fixed path keeps ccache hits across runs)
#   TRADEPUSH_BUILD_JOBS   parallel compile jobs (default 2)
# Exits non-zero on any failure, after purging whatever it installed.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${TRADEPUSH_DEB_WORKDIR:-${TMPDIR:-/tmp}/tradepushd-deb}"
jobs="${TRADEPUSH_BUILD_JOBS:-2}"
install_test=1
ctest_mode=0
keep=0
out=""
prebuilt=""

say() { printf 'build-deb: %s\n' "$*"; }
die() { printf 'build-deb: error: %s\n' "$*" >&2; exit 1; }

while [ $# -gt 0 ]; do
    case "$1" in
        --no-install-test) install_test=0 ;;
        --keep) keep=1 ;;
        --ctest) ctest_mode=1 ;;
        --out) [ $# -ge 2 ] || die "--out needs a directory"; out="$2"; shift ;;
        --prebuilt) [ $# -ge 2 ] || die "--prebuilt needs a build directory"; prebuilt="$2"; shift ;;
        -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument: $1" ;;
    esac
    shift
done

# --- preconditions ---------------------------------------------------------------------------------
# skip_or_die MESSAGE: under ctest a missing prerequisite is a skip (77), otherwise an error.
skip_or_die() {
    if [ "$ctest_mode" -eq 1 ]; then
        printf 'build-deb: skipped: %s\n' "$*"
        exit 77
    fi
    die "$*"
}
missing=()
for tool in dpkg-buildpackage dh lintian fakeroot dpkg-parsechangelog; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
[ "${#missing[@]}" -eq 0 ] ||
    skip_or_die "missing ${missing[*]}: apt-get install --no-install-recommends debhelper lintian fakeroot dpkg-dev"
if [ "$install_test" -eq 1 ]; then
    [ "$(id -u)" -eq 0 ] || skip_or_die "the install test needs root (or pass --no-install-test)"
    # Never purge an installation we did not make.
    status="$(dpkg-query -W -f='${db:Status-Abbrev}' tradepushd 2>/dev/null || true)"
    [ -z "$status" ] || [ "${status:0:2}" = "un" ] || [ "${status:0:2}" = "pn" ] ||
        skip_or_die "package tradepushd is already on this machine (status '$status'); not touching it"
fi

# cache_var NAME: the value of NAME in the prebuilt tree's CMakeCache.txt (empty when unset).
cache_var() { sed -n "s/^$1:[A-Z]*=//p" "$prebuilt/CMakeCache.txt" | head -n 1; }
if [ -n "$prebuilt" ]; then
    [ -d "$prebuilt" ] || die "--prebuilt $prebuilt: not a directory"
    prebuilt="$(cd "$prebuilt" && pwd)"
    [ -f "$prebuilt/CMakeCache.txt" ] || die "--prebuilt $prebuilt: no CMakeCache.txt (not a CMake build tree)"
    # A sanitizer build would install binaries that need the sanitizer runtime and run slowly; a Debug
    # one is not what we ship.
    [ -z "$(cache_var TRADEPUSH_SANITIZE)" ] ||
        skip_or_die "--prebuilt $prebuilt is a sanitizer build (TRADEPUSH_SANITIZE=$(cache_var TRADEPUSH_SANITIZE))"
    [ "$(cache_var CMAKE_BUILD_TYPE)" = Release ] ||
        die "--prebuilt $prebuilt: CMAKE_BUILD_TYPE is '$(cache_var CMAKE_BUILD_TYPE)', not Release"
    [ -x "$prebuilt/daemon/tradepushd" ] || die "--prebuilt $prebuilt: daemon/tradepushd not built (ninja -C $prebuilt tradepushd tradepushctl tradepush_bybit_plugin)"
fi

mkdir -p "$work"
exec 9>"$work/.lock"
flock -n 9 || die "another build-deb.sh is using $work"

version="$(dpkg-parsechangelog -l "$repo_root/debian/changelog" -S Version)"
upstream="${version%-*}"
src="$work/tradepushd-$upstream"
logs="$work/logs"
rm -rf "$src" "$logs" "$work"/tradepushd*_*.deb "$work"/tradepushd*_*.ddeb "$work"/tradepushd_*.changes \
    "$work"/tradepushd_*.buildinfo
mkdir -p "$src" "$logs"

# --- stage the tree --------------------------------------------------------------------------------
# Only sources: developer build trees (build*/), VCS data and node_modules stay behind, so the package
# is built from what a fresh clone has.
say "staging $repo_root -> $src"
tar -C "$repo_root" -cf - \
    --exclude='./build' --exclude='./build-*' --exclude='./.git' --exclude='node_modules' \
    --exclude='./obj-*' --exclude='./debian/build' --exclude='./debian/tradepushd' \
    --exclude='./debian/.debhelper' --exclude='./debian/tmp' . | tar -C "$src" -xf -

# --- build -----------------------------------------------------------------------------------------
# debhelper (compat 13) points HOME at a scratch directory while compiling, which would hide the user's
# ccache; name the cache explicitly so rebuilds are mostly cache hits.
if command -v ccache >/dev/null 2>&1; then
    CCACHE_DIR="${CCACHE_DIR:-$(ccache --get-config cache_dir)}"
    export CCACHE_DIR
fi
export DEB_BUILD_OPTIONS="nocheck parallel=$jobs"
if [ -n "$prebuilt" ]; then
    export TRADEPUSH_PREBUILT="$prebuilt"
    say "dpkg-buildpackage -b -us -uc ($version, prebuilt binaries of $prebuilt; log: $logs/build.log)"
else
    unset TRADEPUSH_PREBUILT
    say "dpkg-buildpackage -b -us -uc ($version, -j$jobs; log: $logs/build.log)"
fi
start=$SECONDS
if ! (cd "$src" && dpkg-buildpackage -b -us -uc) >"$logs/build.log" 2>&1; then
    tail -n 60 "$logs/build.log" >&2
    die "dpkg-buildpackage failed (full log: $logs/build.log)"
fi
build_seconds=$((SECONDS - start))
deb="$(ls "$work"/tradepushd_"$version"_*.deb)"
say "built $(basename "$deb") in ${build_seconds}s"
grep '^debian/rules: target' "$logs/build.log" | sed 's/^/build-deb: note: /' || true
dpkg-deb -c "$deb" | awk '{ print "  " $1 " " $2 " " $6 }' | grep -v '/$' || true

# --- lintian ---------------------------------------------------------------------------------------
say "lintian --fail-on error"
if ! lintian --fail-on error --tag-display-limit 0 "$deb" >"$logs/lintian.log" 2>&1; then
    cat "$logs/lintian.log" >&2
    die "lintian reported errors"
fi
sed 's/^/  /' "$logs/lintian.log"

[ -z "$out" ] || { mkdir -p "$out"; cp "$work"/tradepushd*_"$version"_*.*deb "$out"/; say "copied to $out"; }

# --- install / purge test --------------------------------------------------------------------------
if [ "$install_test" -eq 1 ]; then
    had_user=0; had_group=0; had_admin=0
    getent passwd _tradepushd >/dev/null && had_user=1
    getent group _tradepushd >/dev/null && had_group=1
    getent group tradepushd-admin >/dev/null && had_admin=1
    installed=0
    cleanup() {
        if [ "$installed" -eq 1 ]; then
            dpkg --purge tradepushd >/dev/null 2>&1 || true
        fi
        # The package keeps its system user on purge (Debian practice); a test must leave the machine
        # as it found it.
        [ "$had_user" -eq 1 ] || userdel _tradepushd >/dev/null 2>&1 || true
        [ "$had_group" -eq 1 ] || groupdel _tradepushd >/dev/null 2>&1 || true
        [ "$had_admin" -eq 1 ] || groupdel tradepushd-admin >/dev/null 2>&1 || true
        [ "$keep" -eq 1 ] || rm -rf "$src"
    }
    trap cleanup EXIT
    fail() { printf 'build-deb: install test FAILED: %s\n' "$*" >&2; exit 1; }

    say "dpkg -i $(basename "$deb")"
    installed=1
    dpkg -i --force-confdef --force-confold "$deb" >"$logs/install.log" 2>&1 ||
        { cat "$logs/install.log" >&2; fail "dpkg -i"; }

    unit=/lib/systemd/system/tradepushd.service
    for f in /usr/sbin/tradepushd "$unit" /usr/lib/sysusers.d/tradepushd.conf \
        /etc/tradepushd/tradepushd.toml /etc/tradepushd/credentials.example.toml \
        /usr/share/doc/tradepushd/operations.md /usr/lib/tradepushd/plugins; do
        [ -e "$f" ] || fail "$f missing after install"
    done
    getent passwd _tradepushd >/dev/null || fail "user _tradepushd not created"
    getent group tradepushd-admin >/dev/null || fail "group tradepushd-admin not created"
    # The shipped config puts the admin socket in that group (docs/admin.md).
    grep -q '^group = "tradepushd-admin"' /etc/tradepushd/tradepushd.toml ||
        fail "/etc/tradepushd/tradepushd.toml does not set [admin] group = \"tradepushd-admin\""
    grep -q '^admin_group = "tradepushd-admin"' /etc/tradepushd/tradepushd.toml ||
        fail "/etc/tradepushd/tradepushd.toml does not set [admin] admin_group = \"tradepushd-admin\""
    # Only the shipped plugins: a build tree also holds test and example plugins.
    extra="$(find /usr/lib/tradepushd/plugins -type f ! -name libtradepush-bybit.so)"
    [ -z "$extra" ] || fail "unexpected files in /usr/lib/tradepushd/plugins: $extra"
    [ "$(getent passwd _tradepushd | cut -d: -f7)" = /usr/sbin/nologin ] || fail "_tradepushd has a login shell"
    # dh_installsystemd enables the unit even without a running systemd (it only skips the start).
    [ -L /etc/systemd/system/multi-user.target.wants/tradepushd.service ] || fail "unit not enabled"
    dpkg-query -W -f='${Conffiles}\n' tradepushd | grep -q ' /etc/tradepushd/tradepushd.toml ' ||
        fail "/etc/tradepushd/tradepushd.toml is not a conffile"
    # The installed unit against the real binaries: any output is a failure, as in check-unit.sh.
    v="$(systemd-analyze verify --man=no "$unit" 2>&1)" || fail "systemd-analyze verify: $v"
    [ -z "$v" ] || fail "systemd-analyze verify warnings: $v"
    /usr/sbin/tradepushd --version >/dev/null || fail "tradepushd --version"
    # The shipped config must pass the unit's ExecStartPre, as the daemon's user.
    runuser -u _tradepushd -- /usr/sbin/tradepushd --config /etc/tradepushd/tradepushd.toml --check-config \
        >"$logs/check-config.log" 2>&1 || { cat "$logs/check-config.log" >&2; fail "--check-config as _tradepushd"; }
    [ ! -e /usr/bin/tradepushctl ] || /usr/bin/tradepushctl --help >/dev/null 2>&1 ||
        say "note: tradepushctl --help exited non-zero"
    say "install ok: files, conffiles, enabled unit, _tradepushd, tradepushd-admin, --check-config"

    say "dpkg --purge tradepushd"
    dpkg --purge tradepushd >"$logs/purge.log" 2>&1 || { cat "$logs/purge.log" >&2; fail "dpkg --purge"; }
    installed=0
    for f in /usr/sbin/tradepushd /usr/bin/tradepushctl "$unit" /usr/lib/sysusers.d/tradepushd.conf \
        /etc/tradepushd /usr/lib/tradepushd /etc/systemd/system/multi-user.target.wants/tradepushd.service; do
        [ ! -e "$f" ] && [ ! -L "$f" ] || fail "$f still there after purge"
    done
    # Debian never deletes a system user on purge (files it owned may remain); cleanup() removes the
    # ones this test created.
    getent passwd _tradepushd >/dev/null || fail "user _tradepushd removed by purge (should stay)"
    say "purge ok: files, /etc/tradepushd and the enable link gone; user kept (removed by this test)"
else
    [ "$keep" -eq 1 ] || rm -rf "$src"
fi

say "ok: $(basename "$deb"), build ${build_seconds}s, total ${SECONDS}s"
