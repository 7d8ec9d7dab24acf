#!/usr/bin/env bash
# Builds the peer comparison once per retinue backend, then runs the driver,
# which fills the retinue-tokio / retinue-smol / retinue-bare (async-std
# without tokio1) and floor-* columns from the sibling binaries.
#
#   bash bench/compare/run.sh [--quick] [--threads N] [--scenario S] ...
#
# Only retinue and this package are rebuilt per backend; kameo, ractor and
# actix are compiled once.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=target/release
for build in tokio smol async-std-bare; do
  cargo build --release -q -p retinue-compare --no-default-features --features "$build"
  cp "$bin/compare" "$bin/compare-$build"
done
cargo build --release -q -p retinue-compare
exec "$bin/compare" "$@"
