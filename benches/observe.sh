#!/usr/bin/env bash
# The cost of the `metrics` feature: benches/observe.rs built without and
# with it, one after the other. Compare the "tell / floor" rows.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench -q -p retinue --bench observe
cargo bench -q -p retinue --bench observe --features metrics
