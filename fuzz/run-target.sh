#!/usr/bin/env bash
# Runs one libFuzzer target on a scratch corpus seeded from the committed one, so a run never writes
# into the source tree; a crash leaves its input in the scratch directory (named in the output).
# Usage: run-target.sh BINARY WORK_DIR SEED_DIR [libFuzzer flags...]
set -euo pipefail
bin="$1" work="$2" seeds="$3"
shift 3
rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"
cd "$work"
exec "$bin" -artifact_prefix="$work/artifacts/" "$@" "$work/corpus" "$seeds"
