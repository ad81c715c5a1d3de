"""Planning rows per second on Ray Data and Spark with 1 and 2 workers, and in process, on a
Parquet file of 10^6 rows drawn (seeded, with replacement) from the real size lists in bench/data
(COCO val2017, MathVista testmini). Balanced strategy, batch 32, buffers of 1024 rows. Each
engine's plan is checked equal to the in-process plan. Writes
bench/results/python-engines.json and prints a table.

  python bench/python/engines_throughput.py [--rows 1000000] [--engines inprocess,ray,spark]"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

import mm_tokenize_batcher as mtb
from mm_tokenize_batcher.arrow import plan_buffers
from mm_tokenize_batcher.engines import plan_ray, plan_spark

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
    return plan.sort_by([("buffer", "ascending"), ("batch", "ascending"), ("row", "ascending")]).select(["row", "buffer", "batch", "resize_height", "resize_width"])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--engines", default="inprocess,ray,spark")
    args = parser.parse_args()
    engines = args.engines.split(",")
    batcher = mtb.BalancedBatcher(batch_size=BATCH)
    rows_out = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sizes.parquet"
        table = make_parquet(args.rows, path)
        t0 = time.perf_counter()
        reference = key(plan_buffers(table, batcher, BUFFER))
        seconds = time.perf_counter() - t0
        rows_out.append({"engine": "in-process", "workers": 1, "seconds": seconds, "rowsPerSecond": args.rows / seconds, "samePlan": True})
        for workers in (1, 2):
            if "ray" in engines:
                import ray

                ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
                try:
                    ds = ray.data.read_parquet(str(path))
                    t0 = time.perf_counter()
                    plan = pa.concat_tables(list(plan_ray(ds, batcher, BUFFER).iter_batches(batch_format="pyarrow", batch_size=None)))
                    seconds = time.perf_counter() - t0
                finally:
                    ray.shutdown()
                rows_out.append({"engine": "ray", "workers": workers, "seconds": seconds, "rowsPerSecond": args.rows / seconds, "samePlan": key(plan).equals(reference)})
            if "spark" in engines:
                from pyspark.sql import SparkSession

                os.environ["PYSPARK_PYTHON"] = os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
                spark = SparkSession.builder.master(f"local[{workers}]").config("spark.ui.enabled", "false").config("spark.driver.memory", "4g").getOrCreate()
                try:
                    frame = spark.read.parquet(str(path))
                    t0 = time.perf_counter()
                    plan = plan_spark(frame, batcher, BUFFER, partitions=workers * 4).toArrow()
                    seconds = time.perf_counter() - t0
                finally:
                    spark.stop()
                rows_out.append({"engine": "spark", "workers": workers, "seconds": seconds, "rowsPerSecond": args.rows / seconds, "samePlan": key(plan).equals(reference)})
    out = {"rows": args.rows, "bufferSize": BUFFER, "batchSize": BATCH, "strategy": "balanced", "cores": os.cpu_count(), "results": rows_out}
    (REPO / "bench" / "results").mkdir(exist_ok=True)
    (REPO / "bench" / "results" / "python-engines.json").write_text(json.dumps(out, indent=1) + "\n")
    print(f"{'engine':<11} {'workers':>7} {'seconds':>8} {'rows/s':>10} {'same plan':>9}")
    for r in rows_out:
        print(f"{r['engine']:<11} {r['workers']:>7} {r['seconds']:>8.2f} {r['rowsPerSecond']:>10.0f} {str(r['samePlan']):>9}")


if __name__ == "__main__":
    main()
