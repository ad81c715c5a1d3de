#!/usr/bin/env bash
# Builds crates/wasm for wasm32-unknown-unknown with SIMD, runs the wasm-bindgen CLI (as
# automerge does: no wasm-pack, so nothing downloads tools), and refuses a module without SIMD.
# Output: packages/mm-tokenize-batcher/wasm/{mm_batcher.js,mm_batcher_bg.wasm,...}
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=packages/mm-tokenize-batcher/wasm
export RUSTFLAGS="-C target-feature=+simd128"

# Prefer a rustup toolchain that ships the wasm32 standard library; otherwise Debian's rustc-web
# with build-std (see SPEC, toolchain facts). Detect, don't assume.
libdir=$(rustc --print target-libdir --target wasm32-unknown-unknown 2>/dev/null || true)
if [ -n "$libdir" ] && ls "$libdir"/libstd-*.rlib >/dev/null 2>&1; then
  echo "wasm build: rustup toolchain ($(rustc --version))"
  target_dir=target/wasm-rustup
  cargo build --release --locked -p mm-batcher-wasm --target wasm32-unknown-unknown --target-dir "$target_dir"
else
  [ -x /usr/bin/cargo ] && [ -d /usr/lib/rustlib/src/rust/library ] && command -v wasm-ld-19 >/dev/null ||
    { echo "no wasm32 toolchain: run scripts/setup.sh (installs Debian's rustc-web, rust-web-src, lld-19)" >&2; exit 1; }
  echo "wasm build: Debian rustc-web with build-std ($(/usr/bin/rustc --version))"
  target_dir=target/wasm-debian
  PATH="/usr/bin:$PATH" RUSTC_BOOTSTRAP=1 CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld-19 \
    /usr/bin/cargo build --release --locked -p mm-batcher-wasm --target wasm32-unknown-unknown \
    --target-dir "$target_dir" -Zbuild-std=std,panic_abort
fi

rm -rf "$out"
wasm-bindgen --target web --out-dir "$out" --out-name mm_batcher \
  "$target_dir/wasm32-unknown-unknown/release/mm_batcher_wasm.wasm"

# Binaryen's optimiser (npm `binaryen`, a root devDependency: runs offline). It drops the name
# section and shrinks the module (about 130 -> 116 KB gzipped); planning speed is unchanged within
# noise. The features are those current Rust enables for wasm32, plus SIMD.
wasm_opt=node_modules/.bin/wasm-opt
[ -x "$wasm_opt" ] || { echo "wasm-opt missing: run pnpm install (binaryen is a root devDependency)" >&2; exit 1; }
before=$(wc -c <"$out/mm_batcher_bg.wasm")
"$wasm_opt" -O3 --enable-bulk-memory --enable-nontrapping-float-to-int --enable-simd --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types "$out/mm_batcher_bg.wasm" -o "$out/mm_batcher_bg.opt.wasm"
mv "$out/mm_batcher_bg.opt.wasm" "$out/mm_batcher_bg.wasm"
echo "wasm-opt -O3: $before -> $(wc -c <"$out/mm_batcher_bg.wasm") bytes"
node scripts/check-simd.mjs "$out/mm_batcher_bg.wasm"
