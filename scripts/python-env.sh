#!/usr/bin/env bash
# Sourced by scripts/setup.sh, in two halves so the downloads overlap the builds:
#   python_env_begin   (early) starts, in the background, a fresh virtual environment
#                      target/python-venv (gitignored) with the test and engine packages from PyPI
#                      (crates/python/requirements-test.txt: torch, Ray and PySpark are GBs of
#                      downloads, none of them CPU-bound);
#   python_env_finish  (after the wasm build) builds the wheel (crates/python, maturin, abi3),
#                      waits for the venv and installs the wheel into it. Exports MMTB_PYTHON (its
#                      interpreter) and MMTB_WHEEL (the wheel).
# maturin itself lives in a cached venv outside the repo.
python_build_venv="${MMTB_CACHE:-$HOME/.cache/mm-tokenize-batcher}/python-build"
python_venv_log="$root/target/python-venv.log"

python_env_begin() {
  if ! python3 -m venv --help >/dev/null 2>&1; then
    step "installing python3-venv"
    apt_install python3-venv
  fi
  if ! command -v java >/dev/null; then
    step "installing Debian's OpenJDK 17 (Spark, for the engine tests)"
    apt_install openjdk-17-jre-headless
  fi
  step "a fresh venv with the test packages (target/python-venv), in the background: $python_venv_log"
  mkdir -p "$root/target"
  { python3 -m venv --clear "$root/target/python-venv" &&
    "$root/target/python-venv/bin/pip" install --quiet --disable-pip-version-check -r "$root/crates/python/requirements-test.txt"
  } >"$python_venv_log" 2>&1 &
  python_venv_pid=$!
}

python_env_finish() {
  if ! "$python_build_venv/bin/maturin" --version >/dev/null 2>&1; then
    step "installing maturin (cached venv, once)"
    python3 -m venv "$python_build_venv"
    "$python_build_venv/bin/pip" install --quiet --disable-pip-version-check "maturin>=1.16,<2"
  fi

  step "building the Python wheel (maturin, release)"
  rm -rf target/wheels
  "$python_build_venv/bin/maturin" build --release --locked --quiet -m crates/python/Cargo.toml -o target/wheels 2>&1 | grep -v "^📦\|^🔗\|^🐍\|^🍹" | tail -n 3 || true
  MMTB_WHEEL=$(ls target/wheels/mm_tokenize_batcher-*.whl)
  export MMTB_WHEEL
  echo "built $MMTB_WHEEL ($(du -k "$MMTB_WHEEL" | cut -f1) KiB)"

  step "the wheel into the test venv (target/python-venv)"
  if ! wait "$python_venv_pid"; then
    tail -n 30 "$python_venv_log" >&2
    echo "could not set up target/python-venv (log above, whole in $python_venv_log)" >&2
    exit 1
  fi
  target/python-venv/bin/pip install --quiet --disable-pip-version-check --no-deps --force-reinstall "$MMTB_WHEEL"
  MMTB_PYTHON="$root/target/python-venv/bin/python"
  export MMTB_PYTHON
}
