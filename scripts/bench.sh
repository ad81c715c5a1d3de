#!/usr/bin/env bash
# The main job: sets up a fresh machine (scripts/setup.sh) and runs the seed benchmark (SPEC
# protocol) on its built-in synthetic data.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
step "seed benchmark"
pnpm --filter mm-tokenize-batcher-bench bench
