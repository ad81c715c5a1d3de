#!/usr/bin/env bash
# Creates (once) the small cached virtual environment of the converged k-means peer (numpy only),
# outside the repo, and prints its interpreter's path. Exits non-zero when it cannot be set up
# (no python3 venv, PyPI unreachable): the benchmark then skips the peer and says so.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec bash "$here/../cached-venv.sh" kmeans-venv "$here/requirements.txt" "the converged k-means peer (numpy only)"
