#!/usr/bin/env bash
# Creates (once) the small cached virtual environment of the converged k-means peer (numpy only),
# outside the repo, and prints its interpreter's path. Exits non-zero, leaving nothing half made,
# when it cannot be set up (no python3 venv, PyPI unreachable): the benchmark then skips the peer.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv="${MMTB_CACHE:-$HOME/.cache/mm-tokenize-batcher}/kmeans-venv"
stamp="$venv/.requirements"
if ! cmp -s "$here/requirements.txt" "$stamp" 2>/dev/null; then
  echo "setting up the converged k-means peer in $venv (numpy only, once)" >&2
  rm -rf "$venv"
  if ! { python3 -m venv "$venv" >&2 &&
         "$venv/bin/pip" install --quiet --disable-pip-version-check --timeout 20 --retries 1 \
           -r "$here/requirements.txt" >&2; }; then
    rm -rf "$venv"
    echo "could not set up the converged k-means peer (python3 venv or PyPI unavailable)" >&2
    exit 1
  fi
  cp "$here/requirements.txt" "$stamp"
fi
echo "$venv/bin/python"
