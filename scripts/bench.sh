#!/usr/bin/env bash
# The main job: sets up a fresh machine (scripts/setup.sh) and runs the seed benchmark (SPEC
# protocol) on its built-in synthetic data, with its peers, and redraws the charts.
# `--no-python` leaves out the Python seed peer (its cached venv, set up on first use, is ~5 GB).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
step "seed benchmark"
pnpm --filter mm-tokenize-batcher-bench exec tsx seed-benchmark.ts "$@"
