#!/usr/bin/env bash
# Creates (once) the cached virtual environment the Python seed peer runs in, outside the repo.
# Prints the interpreter's path.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec bash "$here/../cached-venv.sh" seed-venv "$here/requirements.txt" "the Python seed peer (about 5 GB)"
