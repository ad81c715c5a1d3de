#!/usr/bin/env bash
# Everything a fresh Debian 12 machine needs, installed only where missing, then the build.
# Sourced by scripts/test.sh and scripts/bench.sh; safe to run again.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"
step() { printf '\n== %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_updated=
apt_install() {
  [ -n "$apt_updated" ] || { as_root apt-get update -qq; apt_updated=1; }
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

# 1. A wasm32 Rust toolchain: rustup's target if installed, else Debian's rustc-web route.
libdir=$(rustc --print target-libdir --target wasm32-unknown-unknown 2>/dev/null || true)
if ! { [ -n "$libdir" ] && ls "$libdir"/libstd-*.rlib >/dev/null 2>&1; } &&
   ! { [ -d /usr/lib/rustlib/src/rust/library ] && command -v wasm-ld-19 >/dev/null && /usr/bin/cargo --version >/dev/null 2>&1; }; then
  step "installing Debian's Rust for wasm (rustc-web, cargo-web, rust-web-src, lld-19)"
  apt_install rustc-web cargo-web rust-web-src lld-19
fi

# The Python test packages download in the background while the builds below run (finished in 5).
source scripts/python-env.sh
python_env_begin

# 2. The wasm-bindgen CLI, exactly the version Cargo.lock pins for the crate.
bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$bindgen_version" ]; then
  step "installing wasm-bindgen-cli $bindgen_version (cargo install; a few minutes)"
  # --locked can name a dependency release the registry mirror lacks; then resolve afresh.
  cargo install wasm-bindgen-cli --version "=$bindgen_version" --locked --quiet ||
    cargo install wasm-bindgen-cli --version "=$bindgen_version" --quiet
fi

# 3. pnpm, pinned (newer builds may refuse this lock file).
pnpm_version=$(node -p "require('./package.json').packageManager.split('@')[1]")
if [ "$(pnpm --version 2>/dev/null)" != "$pnpm_version" ]; then
  step "installing pnpm $pnpm_version"
  npm install -g --silent "pnpm@$pnpm_version"
fi

# 4. For scripts/test.sh's runtime matrix: Debian's Chromium (no browser download works here;
# playwright-core drives /usr/bin/chromium). Bun, Deno and workerd come from npm (test/package.json).
ensure_chromium() {
  if ! command -v chromium >/dev/null; then
    step "installing Debian's chromium (runtime matrix)"
    apt_install chromium
  fi
}

step "pnpm install"
pnpm install --frozen-lockfile --reporter=append-only | tail -n 3

step "building wasm and the TypeScript package"
bash scripts/build-wasm.sh
pnpm --filter mm-tokenize-batcher build >/dev/null
echo "built packages/mm-tokenize-batcher/dist"

# 5. The Python package: the wheel (crates/python), installed into the fresh venv (MMTB_PYTHON).
python_env_finish
