#!/usr/bin/env bash
# Sourced by scripts/setup.sh: builds the Python wheel (crates/python, maturin, abi3) and installs
# it into a fresh virtual environment, target/python-venv (gitignored), with the test and engine
# packages from PyPI (crates/python/requirements-test.txt). Exports MMTB_PYTHON (its interpreter)
# and MMTB_WHEEL (the wheel). maturin itself lives in a cached venv outside the repo.
python_build_venv="${MMTB_CACHE:-$HOME/.cache/mm-tokenize-batcher}/python-build"
if ! python3 -m venv --help >/dev/null 2>&1; then
  step "installing python3-venv"
  apt_install python3-venv
fi
if ! command -v java >/dev/null; then
  step "installing Debian's OpenJDK 17 (Spark, for the engine tests)"
  apt_install openjdk-17-jre-headless
fi
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

step "a fresh venv with the wheel and the test packages (target/python-venv)"
python3 -m venv --clear target/python-venv
target/python-venv/bin/pip install --quiet --disable-pip-version-check "$MMTB_WHEEL" -r crates/python/requirements-test.txt
MMTB_PYTHON="$root/target/python-venv/bin/python"
export MMTB_PYTHON
