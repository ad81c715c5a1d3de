#!/usr/bin/env bash
# bash cached-venv.sh NAME REQUIREMENTS WHAT
# Creates (once, and again when REQUIREMENTS changes) the virtual environment NAME of a Python
# benchmark peer, outside the repo (${MMTB_CACHE:-~/.cache/mm-tokenize-batcher}/NAME), and prints
# its interpreter's path. Exits non-zero when it cannot be set up (no python3 venv, PyPI
# unreachable); the stamp is written only after a complete install, so the next run tries again.
set -euo pipefail
name=$1 requirements=$2 what=$3
venv="${MMTB_CACHE:-$HOME/.cache/mm-tokenize-batcher}/$name"
stamp="$venv/.requirements"
if ! cmp -s "$requirements" "$stamp" 2>/dev/null; then
  echo "setting up $what in $venv (once)" >&2
  if ! { python3 -m venv "$venv" >&2 &&
         "$venv/bin/pip" install --quiet --disable-pip-version-check --timeout 30 --retries 2 \
           -r "$requirements" >&2; }; then
    echo "could not set up $what (python3 venv or PyPI unavailable)" >&2
    exit 1
  fi
  cp "$requirements" "$stamp"
fi
echo "$venv/bin/python"
