#!/usr/bin/env bash
# Creates (once) the cached virtual environment the Python seed peer runs in, outside the repo.
# Prints the interpreter's path.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv="${MMTB_CACHE:-$HOME/.cache/mm-tokenize-batcher}/seed-venv"
stamp="$venv/.requirements"
if ! cmp -s "$here/requirements.txt" "$stamp" 2>/dev/null; then
  echo "setting up the Python seed peer in $venv (about 5 GB, once)" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt" >&2
  cp "$here/requirements.txt" "$stamp"
fi
echo "$venv/bin/python"
