#!/usr/bin/env bash
# The main job: sets up a fresh machine (scripts/setup.sh), runs the seed benchmark (SPEC
# protocol) on its built-in synthetic data, with its peers, then the real-data suite (SPEC "Real
# data": bench/data's size lists, Pareto charts), redraws the charts, runs the end-to-end data
# loader benchmark (createLoader with 2 workers against the same pipeline on sharp), prints the
# scaling table (one buffer of 5,000 to 1,000,000 samples per strategy); then the Python benchmarks
# (bench/python: the seed protocol from Python, Ray and Spark throughput, URLs -> sizes -> plan;
# each writes bench/results/python-*.json and .md, with the load average), then the decode benchmark
# (formats x photo sizes x targets against sharp, jimp and Chromium's own decoders; it installs
# Debian's chromium like the test command; real camera JPEGs join when $BENCH_CAMERA_PHOTOS or
# ~/.cache/mm-tokenize-batcher/camera-photos holds some: see bench/decode-benchmark.ts), then the
# imaging pool (1 and 2 workers against sharp at 1 and 2 threads, on the same photo mix).
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
step "Python: the seed protocol from Python (this wheel against the seed stack, same process)"
if [[ " $* " == *" --no-python "* ]]; then
  "$MMTB_PYTHON" bench/python/seed_protocol.py --no-seed
else
  seed_python=$(bash bench/peers/seed_python/setup.sh)
  "$seed_python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps "$MMTB_WHEEL"
  "$seed_python" bench/python/seed_protocol.py
fi
step "Python: planning rows per second on Ray Data and Spark (1 and 2 workers) and in process"
"$MMTB_PYTHON" bench/python/engines_throughput.py
step "Python: URL list -> sizes -> plan on a local server"
"$MMTB_PYTHON" bench/python/urls_end_to_end.py
ensure_chromium
step "decode benchmark: formats x photo sizes x targets, against sharp, jimp and Chromium"
pnpm --filter mm-tokenize-batcher-bench exec tsx decode-benchmark.ts
step "imaging pool: 1 and 2 workers against sharp at 1 and 2 threads, on the decode benchmark's photo mix"
pnpm --filter mm-tokenize-batcher-bench exec tsx pool-benchmark.ts
