#!/usr/bin/env bash
# The cost of the `metrics` feature in one run: builds benches/observe.rs
# without the feature, then runs the build with it, which runs both (and a
# Prometheus recorder, and a WARN-level subscriber) round by round in turn.
# Compare the "tell/floor" and "vs first" columns.
set -euo pipefail
cd "$(dirname "$0")/.."
off=$(cargo bench -p retinue --bench observe --no-run 2>&1 |
    sed -n 's/.*Executable .*(\(.*\)).*/\1/p' | tail -n 1)
test -x "$off" || { echo "observe.sh: no feature-off bench binary found" >&2; exit 1; }
copy="$(dirname "$off")/observe-metrics-off"
cp "$off" "$copy"
OBSERVE_OFF_BIN="$copy" cargo bench -q -p retinue --bench observe --features metrics
