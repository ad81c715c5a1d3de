#!/usr/bin/env bash
# Builds the two WebAssembly modules for wasm32-unknown-unknown with SIMD, runs the wasm-bindgen CLI
# on each (as automerge does: no wasm-pack, so nothing downloads tools), and refuses a module
# without SIMD.
#   crates/wasm          -> mm_batcher  (planning and header reading; no codecs)
#   crates/wasm-imaging  -> mm_imaging  (decoding, resizing, batch tensors)
# Output: packages/mm-tokenize-batcher/wasm/{mm_batcher,mm_imaging}{.js,_bg.wasm,...}
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=packages/mm-tokenize-batcher/wasm
export RUSTFLAGS="-C target-feature=+simd128"

# cargo_wasm ARGS...: `cargo build --release --target wasm32-unknown-unknown ARGS` with whichever
# toolchain has a wasm32 standard library, and sets $target_dir. Prefers a rustup toolchain that
# ships it; otherwise Debian's rustc-web with build-std (see SPEC, toolchain facts). Detect, don't assume.
cargo_wasm() {
  local libdir
  libdir=$(rustc --print target-libdir --target wasm32-unknown-unknown 2>/dev/null || true)
  if [ -n "$libdir" ] && ls "$libdir"/libstd-*.rlib >/dev/null 2>&1; then
    echo "wasm build: rustup toolchain ($(rustc --version))"
    target_dir=target/wasm-rustup
    cargo build --release --locked --target wasm32-unknown-unknown --target-dir "$target_dir" "$@"
  else
    [ -x /usr/bin/cargo ] && [ -d /usr/lib/rustlib/src/rust/library ] && command -v wasm-ld-19 >/dev/null ||
      { echo "no wasm32 toolchain: run scripts/setup.sh (installs Debian's rustc-web, rust-web-src, lld-19)" >&2; exit 1; }
    echo "wasm build: Debian rustc-web with build-std ($(/usr/bin/rustc --version))"
    target_dir=target/wasm-debian
    PATH="/usr/bin:$PATH" RUSTC_BOOTSTRAP=1 CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld-19 \
      /usr/bin/cargo build --release --locked --target wasm32-unknown-unknown \
      --target-dir "$target_dir" -Zbuild-std=std,panic_abort "$@"
  fi
}

# One cargo run builds both modules (they share the standard library build).
cargo_wasm -p mm-batcher-wasm -p mm-batcher-wasm-imaging

rm -rf "$out"
# Binaryen's optimiser (npm `binaryen`, a root devDependency: runs offline). It drops the name
# section and shrinks the planning module (about 130 -> 116 KB gzipped); planning speed is
# unchanged within noise. The features are those current Rust enables for wasm32, plus SIMD. (On
# the imaging module it saves about 4% for a long run, so that one is left as built.)
wasm_opt=node_modules/.bin/wasm-opt
optimise() {
  [ -x "$wasm_opt" ] || { echo "wasm-opt missing: run pnpm install (binaryen is a root devDependency)" >&2; exit 1; }
  local before
  before=$(wc -c <"$1")
  "$wasm_opt" -O3 --enable-bulk-memory --enable-nontrapping-float-to-int --enable-simd --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types "$1" -o "$1.opt"
  mv "$1.opt" "$1"
  echo "wasm-opt -O3: $before -> $(wc -c <"$1") bytes"
}

# bindgen CRATE_LIB OUT_NAME [optimise]: wasm-bindgen (web target), optionally wasm-opt, and the
# SIMD check for one module.
bindgen() {
  wasm-bindgen --target web --out-dir "$out" --out-name "$2" \
    "$target_dir/wasm32-unknown-unknown/release/$1.wasm"
  [ "${3:-}" != optimise ] || optimise "$out/$2_bg.wasm"
  node scripts/check-simd.mjs "$out/$2_bg.wasm"
}
bindgen mm_batcher_wasm mm_batcher optimise
bindgen mm_batcher_wasm_imaging mm_imaging

# Wasm memory never shrinks. The imaging module keeps no state between calls, so after a call that
# grew it a lot the package swaps in a fresh instance of the same compiled module (the glue keeps
# it as `wasmModule`): this export does that, synchronously, reusing the glue's own init steps.
glue="$out/mm_imaging.js"
for name in 'let wasmModule' 'function __wbg_get_imports' 'function __wbg_finalize_init'; do
  grep -q "$name" "$glue" || { echo "wasm-bindgen glue changed: '$name' not found in $glue" >&2; exit 1; }
done
cat >>"$glue" <<'JS'

/** mm-tokenize-batcher: a fresh instance of the compiled module (memory back to its initial size). */
export function __mmFreshInstance() {
    if (wasmModule === undefined) return undefined;
    return __wbg_finalize_init(new WebAssembly.Instance(wasmModule, __wbg_get_imports()), wasmModule);
}
JS
cat >>"$out/mm_imaging.d.ts" <<'TS'

/** mm-tokenize-batcher: a fresh instance of the compiled module (memory back to its initial size). */
export function __mmFreshInstance(): InitOutput | undefined;
TS
