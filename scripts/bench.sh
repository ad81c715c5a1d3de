#!/usr/bin/env bash
# The main job: sets up a fresh machine (scripts/setup.sh), runs the seed benchmark (SPEC
# protocol) on its built-in synthetic data, with its peers, then the real-data suite (SPEC "Real
# data": bench/data's size lists, Pareto charts), redraws the charts, runs the end-to-end data
# loader benchmark (createLoader with 2 workers against the same pipeline on sharp), and prints the
# scaling table (one buffer of 5,000 to 1,000,000 samples per strategy).
# `--no-python` leaves out the Python seed peer (its cached venv, set up on first use, is ~5 GB);
# `--no-kmeans` leaves out the converged k-means peer (numpy only; skipped by itself, and said so,
# when its small venv cannot be set up).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
step "seed benchmark"
pnpm --filter mm-tokenize-batcher-bench exec tsx seed-benchmark.ts "$@"
step "real-data suite"
pnpm --filter mm-tokenize-batcher-bench exec tsx real-data.ts "$@"
step "data loader end to end: createLoader (2 workers) against the same pipeline on sharp"
pnpm --filter mm-tokenize-batcher-bench exec tsx loader-benchmark.ts
step "scaling: one buffer of 5,000 to 1,000,000 samples"
pnpm --filter mm-tokenize-batcher-bench exec tsx scaling.ts
