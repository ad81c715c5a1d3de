"""Shared by the Python benchmarks: the machine's state beside each figure (load average, cores),
medians of repeated timings, and writing bench/results/NAME.json with its Markdown table NAME.md."""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Sequence, Tuple

REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "bench" / "results"


def load_average() -> List[float]:
    """The 1, 5 and 15 minute load averages (the machine is shared: read figures beside them)."""
    return [round(x, 2) for x in os.getloadavg()]


def median_time(run: Callable[[], Any], runs: int) -> Tuple[float, List[float], Any]:
    """The median wall time of ``runs`` calls of ``run`` (each timed alone), every time, and the
    last call's result."""
    times, out = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = run()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times, out


def machine() -> Dict[str, Any]:
    return {"python": platform.python_version(), "cores": os.cpu_count(), "loadAverage": load_average()}


def write(name: str, data: Dict[str, Any], title: str, header: Sequence[str], rows: Sequence[Sequence[Any]], notes: str = "") -> None:
    """bench/results/NAME.json (``data``) and NAME.md (a title, notes and the table); prints the table."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(data, indent=1) + "\n")
    lines = [f"| {' | '.join(header)} |", f"|{'|'.join(' --- ' for _ in header)}|"]
    lines += [f"| {' | '.join(str(c) for c in row)} |" for row in rows]
    text = f"# {title}\n\n{notes.strip()}\n\n" + "\n".join(lines) + "\n"
    (RESULTS / f"{name}.md").write_text(text)
    print(text)
