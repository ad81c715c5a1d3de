"""Recipes for planning on Ray Data and Spark: rows keyed by ``row // buffer_size`` (so buffers do
not depend on how the engine cuts blocks or partitions), each buffer planned on its own by
:func:`mm_tokenize_batcher.arrow.plan_arrow` in the engine's workers. The result equals
:func:`mm_tokenize_batcher.arrow.plan_buffers` in process. Neither engine is imported here."""

from __future__ import annotations

from typing import Any, Iterator

from .arrow import buffer_column, plan_arrow, split_buffers
from .batchers import Batcher

#: The plan's columns as a Spark schema (``mapInArrow`` needs it).
SPARK_SCHEMA = "row long, buffer long, batch int, step int, rank int, resize_height int, resize_width int, code string, message string"


def plan_ray(dataset: Any, batcher: Batcher, buffer_size: int, **options: Any) -> Any:
    """A Ray ``Dataset`` of sizes (``row``, ``height``, ``width``, or ``image=``/``url=``
    columns) to a ``Dataset`` of the plan: ``map_batches`` adds the buffer key, ``groupby`` +
    ``map_groups`` plans each buffer in one task."""

    def key(table: Any) -> Any:
        return buffer_column(table, buffer_size)

    def plan(table: Any) -> Any:
        return plan_arrow(table, batcher, buffer=table.column("buffer")[0].as_py(), **options)

    keyed = dataset.map_batches(key, batch_format="pyarrow")
    return keyed.groupby("buffer").map_groups(plan, batch_format="pyarrow")


def plan_spark(frame: Any, batcher: Batcher, buffer_size: int, partitions: int = 2, **options: Any) -> Any:
    """A Spark ``DataFrame`` of sizes to a ``DataFrame`` of the plan: repartitioned by buffer key
    (a buffer lies whole in one partition), then ``mapInArrow`` plans each buffer found in a
    partition."""
    import pyarrow as pa
    from pyspark.sql import functions as F

    def plan_partition(batches: Iterator[Any]) -> Iterator[Any]:
        batches = list(batches)
        if not batches:
            return
        for key, group in split_buffers(pa.Table.from_batches(batches), buffer_size):
            yield from plan_arrow(group, batcher, buffer=key, **options).to_batches()

    keyed = frame.withColumn("buffer", F.floor(F.col("row") / buffer_size).cast("long")).repartition(partitions, "buffer")
    return keyed.mapInArrow(plan_partition, SPARK_SCHEMA)
