"""The built wheel on its own: installed with pip into a clean virtual environment (no numpy,
Pillow, pyarrow or torch), it imports, plans from (height, width) tuples and paths, and importing
it pulls in none of the optional packages. MMTB_WHEEL (set by scripts/python-env.sh) names it."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def built_wheel() -> Path:
    """MMTB_WHEEL, or the one wheel scripts/python-env.sh left in target/wheels."""
    if os.environ.get("MMTB_WHEEL"):
        return Path(os.environ["MMTB_WHEEL"])
    wheels = sorted((ROOT / "target" / "wheels").glob("mm_tokenize_batcher-*.whl"))
    assert wheels, "no wheel: run scripts/python-env.sh (the README's test command builds it)"
    return wheels[-1]

SCRIPT = r"""
import sys
import mm_tokenize_batcher as mtb
from mm_tokenize_batcher import ClusteredBatcher, BatcherError

buffer = [{"image": (h, w), "text": f"caption {i}"} for i, (h, w) in enumerate(mtb.seed_benchmark_sizes(100, 3))]
buffer.append({"image": sys.argv[1]})  # a path: the header is read in Rust
batches = ClusteredBatcher(batch_size=32)(buffer)
assert sorted(i for b in batches for i in b["indices"]) == list(range(len(buffer)))
assert all(len(b["resize_size"]) == 2 for b in batches)
try:
    ClusteredBatcher(batch_size=0)
except BatcherError as error:
    assert error.code == "INVALID_OPTION" and error.option == "batch_size", (error.code, error.option)
else:
    raise AssertionError("batch_size=0 was taken")
loaded = sorted(m for m in ("numpy", "PIL", "pyarrow", "torch") if m in sys.modules)
print("ok", len(batches), loaded)
"""


def test_the_wheel_installs_and_plans_in_a_clean_venv(tmp_path: Path) -> None:
    env_dir = tmp_path / "clean"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    python = env_dir / "bin" / "python"
    install = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-index", str(built_wheel())], capture_output=True, text=True)
    assert install.returncode == 0, install.stderr
    image = ROOT / "packages" / "mm-tokenize-batcher" / "test" / "fixtures" / "photos" / "astronaut.jpg"
    run = subprocess.run([str(python), "-c", SCRIPT, str(image)], capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split()[0] == "ok"
    assert run.stdout.strip().endswith("[]"), run.stdout  # no optional package imported
    assert sys.executable != str(python)
