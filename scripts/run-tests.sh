#!/usr/bin/env bash
# The one test command (CI runs it through .ci/run): installs dependencies, then configures, builds
# and tests the `release` preset, then `fuzz` (every parser's libFuzzer target, clang + ASan + UBSan,
# each run for a bounded time), then the `asan` preset (ASan + UBSan + LSan), then `tsan`
# (ThreadSanitizer: the daemon runs worker shards and a control thread, and every e2e test exercises
# where they meet).
#
# Usage: scripts/run-tests.sh [--quick] [--preset NAME]...
#   --quick          release preset only (for developers)
#   --preset NAME    run only the named preset(s) from CMakePresets.json, in the order given
# Environment:
#   TRADEPUSH_BUILD_JOBS  parallel compile jobs (default 2: the machines have 2 cores)
#   TRADEPUSH_TEST_JOBS   parallel ctest jobs (default 1: integration tests share loopback and CPU)
#   TRADEPUSH_SKIP_DEPS=1 skip scripts/install-deps.sh
# Exits non-zero when any preset fails to configure, build or pass its tests.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; }

presets=()
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) presets=(release) ;;
        --preset)
            [ $# -ge 2 ] || { usage >&2; exit 2; }
            presets+=("$2")
            shift
            ;;
        -h|--help) usage; exit 0 ;;
        *) printf 'run-tests: unknown argument: %s\n\n' "$1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done
[ "${#presets[@]}" -gt 0 ] || presets=(release fuzz asan tsan)

build_jobs="${TRADEPUSH_BUILD_JOBS:-2}"
test_jobs="${TRADEPUSH_TEST_JOBS:-1}"

say() { printf 'run-tests: %s\n' "$*"; }

if [ "${TRADEPUSH_SKIP_DEPS:-0}" != "1" ]; then
    bash "$repo_root/scripts/install-deps.sh"
fi

# ccache across clones: CI builds a fresh clone at another path, so hash paths relative to the clone
# and not the build directory itself (debug info may then name the first clone's paths; harmless for
# tests). The three presets' objects take a few GB compressed; 10 GB leaves room for a few
# revisions without letting the cache fill a small disk.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$repo_root}"
export CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"
export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-10G}"

# A full disk shows up far from its cause (the compiler's "No space left on device", dwz's
# "elf_update failed" while packaging), so say up front when the build trees may not fit.
# Measured sizes of build/<preset> from scratch, in MiB.
preset_mib() {
    case "$1" in
        release) echo 1900 ;;
        asan) echo 3100 ;;
        tsan) echo 1900 ;;
        fuzz) echo 900 ;;
        *) echo 1500 ;;
    esac
}
disk_free_mib() { df -Pm "$repo_root" | awk 'NR == 2 { print $4 }'; }
need_mib=0
for preset in "${presets[@]}"; do
    [ -d "$repo_root/build/$preset" ] || need_mib=$((need_mib + $(preset_mib "$preset")))
done
free_mib="$(disk_free_mib)"
if [ -n "$free_mib" ] && [ "$need_mib" -gt 0 ] && [ "$free_mib" -lt $((need_mib + 1024)) ]; then
    say "warning: ${free_mib} MiB free on the disk holding $repo_root; building ${presets[*]} from scratch" \
        "takes about ${need_mib} MiB plus ccache growth and test scratch files"
fi

# Sanitizer behaviour for anything run under the asan/tsan builds; the test presets set the same,
# these cover programs started outside ctest. Caller-provided values win.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:print_stacktrace=1:check_initialization_order=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}"

log_dir="$repo_root/build/logs"
mkdir -p "$log_dir"

summary=()
total_passed=0
total_failed=0
status=0

# Runs a step with its output in a log; on failure shows the log's end and returns non-zero.
logged() {
    local log="$1"
    shift
    if "$@" >"$log" 2>&1; then
        return 0
    fi
    printf 'run-tests: command failed: %s (full log: %s)\n' "$*" "$log" >&2
    tail -n 80 "$log" >&2
    if grep -q 'No space left on device' "$log"; then
        printf 'run-tests: the disk is full: %s\n' "$(df -Ph "$repo_root" | awk 'NR == 2 { print $4 " free of " $2 " on " $6 }')" >&2
    fi
    return 1
}

for preset in "${presets[@]}"; do
    say "=== preset $preset ==="
    start=$SECONDS

    say "configure ($preset)"
    if ! logged "$log_dir/$preset-configure.log" cmake --preset "$preset"; then
        summary+=("preset $preset: FAILED to configure")
        status=1
        continue
    fi

    say "build ($preset, -j$build_jobs)"
    if ! logged "$log_dir/$preset-build.log" cmake --build --preset "$preset" --parallel "$build_jobs"; then
        summary+=("preset $preset: FAILED to build")
        status=1
        continue
    fi

    say "test ($preset, -j$test_jobs)"
    test_log="$log_dir/$preset-test.log"
    # ctest's own output stays visible (its closing line is what CI reads); tee keeps a copy to count.
    set +e
    ctest --preset "$preset" --parallel "$test_jobs" 2>&1 | tee "$test_log"
    test_rc=${PIPESTATUS[0]}
    set -e

    # "100% tests passed, 0 tests failed out of 42"
    line="$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$test_log" | tail -n 1 || true)"
    if [ -n "$line" ]; then
        failed="$(sed -E 's/.* ([0-9]+) tests? failed out of.*/\1/' <<<"$line")"
        count="$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")"
        passed=$((count - failed))
    else
        passed=0
        failed=0
    fi
    total_passed=$((total_passed + passed))
    total_failed=$((total_failed + failed))

    elapsed=$((SECONDS - start))
    if [ "$test_rc" -eq 0 ]; then
        summary+=("preset $preset: passed ($passed tests, ${elapsed}s)")
    else
        summary+=("preset $preset: FAILED ($passed passed, $failed failed, ctest exit $test_rc, ${elapsed}s)")
        status=1
        left_mib="$(disk_free_mib)"
        if [ -n "$left_mib" ] && [ "$left_mib" -lt 1024 ]; then
            say "note: only ${left_mib} MiB left on the disk; failures above may be a full disk"
        fi
    fi
done

echo
for line in "${summary[@]}"; do
    say "$line"
done
# The plain closing line: counts over all presets run.
echo "total: $total_passed passed, $total_failed failed"
exit "$status"
