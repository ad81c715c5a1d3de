"""Arrow in, Arrow out, for engines that hand out Arrow batches (Ray Data's ``map_batches`` /
``map_groups``, Spark's ``mapInArrow``): the plan of a table of sizes, or of paths or URLs to read
headers from. Columns go to the Rust core through the Arrow C data interface
(``__arrow_c_array__``, read in place by arrow-rs), and the plan comes back the same way: a
``pyarrow.Table`` over buffers the Rust core filled (no Python object per row).

Every input row is in the output once: planned (``batch`` >= 0) or rejected (``batch`` -1, with
``code`` and ``message``). Buffers are cut by a row number column (``row``), not by how an engine
cuts blocks: group rows by ``row // buffer_size`` (see :func:`buffer_column`) and plan each group,
and the plans equal the in-process plan buffer by buffer."""

from __future__ import annotations

from typing import Any, Dict, Iterator, List, Optional, Tuple

from . import _native
from .batchers import Batcher
from .errors import batcher_error

PLAN_COLUMNS = ("row", "buffer", "batch", "step", "rank", "resize_height", "resize_width", "code", "message")


def _pa() -> Any:
    import pyarrow as pa  # only here: importing the package never imports pyarrow

    return pa


def _chunks(table: Any, name: str) -> List[Any]:
    """A column's chunks as ``__arrow_c_array__()`` capsule pairs: the Rust side imports them in
    place and checks their type (a wrong one is a ``BatcherError`` naming the column)."""
    if name not in table.column_names:
        raise batcher_error("INVALID_INPUT", f"the table has no column `{name}` (columns: {', '.join(table.column_names)})")
    return [chunk.__arrow_c_array__() for chunk in table.column(name).chunks]


def plan_arrow(data: Any, batcher: Batcher, *, height: str = "height", width: str = "width", image: Optional[str] = None, url: Optional[str] = None, row: Optional[str] = "row", buffer: Optional[int] = None, world_size: int = 1, rank: int = 0, leftover: Optional[str] = None, concurrency: Optional[int] = None) -> Any:
    """The plan of one buffer: ``data`` (a ``pyarrow.Table`` or ``RecordBatch``) with size columns
    ``height`` and ``width``, or a column of file paths (``image=``) or URLs (``url=``, read with
    HTTP Range requests, ``concurrency`` at a time). ``row`` names the column of row numbers that
    fixes the buffer's order (rows are sorted by it; absent: positions in ``data``). Bad rows are
    rejects, whatever ``skip_invalid`` says (an engine task must not fail for one row).

    Returns a table with ``row``, ``buffer`` (the ``buffer`` argument, or null), ``batch``,
    ``step``, ``rank`` (``batch`` and ``step`` count within the buffer), ``resize_height``,
    ``resize_width``, ``code`` and ``message``, rows in batch order. Its buffers are the ones the
    Rust core filled (exported through the Arrow C data interface, not copied)."""
    pa = _pa()
    table = pa.Table.from_batches([data]) if isinstance(data, pa.RecordBatch) else data
    if not isinstance(table, pa.Table):
        raise batcher_error("INVALID_INPUT", f"plan_arrow takes a pyarrow Table or RecordBatch, got {type(data).__name__}")
    rows = _chunks(table, row) if row is not None and row in table.column_names else None
    request: Dict[str, Any] = {"world_size": world_size, "rank": rank}
    if leftover is not None:
        request["leftover"] = leftover
    wire = {**batcher._wire, "skip_invalid": True}
    known = None
    if image is not None or url is not None:
        heights, widths, known = _sizes_from_sources(table, image, url, concurrency)
    else:
        heights, widths = _chunks(table, height), _chunks(table, width)
    plan = _native.plan_arrow_buffer(batcher.strategy, wire, request, heights, widths, rows, buffer, known)
    return pa.Table.from_batches([pa.record_batch(plan)])


def _sizes_from_sources(table: Any, image: Optional[str], url: Optional[str], concurrency: Optional[int]) -> Tuple[List[Any], List[Any], List[Any]]:
    """Sizes read from a column of paths or URLs, as Arrow chunks, with the rows that failed."""
    from ._images import collect

    pa = _pa()
    name = image if image is not None else url
    if name not in table.column_names:
        raise batcher_error("INVALID_INPUT", f"the table has no column `{name}`")
    values = table.column(name).to_pylist()
    if url is not None:
        from .urls import image_sizes_from_urls

        sized = image_sizes_from_urls([v if isinstance(v, str) else "" for v in values], concurrency=concurrency)
        widths = [float(s.get("width", "nan")) for s in sized]
        heights = [float(s.get("height", "nan")) for s in sized]
        known = [(s["index"], s["code"], s["format"], s["message"].split(": ", 1)[1]) for s in sized if "code" in s]
    else:
        sizes = collect(values, samples=False)
        widths, heights, known = sizes.widths, sizes.heights, sizes.problems
    column = lambda v: [pa.array(v, pa.float64()).__arrow_c_array__()]  # noqa: E731
    return column(heights), column(widths), known


def buffer_column(table: Any, buffer_size: int, row: str = "row") -> Any:
    """``table`` with a ``buffer`` column, ``row // buffer_size``: the key to group by so that
    buffers do not depend on an engine's blocks."""
    pa, pc = _pa(), __import__("pyarrow.compute", fromlist=["compute"])
    buffers = pc.divide(table.column(row).cast(pa.int64()), buffer_size)
    return table.append_column("buffer", buffers)


def split_buffers(table: Any, buffer_size: int, row: str = "row") -> Iterator[Tuple[int, Any]]:
    """``(buffer, rows)`` for each buffer of ``table`` (cut by ``row // buffer_size``), ascending:
    one sort, then zero-copy slices (not one filter pass over the table per buffer). A ``buffer``
    column already there (an engine's key) is used as it is."""
    pa = _pa()
    keyed = table if "buffer" in table.column_names else buffer_column(table, buffer_size, row)
    keyed = keyed.sort_by([("buffer", "ascending")])
    if keyed.num_rows == 0:
        return
    runs = __import__("pyarrow.compute", fromlist=["compute"]).run_end_encode(keyed.column("buffer").combine_chunks(), run_end_type=pa.int64())
    start = 0
    for key, end in zip(runs.values.to_pylist(), runs.run_ends.to_pylist()):
        yield key, keyed.slice(start, end - start)
        start = end


def plan_buffers(table: Any, batcher: Batcher, buffer_size: int, **options: Any) -> Any:
    """Every buffer of ``table`` (cut by ``row // buffer_size``) planned on its own, in process:
    what an engine's grouped plan must equal."""
    pa = _pa()
    parts = [plan_arrow(group, batcher, buffer=key, **options) for key, group in split_buffers(table, buffer_size, options.get("row") or "row")]
    return pa.concat_tables(parts) if parts else None
