"""Planning on Ray Data (``ray.init(num_cpus=2)``) and Spark (``local[2]``, the machine's
OpenJDK): every sample planned exactly once, plans equal to the in-process plan buffer by buffer,
bad rows as rejects naming them (no worker fails)."""

from __future__ import annotations

import math
import os
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import ray

import mm_tokenize_batcher as mtb
from mm_tokenize_batcher.arrow import plan_buffers
from mm_tokenize_batcher.engines import plan_ray, plan_spark

N, BUFFER = 3000, 512
SIZES = mtb.seed_benchmark_sizes(N, 8)


@pytest.fixture(scope="module")
def parquet(tmp_path_factory):
    heights = [float(h) for h, _ in SIZES]
    heights[17] = math.nan  # a bad row: a reject naming row 17
    table = pa.table({"row": pa.array(range(N), pa.int64()), "height": heights, "width": pa.array([w for _, w in SIZES], pa.int32())})
    path = tmp_path_factory.mktemp("sizes") / "sizes.parquet"
    pq.write_table(table, path, row_group_size=700)  # blocks that cut across buffers
    return path, table


def canonical(table):
    rows = table.sort_by([("buffer", "ascending"), ("batch", "ascending"), ("row", "ascending")])
    return rows.select(["row", "buffer", "batch", "resize_height", "resize_width", "code", "message"]).to_pylist()


def expected(table, batcher):
    return canonical(plan_buffers(table, batcher, BUFFER))


def check(plan, table, batcher):
    rows = plan.column("row").to_pylist()
    assert sorted(rows) == list(range(N)), "every row exactly once"
    assert canonical(plan) == expected(table, batcher)
    rejected = [r for r, c in zip(rows, plan.column("code").to_pylist()) if c]
    assert rejected == [17]


def test_ray_data_map_groups_plans_each_buffer_once(parquet):
    path, table = parquet
    batcher = mtb.BalancedBatcher(batch_size=32)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
    try:
        ds = ray.data.read_parquet(str(path))
        plan = pa.concat_tables(list(plan_ray(ds, batcher, BUFFER).iter_batches(batch_format="pyarrow", batch_size=None)))
    finally:
        ray.shutdown()
    check(plan, table, batcher)


def test_spark_map_in_arrow_plans_each_buffer_once(parquet):
    from pyspark.sql import SparkSession

    path, table = parquet
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    spark = SparkSession.builder.master("local[2]").appName("mm-tokenize-batcher-test").config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4").getOrCreate()
    try:
        batcher = mtb.ClusteredBatcher(batch_size=32)
        frame = spark.read.parquet(str(path))
        plan = plan_spark(frame, batcher, BUFFER).toArrow()
    finally:
        spark.stop()
    check(plan, table, batcher)
