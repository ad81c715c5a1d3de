#!/usr/bin/env bash
# Sets up a fresh machine (scripts/setup.sh) and runs every test: the Rust core natively, the
# Python wheel (pytest), the TypeScript package against the built wasm, then the packed tarball in every runtime (Node, Bun,
# Deno, workerd, Chromium, workers) and the package's hygiene. A runtime that cannot start fails.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
ensure_chromium

step "Rust: cargo test (native)"
cargo test --workspace --locked

step "Python: pytest, the wheel in a fresh venv (conformance hashes, sampler, errors)"
"$MMTB_PYTHON" -m pytest crates/python/tests -q -p no:cacheprovider

step "TypeScript: vitest against the built wasm"
pnpm --filter mm-tokenize-batcher test

step "Shipped files, gzipped"
pnpm --silent --filter mm-tokenize-batcher-runtimes size

step "Runtime matrix: conformance from the packed tarball in Node, Bun, Deno, workerd, Chromium, workers"
pnpm --silent --filter mm-tokenize-batcher-runtimes matrix

step "Package hygiene: publint, attw, tarball contents"
pnpm --silent --filter mm-tokenize-batcher-runtimes hygiene
