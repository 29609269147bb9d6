#!/bin/sh
# Checks the systemd unit and the sysusers.d file without a running systemd (operations.md §2):
#   1. `systemd-analyze verify` on a scratch copy whose Exec* point at /bin/true (verify insists the
#      binaries exist); ANY output fails, since verify reports typos and unknown values as warnings
#      with exit code 0 ("Unknown key 'FooBar'", "Failed to parse service type ... notify-reload").
#   2. `systemd-analyze security --offline=yes` exposure at or below the threshold (default 2.0).
#   3. `systemd-sysusers --root=<scratch>` creates the user and the admin group from the sysusers file.
#
# Usage: packaging/check-unit.sh [--threshold N.N] [--self-test] [UNIT [SYSUSERS]]
#   --self-test   also prove the checks bite: a typo, Type=notify-reload and a weakened sandbox must
#                 each fail step 1 or 2.
# Exits 0 when every check passes.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
threshold=2.0
self_test=0
while [ $# -gt 0 ]; do
    case "$1" in
        --threshold) threshold="$2"; shift 2 ;;
        --self-test) self_test=1; shift ;;
        -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        --) shift; break ;;
        -*) echo "check-unit: unknown option $1" >&2; exit 2 ;;
        *) break ;;
    esac
done
unit="${1:-$here/systemd/tradepushd.service}"
sysusers="${2:-$here/sysusers.d/tradepushd.conf}"

command -v systemd-analyze >/dev/null 2>&1 || { echo "check-unit: systemd-analyze not found (package systemd)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# security --threshold takes the x10 integer scale: 2.0 -> 20.
threshold10=$(echo "$threshold" | awk '{ printf "%d", $1 * 10 + 0.5 }')

# check_unit FILE: verify + security; prints what failed, returns non-zero on failure.
check_unit() {
    file="$1"
    name=$(basename "$file")
    mkdir -p "$tmp/verify"
    # Point our own binaries at /bin/true; everything else (kill, ...) must exist as written.
    sed -E 's#(Exec[A-Za-z]*=[-@!+:]*)/usr/s?bin/tradepush[a-z]+#\1/bin/true#g' "$file" > "$tmp/verify/$name"
    out=$(systemd-analyze verify --man=no "$tmp/verify/$name" 2>&1) || { echo "verify failed:"; echo "$out"; return 1; }
    [ -z "$out" ] || { echo "verify warnings (treated as errors):"; echo "$out"; return 1; }
    # No pipe around the command itself: keep its exit code.
    rc=0
    sec=$(systemd-analyze security --offline=yes --threshold="$threshold10" "$file" 2>&1) || rc=$?
    echo "$sec" | tail -n 1
    [ "$rc" -eq 0 ] || { echo "exposure above $threshold"; return 1; }
}

echo "== $unit"
check_unit "$unit"

echo "== $sysusers"
mkdir -p "$tmp/root/etc"
out=$(systemd-sysusers --root="$tmp/root" "$sysusers" 2>&1) || { echo "$out"; exit 1; }
grep -q '^_tradepushd:' "$tmp/root/etc/passwd" || { echo "sysusers: no user _tradepushd"; exit 1; }
grep -q '^_tradepushd:' "$tmp/root/etc/group" || { echo "sysusers: no group _tradepushd"; exit 1; }
grep -q '^tradepushd-admin:' "$tmp/root/etc/group" || { echo "sysusers: no group tradepushd-admin"; exit 1; }
echo "sysusers: _tradepushd and tradepushd-admin created"

if [ "$self_test" -eq 1 ]; then
    # Each variant must be rejected; a check that passes everything proves nothing.
    mkdir -p "$tmp/bad"
    bad="$tmp/bad/tradepushd.service"
    for variant in typo notify-reload weak; do
        case "$variant" in
            typo) sed 's/^NoNewPrivileges=/NoNewPrivilege=/' "$unit" > "$bad" ;;
            notify-reload) sed 's/^Type=notify$/Type=notify-reload/' "$unit" > "$bad" ;;
            weak) grep -Ev '^(SystemCallFilter|ProtectSystem|CapabilityBoundingSet|RestrictNamespaces|PrivateDevices|ProtectKernel[A-Za-z]*)=' "$unit" > "$bad" ;;
        esac
        if (check_unit "$bad") >"$tmp/bad/out" 2>&1; then
            echo "self-test: variant '$variant' was NOT rejected:"; cat "$tmp/bad/out"; exit 1
        fi
        echo "self-test: variant '$variant' rejected"
    done
fi
echo "check-unit: ok"
