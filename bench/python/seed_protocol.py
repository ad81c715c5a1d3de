"""The SPEC seed protocol from Python: this package's four strategies against the seed's own stack
(bench/peers/seed_python/seed_batcher.py: numpy, Pillow, fastkmeans) in the same process, on the
same PIL images, both scored by this package's `evaluate`.

5,000 synthetic sizes (the core's seed_benchmark_sizes, seed 0), batch 32, buffers 128 to 5000,
multiple_of 1 and 28; cost = median wall time of planning the whole stream (every buffer) per
sample, over RUNS runs after one warm-up. The seed peer runs when its stack imports (its venv is
the seed bench's, ~5 GB with torch: `--no-seed` or a missing fastkmeans leaves it out, and the
output says so). Writes bench/results/python-seed-protocol.json and .md (the table)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from PIL import Image

import mm_tokenize_batcher as mtb

from results import load_average, machine, write

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
COUNT, SEED, BATCH_SIZE = 5000, 0, 32
BUFFER_SIZES = [128, 256, 512, 1024, 2048, 5000]
MULTIPLES = [1, 28]


def seed_peers():
    sys.path.insert(0, str(REPO / "bench" / "peers" / "seed_python"))
    try:
        import seed_batcher  # numpy, Pillow, fastkmeans (torch)
    except ImportError as error:
        return None, f"seed stack not importable here ({error})"
    return seed_batcher.STRATEGIES, None


def timed(plan_stream, runs):
    times, planned = [], None
    for run in range(runs + 1):
        t0 = time.perf_counter()
        planned = plan_stream()
        if run > 0:
            times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2], planned


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-seed", action="store_true")
    args = parser.parse_args()
    sizes = mtb.seed_benchmark_sizes(COUNT, SEED)
    # Mode "1" keeps 5,000 real PIL images small; both sides read only .size (and EXIF).
    buffer = [{"image": Image.new("1", (w, h))} for h, w in sizes]
    peers, why = (None, "--no-seed") if args.no_seed else seed_peers()
    rows = []
    load_before = load_average()
    for multiple_of in MULTIPLES:
        for buffer_size in BUFFER_SIZES:
            parts = [(start, buffer[start : start + buffer_size]) for start in range(0, COUNT, buffer_size)]
            contenders = [(f"mm/{name}", mtb.create_batcher(name, batch_size=BATCH_SIZE, multiple_of=multiple_of)) for name in mtb.strategy_names]
            if peers:
                contenders += [(f"seed/{name}", make(BATCH_SIZE, multiple_of)) for name, make in peers.items()]
            for name, batcher in contenders:
                seconds, planned = timed(lambda: [(start, batcher(part)) for start, part in parts], args.runs)
                batches = [{"images": [buffer[start + i]["image"] for i in b["indices"]], "resize_size": b["resize_size"]} for start, part in planned for b in part]
                m = mtb.evaluate(batches, batch_size=BATCH_SIZE)
                rows.append({"name": name, "multipleOf": multiple_of, "bufferSize": buffer_size, "costUs": seconds * 1e6 / COUNT, "fill": m["fill"], "resizeWaste": m["resize_waste"], "distortion": m["distortion"], "scaleMismatch": m["scale_mismatch"]})
    out = {"protocol": {"count": COUNT, "seed": SEED, "batchSize": BATCH_SIZE, "bufferSizes": BUFFER_SIZES, "multiples": MULTIPLES, "runs": args.runs}, **machine(), "loadAverageBefore": load_before, "seedPeer": why or "ran", "rows": rows}
    cost = {(r["name"], r["multipleOf"], r["bufferSize"]): r["costUs"] for r in rows}
    table = []
    for r in rows:
        peer = cost.get((r["name"].replace("mm/", "seed/"), r["multipleOf"], r["bufferSize"]))
        ratio = f"{peer / r['costUs']:.1f}x" if peer and r["name"].startswith("mm/") else ""
        table.append((r["multipleOf"], r["bufferSize"], r["name"], f"{r['costUs']:.2f}", ratio, f"{r['fill']:.3f}", f"{r['resizeWaste']['p95']:.3f}", f"{r['resizeWaste']['max']:.3f}", f"{r['distortion']['p95']:.3f}"))
    notes = f"""The seed protocol from Python: {COUNT} sizes (seed_benchmark_sizes, seed {SEED}) as PIL images, batch
{BATCH_SIZE}, the whole stream planned buffer by buffer; cost = median of {args.runs} runs (after a warm-up) per
sample; quality scored by this package's `evaluate` for both. `x seed` = the seed stack's cost over
this package's for the same strategy. Seed peer: {out['seedPeer']}. Python {out['python']}, {out['cores']}
cores; load average (1, 5, 15 min) {' '.join(map(str, load_before))} before, {' '.join(map(str, out['loadAverage']))} after.
`python bench/python/seed_protocol.py --runs {args.runs}` (in the seed peer's venv, with the wheel)"""
    write("python-seed-protocol", out, "Seed protocol from Python: this package against the seed stack", ["multiple_of", "buffer", "strategy", "us/sample", "x seed", "fill", "p95 resize waste", "max resize waste", "p95 distortion"], table, notes)

if __name__ == "__main__":
    main()
