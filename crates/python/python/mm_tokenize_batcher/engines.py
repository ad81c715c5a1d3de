"""Recipes for planning on Ray Data and Spark: rows keyed by ``row // buffer_size`` (so buffers do
not depend on how the engine cuts blocks or partitions), each buffer planned on its own by
:func:`mm_tokenize_batcher.arrow.plan_arrow` in the engine's workers. The result equals
:func:`mm_tokenize_batcher.arrow.plan_buffers` in process. Neither engine is imported here."""

from __future__ import annotations

from typing import Any, Iterator, Optional

from .arrow import buffer_column, plan_arrow, split_buffers
from .batchers import Batcher

#: The plan's columns as a Spark schema (``mapInArrow`` needs it).
SPARK_SCHEMA = "row long, buffer long, batch int, step int, rank int, resize_height int, resize_width int, code string, message string"


def plan_ray(dataset: Any, batcher: Batcher, buffer_size: int, partitions: Optional[int] = None, **options: Any) -> Any:
    """A Ray ``Dataset`` of sizes (``row``, ``height``, ``width``, or ``image=``/``url=``
    columns) to a ``Dataset`` of the plan: ``map_batches`` adds the buffer key, ``groupby`` +
    ``map_groups`` plans each buffer in one task.

    The grouping shuffles with Ray's sort-based shuffle into ``partitions`` partitions (default:
    4 per CPU of the cluster), set on this dataset's own copy of the context: Ray's default hash
    shuffle runs aggregator actors that hold CPUs the planning tasks then wait for (on
    ``ray.init(num_cpus=1)`` it took minutes for 20,000 rows; see docs/python.md)."""
    import ray
    from ray.data.context import ShuffleStrategy

    def key(table: Any) -> Any:
        return buffer_column(table, buffer_size)

    def plan(table: Any) -> Any:
        return plan_arrow(table, batcher, buffer=table.column("buffer")[0].as_py(), **options)

    if partitions is None:
        partitions = 4 * max(int(ray.cluster_resources().get("CPU", 1)), 1)
    # As many blocks as partitions before the shuffle: the sort-based shuffle makes as many
    # partitions as it gets blocks (a small Parquet file is read as one block: one task).
    keyed = dataset.repartition(partitions).map_batches(key, batch_format="pyarrow")
    keyed = type(keyed).copy(keyed, _deep_copy=True)  # its own context: the caller's is left as it is
    keyed.context.shuffle_strategy = ShuffleStrategy.SORT_SHUFFLE_PULL_BASED  # before groupby: it plans by it
    return keyed.groupby("buffer", num_partitions=partitions).map_groups(plan, batch_format="pyarrow")


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
