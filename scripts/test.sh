#!/usr/bin/env bash
# Sets up a fresh machine (scripts/setup.sh) and runs every test: the Rust core natively, then
# the TypeScript package against the built wasm.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

step "Rust: cargo test (native)"
cargo test --workspace --locked

step "TypeScript: vitest against the built wasm"
pnpm --filter mm-tokenize-batcher test
