#!/usr/bin/env bash
# Fuzzing campaigns: builds the `fuzz` preset (clang, libFuzzer + ASan + UBSan) and runs every target
# (or the named ones) for a bounded time or number of executions, two at a time (the machines have
# two cores), each on a corpus kept under build/fuzz-corpus/NAME (seeded from fuzz/corpus/NAME, so
# campaigns build on each other). Prints executions, coverage and corpus size per target, and exits
# non-zero when any target found a crash, a leak or a timeout (its input is in build/fuzz-crashes/NAME).
#
# Usage: scripts/fuzz.sh [--seconds N | --hours H] [--runs N] [--jobs N] [TARGET...]
#   --seconds N   time per target (default 60)
#   --hours H     time per target in hours (decimals allowed)
#   --runs N      stop a target after N executions (with a time bound, whichever comes first)
#   --jobs N      targets run at once (default 2)
#   TARGET        names under fuzz/targets (default: all)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; }

seconds=60 runs=0 jobs=2 targets=()
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds="$2"; shift ;;
        --hours) seconds="$(awk -v h="$2" 'BEGIN { printf "%d", h * 3600 }')"; shift ;;
        --runs) runs="$2"; shift ;;
        --jobs) jobs="$2"; shift ;;
        -h|--help) usage; exit 0 ;;
        -*) printf 'fuzz: unknown option: %s\n\n' "$1" >&2; usage >&2; exit 2 ;;
        *) targets+=("$1") ;;
    esac
    shift
done
if [ "${#targets[@]}" -eq 0 ]; then
    for f in fuzz/targets/*.cpp; do targets+=("$(basename "$f" .cpp)"); done
fi

say() { printf 'fuzz: %s\n' "$*"; }

[ "${TRADEPUSH_SKIP_DEPS:-0}" = "1" ] || bash scripts/install-deps.sh
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --parallel "${TRADEPUSH_BUILD_JOBS:-2}" >/dev/null

build="$repo_root/build/fuzz"
mkdir -p "$build/logs"
run_one() {
    local name="$1" bin="$build/fuzz/fuzz_$1"
    local corpus="$repo_root/build/fuzz-corpus/$name" crashes="$repo_root/build/fuzz-crashes/$name"
    mkdir -p "$corpus" "$crashes"
    local args=(-max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
        -artifact_prefix="$crashes/")
    [ "$runs" -gt 0 ] && args+=(-runs="$runs")
    [ -f "fuzz/dict/$name.dict" ] && args+=(-dict="fuzz/dict/$name.dict")
    # The status goes to a file: with several targets in flight, bash may forget a background job's
    # status before `wait` asks for it.
    local rc=0
    ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1" \
        "$bin" "${args[@]}" "$corpus" "fuzz/corpus/$name" >"$build/logs/$name.log" 2>&1 || rc=$?
    echo "$rc" >"$build/logs/$name.rc"
}

bound="${seconds}s each"
[ "$runs" -gt 0 ] && bound="$bound, at most $runs executions"
say "${#targets[@]} target(s), $bound, $jobs at a time"
names=() status=0
for name in "${targets[@]}"; do
    [ -x "$build/fuzz/fuzz_$name" ] || { say "no such target: $name"; exit 2; }
    rm -f "$build/logs/$name.rc"
    run_one "$name" &
    names+=("$name")
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do sleep 1; done
done
wait
results=()
for name in "${names[@]}"; do
    if [ "$(cat "$build/logs/$name.rc" 2>/dev/null)" = "0" ]; then results+=("$name ok"); else results+=("$name FAILED"); status=1; fi
done

printf '\n%-18s %14s %8s %8s %8s  %s\n' target executions exec/s cov corpus result
for i in "${!names[@]}"; do
    name="${names[$i]}" log="$build/logs/${names[$i]}.log"
    execs="$(grep -oE 'stat::number_of_executed_units:[[:space:]]*[0-9]+' "$log" | awk '{print $2}' | tail -1)"
    rate="$(grep -oE 'stat::average_exec_per_sec:[[:space:]]*[0-9]+' "$log" | awk '{print $2}' | tail -1)"
    cov="$(grep -oE 'cov: [0-9]+' "$log" | awk '{print $2}' | tail -1)"
    files="$(find "$repo_root/build/fuzz-corpus/$name" -type f | wc -l)"
    printf '%-18s %14s %8s %8s %8s  %s\n' "$name" "${execs:-?}" "${rate:-?}" "${cov:-?}" "$files" "${results[$i]#* }"
done
[ "$status" -eq 0 ] || say "findings: see build/fuzz/logs/NAME.log and build/fuzz-crashes/NAME/"
exit "$status"
