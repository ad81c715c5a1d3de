#!/usr/bin/env bash
# Long fuzz run: the deterministic mutation fuzzer (crates/imaging/examples/fuzz.rs) over header
# reading and decode + resize, seeded with test/fixtures/suites, one process per seed.
#   scripts/fuzz.sh [seconds per seed, default 600] [seeds, default 4] [target: both|header|decode]
# Findings (inputs that panicked) land in fuzz-crashes/; the exit status is non-zero on any
# panic or exec slower than 2 s. Optimised build, but with unwinding so panics are caught and
# the input kept (the release profile aborts on panic).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"; seeds="${2:-4}"; target="${3:-both}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --release -p mm-batcher-imaging --example fuzz \
  --config 'profile.release.panic="unwind"' --config 'profile.release.lto=false' \
  --config 'profile.release.codegen-units=16'
status=0
for seed in $(seq 1 "$seeds"); do
  "$CARGO_TARGET_DIR/release/examples/fuzz" --seconds "$seconds" --seed "$seed" --target "$target" \
    --crashes fuzz-crashes || status=1
done
exit $status
