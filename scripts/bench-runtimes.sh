#!/usr/bin/env bash
# Sets up a fresh machine (scripts/setup.sh, plus Debian's chromium) and runs the cross-runtime
# planning benchmark: the packed tarball in Node, Bun, Deno, workerd and Chromium, with ratios to
# Node. Writes bench/results/runtimes-benchmark.json.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
ensure_chromium
step "cross-runtime planning benchmark"
pnpm --silent bench:runtimes
