"""Planning rows per second on Ray Data and Spark with 1 and 2 workers, and in process, on a
Parquet file of 10^6 rows drawn (seeded, with replacement) from the real size lists in bench/data
(COCO val2017, MathVista testmini). Balanced strategy, batch 32, buffers of 1024 rows. Each
engine's plan is checked equal to the in-process plan. Median of --runs runs, each engine started
once per worker count and warmed up first. Writes bench/results/python-engines.json and
python-engines.md (with the load average before each figure: the machine may be shared).

  python bench/python/engines_throughput.py [--rows 1000000] [--runs 3] [--engines inprocess,ray,spark]"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

import mm_tokenize_batcher as mtb
from mm_tokenize_batcher.arrow import plan_buffers
from mm_tokenize_batcher.engines import plan_ray, plan_spark

from results import load_average, machine, median_time, write

REPO = Path(__file__).resolve().parents[2]
BUFFER, BATCH = 1024, 32


def real_sizes():
    out = []
    for name in ("coco_val2017.json", "mathvista_testmini.json"):
        out += json.loads((REPO / "bench" / "data" / name).read_text())["sizes"]
    return out


def make_parquet(rows: int, path: Path) -> pa.Table:
    pool = real_sizes()
    rng = random.Random(20260806)
    drawn = [pool[rng.randrange(len(pool))] for _ in range(rows)]
    table = pa.table({"row": pa.array(range(rows), pa.int64()), "height": pa.array([h for h, _ in drawn], pa.int32()), "width": pa.array([w for _, w in drawn], pa.int32())})
    pq.write_table(table, path, row_group_size=65536)
    return table


def key(plan):
    """The plan in a canonical order and schema (an engine may mark columns nullable or not)."""
    columns = plan.sort_by([("buffer", "ascending"), ("batch", "ascending"), ("row", "ascending")]).select(["row", "buffer", "batch", "resize_height", "resize_width"])
    return pa.table({name: columns.column(name).combine_chunks() for name in columns.column_names})


class Ray:
    def __init__(self, workers):
        import ray

        self.ray = ray
        ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)

    def plan(self, path, batcher):
        ds = self.ray.data.read_parquet(str(path))
        return pa.concat_tables(list(plan_ray(ds, batcher, BUFFER).iter_batches(batch_format="pyarrow", batch_size=None)))

    def stop(self):
        self.ray.shutdown()


class Spark:
    """Input splits of 1 MiB (``spark.sql.files.maxPartitionBytes``): the 8 MB file is then read
    and shuffled by several tasks, not one (the default 128 MiB makes the read and the shuffle's
    map side one serial task)."""

    def __init__(self, workers):
        from pyspark.sql import SparkSession

        os.environ["PYSPARK_PYTHON"] = os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
        self.workers = workers
        self.spark = SparkSession.builder.master(f"local[{workers}]").config("spark.ui.enabled", "false").config("spark.driver.memory", "4g").config("spark.sql.files.maxPartitionBytes", str(1 << 20)).getOrCreate()

    def plan(self, path, batcher):
        return plan_spark(self.spark.read.parquet(str(path)), batcher, BUFFER, partitions=self.workers * 4).toArrow()

    def stop(self):
        self.spark.stop()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--engines", default="inprocess,ray,spark")
    args = parser.parse_args()
    engines = args.engines.split(",")
    batcher = mtb.BalancedBatcher(batch_size=BATCH)
    results = []

    def record(engine, workers, seconds, times, same, load, fixed=0.0):
        net = args.rows / (seconds - fixed) if seconds > fixed else float("nan")
        results.append({"engine": engine, "workers": workers, "seconds": seconds, "times": times, "rowsPerSecond": args.rows / seconds, "fixedSeconds": fixed, "netRowsPerSecond": net, "samePlan": same, "loadAverage": load})
        print(f"{engine} x{workers}: {seconds:.2f} s median of {[round(t, 2) for t in times]}, fixed {fixed:.2f} s, same plan {same}, load {load}", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        path, warm = Path(tmp) / "sizes.parquet", Path(tmp) / "warm-up.parquet"
        table = make_parquet(args.rows, path)
        make_parquet(20 * BUFFER, warm)
        load = load_average()
        seconds, times, plan = median_time(lambda: plan_buffers(table, batcher, BUFFER), args.runs)
        reference = key(plan)
        if "inprocess" in engines:
            record("in-process", 1, seconds, times, True, load)
        for name, engine in (("ray", Ray), ("spark", Spark)):
            if name not in engines:
                continue
            for workers in (1, 2):
                running = engine(workers)
                try:
                    running.plan(warm, batcher)  # workers started, code imported
                    # The job's fixed cost (scheduling, listing, shuffle barriers): the same job on
                    # 20 buffers, where planning itself takes milliseconds.
                    fixed, _, _ = median_time(lambda: running.plan(warm, batcher), args.runs)
                    load = load_average()
                    seconds, times, plan = median_time(lambda: running.plan(path, batcher), args.runs)
                finally:
                    running.stop()
                record(name, workers, seconds, times, key(plan).equals(reference), load, fixed)
    speedups = {}
    for r in results:
        one = next((o for o in results if o["engine"] == r["engine"] and o["workers"] == 1), None)
        speedups[(r["engine"], r["workers"])] = (one["seconds"] / r["seconds"], r["netRowsPerSecond"] / one["netRowsPerSecond"]) if one else (1.0, 1.0)
    data = {"rows": args.rows, "runs": args.runs, "bufferSize": BUFFER, "batchSize": BATCH, "strategy": "balanced", **machine(), "results": results}
    notes = f"""{args.rows:,} rows drawn from bench/data (COCO val2017, MathVista testmini) in one Parquet file,
Balanced batch {BATCH}, buffers of {BUFFER} rows (`row // {BUFFER}`); median of {args.runs} runs after a warm-up
(engine started, workers up); each engine's plan checked equal to the in-process plan. Python
{data['python']}, {data['cores']} cores shared with other jobs: the load average (1, 5, 15 min) before each
figure is beside it. "fixed s": the same job on {20 * BUFFER:,} rows (scheduling, file listing, shuffle
barriers: planning itself takes milliseconds there); "rows/s past fixed": rows / (median s - fixed s).
`python bench/python/engines_throughput.py --rows {args.rows} --runs {args.runs}`"""
    rows = [(r["engine"], r["workers"], f"{r['seconds']:.2f}", f"{r['rowsPerSecond']:,.0f}", f"{speedups[(r['engine'], r['workers'])][0]:.2f}x", f"{r['fixedSeconds']:.2f}", f"{r['netRowsPerSecond']:,.0f}", f"{speedups[(r['engine'], r['workers'])][1]:.2f}x", r["samePlan"], " ".join(map(str, r["loadAverage"]))) for r in results]
    write("python-engines", data, "Planning on Ray Data and Spark (Python)", ["engine", "workers", "median s", "rows/s", "vs 1 worker", "fixed s", "rows/s past fixed", "vs 1 worker", "same plan", "load avg"], rows, notes)


if __name__ == "__main__":
    main()
