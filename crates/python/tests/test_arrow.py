"""Arrow in, Arrow out; sizes from files and from URLs on a local HTTP server."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy
import pyarrow as pa
import pytest
from PIL import Image

import mm_tokenize_batcher as mtb
from mm_tokenize_batcher import _native
from mm_tokenize_batcher.arrow import plan_arrow, plan_buffers
from mm_tokenize_batcher.urls import image_sizes_from_urls
from image_server import ImageServer

REPO = Path(__file__).resolve().parents[3]
PHOTOS = REPO / "packages" / "mm-tokenize-batcher" / "test" / "fixtures" / "photos"
EXIF = REPO / "test" / "fixtures" / "suites" / "exif-orientation-examples"
SIZES = mtb.seed_benchmark_sizes(700, 6)


def sizes_table(sizes=SIZES, chunks=1):
    n = len(sizes)
    cut = [n * k // chunks for k in range(chunks + 1)]
    batches = [
        pa.record_batch({"row": pa.array(range(a, b), pa.int64()), "height": pa.array([h for h, _ in sizes[a:b]], pa.int32()), "width": pa.array([float(w) for _, w in sizes[a:b]], pa.float64())})
        for a, b in zip(cut, cut[1:])
    ]
    return pa.Table.from_batches(batches)


def plan_of(table):
    return [(r, b, (h, w)) for r, b, h, w in zip(*(table.column(c).to_pylist() for c in ("row", "batch", "resize_height", "resize_width")))]


@pytest.mark.parametrize("strategy", mtb.strategy_names)
def test_the_arrow_plan_is_the_batchers_plan_whatever_the_chunks(strategy):
    batcher = mtb.create_batcher(strategy, batch_size=32)
    expected = [(i, b, batch["resize_size"]) for b, batch in enumerate(batcher([{"image": s} for s in SIZES])) for i in batch["indices"]]
    for chunks in (1, 7):
        assert plan_of(plan_arrow(sizes_table(chunks=chunks), batcher)) == expected
    shuffled = sizes_table().take(pa.array(list(range(699, -1, -1))))  # rows arrive in any order
    assert plan_of(plan_arrow(shuffled, batcher)) == expected


def test_bad_rows_are_rejects_naming_them_and_bad_columns_are_typed_errors():
    table = pa.table({"row": [10, 11, 12, 13], "height": pa.array([480, None, 640, 0], pa.int64()), "width": [640.0, 480.0, math.nan, 100.0]})
    plan = plan_arrow(table, mtb.SimpleBatcher(batch_size=2))
    rejected = {r: (c, m) for r, c, m in zip(*(plan.column(k).to_pylist() for k in ("row", "code", "message"))) if c}
    assert set(rejected) == {11, 12, 13}
    assert all(code == "INVALID_DIMENSIONS" and message.startswith(f"row {row}: ") for row, (code, message) in rejected.items())
    assert sorted(plan.column("row").to_pylist()) == [10, 11, 12, 13]
    with pytest.raises(mtb.BatcherError) as caught:
        plan_arrow(pa.table({"height": ["480"], "width": [640]}), mtb.SimpleBatcher(batch_size=2))
    assert caught.value.code == "INVALID_INPUT" and "height" in str(caught.value)
    with pytest.raises(mtb.BatcherError):
        plan_arrow(pa.table({"h": [1]}), mtb.SimpleBatcher(batch_size=2))


@pytest.mark.parametrize(
    "column, values, named",
    [("height", pa.array(["480"]), "utf8"), ("width", pa.array([[640]]), "list"), ("height", pa.nulls(1), "null"), ("row", pa.array([0.5]), "float64")],
    ids=["string", "list", "null type", "float rows"],
)
def test_wrong_column_types_are_typed_errors_naming_the_column(column, values, named):
    table = pa.table({"row": [0], "height": pa.array([480], pa.int32()), "width": [640.0]})
    table = table.set_column(table.column_names.index(column), column, values)
    with pytest.raises(mtb.BatcherError) as caught:
        plan_arrow(table, mtb.SimpleBatcher(batch_size=2))
    assert caught.value.code == "INVALID_INPUT"
    assert f"column `{column}`" in str(caught.value) and named in str(caught.value).lower()


def test_the_plan_comes_out_of_rust_without_a_copy():
    n = 1_000_000
    heights, widths = zip(*mtb.seed_benchmark_sizes(n, 5))
    table = pa.table({"row": pa.array(range(n), pa.int64()), "height": pa.array(heights, pa.int32()), "width": pa.array(widths, pa.int32())})
    batcher = mtb.SortedBatcher(batch_size=64)
    # pyarrow's allocator is not used for the plan: its buffers are the Rust core's.
    before = pa.total_allocated_bytes()
    plan = plan_arrow(table, batcher, buffer=3)
    assert plan.num_rows == n and plan.nbytes > 30 * n
    assert pa.total_allocated_bytes() - before < 1 << 20
    assert (numpy.sort(plan.column("row").to_numpy()) == numpy.arange(n)).all()
    # And the addresses pyarrow reads are those Rust wrote: the same memory, not a copy.
    native = _native.plan_arrow_buffer(batcher.strategy, batcher._wire, None, [table["height"].chunk(0).__arrow_c_array__()], [table["width"].chunk(0).__arrow_c_array__()])
    batch = pa.record_batch(native)
    integer_columns = [name for name in batch.schema.names if pa.types.is_integer(batch.schema.field(name).type)]
    assert len(integer_columns) == 7
    addresses = dict(zip(batch.schema.names, native.value_addresses()))
    assert [batch.column(name).buffers()[1].address for name in integer_columns] == [addresses[name] for name in integer_columns]


def test_sizes_from_a_column_of_paths(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not an image")
    paths = [str(EXIF / "Landscape_6.jpg"), str(notes), str(PHOTOS / "coffee.png"), str(tmp_path / "gone.jpg")]
    plan = plan_arrow(pa.table({"path": paths}), mtb.SimpleBatcher(batch_size=4), image="path")
    codes = dict(zip(plan.column("row").to_pylist(), plan.column("code").to_pylist()))
    assert codes == {0: None, 1: "UNSUPPORTED_IMAGE", 2: None, 3: "READ_FAILED"}


def test_buffers_are_cut_by_row_number():
    table = sizes_table(chunks=5)
    plan = plan_buffers(table, mtb.BalancedBatcher(batch_size=16), buffer_size=256)
    assert sorted(plan.column("row").to_pylist()) == list(range(700))
    buffers = dict(zip(plan.column("row").to_pylist(), plan.column("buffer").to_pylist()))
    assert all(buffers[r] == r // 256 for r in buffers)


def encoded(fmt, size, **save):
    out = io.BytesIO()
    Image.new("RGB", size).save(out, format=fmt, **save)
    return out.getvalue()


def test_sizes_from_urls_with_range_requests_a_concurrency_limit_and_rejects():
    big_exif = (EXIF / "Landscape_6.jpg").read_bytes()
    files = {"a.png": encoded("PNG", (64, 48)), "b.jpg": encoded("JPEG", (30, 20)), "exif.jpg": big_exif, "bad.bin": b"not an image at all" * 10}
    with ImageServer(files, delay=0.05) as server:
        urls = [f"{server.url}/range/{name}" for name in files] + [f"{server.url}/full/a.png", f"{server.url}/missing/a.png", "http://127.0.0.1:9/refused.png"]
        sizes = image_sizes_from_urls(urls, concurrency=2)
        assert server.most_in_flight <= 2
    assert sizes[0]["height"] == 48 and sizes[0]["width"] == 64
    assert (sizes[1]["height"], sizes[1]["width"]) == (20, 30)
    assert (sizes[2]["height"], sizes[2]["width"]) == (1200, 1800)  # EXIF 6: upright
    assert sizes[3]["code"] == "UNSUPPORTED_IMAGE"
    assert (sizes[4]["height"], sizes[4]["width"]) == (48, 64)
    assert sizes[5]["code"] == "READ_FAILED" and "HTTP 404" in sizes[5]["message"] and sizes[5]["message"].startswith("url 5: ")
    assert sizes[6]["code"] == "READ_FAILED"
    assert sizes[0]["bytes_read"] <= 2048
    with ImageServer(files, delay=0.5) as slow:
        late = image_sizes_from_urls([f"{slow.url}/range/a.png"], timeout_ms=100)
    assert late[0]["code"] == "TIMEOUT"


def test_plan_from_a_column_of_urls():
    files = {f"{i}.png": encoded("PNG", (40 + i, 30)) for i in range(10)}
    with ImageServer(files) as server:
        urls = [f"{server.url}/range/{i}.png" for i in range(10)] + [f"{server.url}/missing/x.png"]
        plan = plan_arrow(pa.table({"url": urls}), mtb.SortedBatcher(batch_size=4), url="url", concurrency=3)
    codes = dict(zip(plan.column("row").to_pylist(), plan.column("code").to_pylist()))
    assert codes[10] == "READ_FAILED" and all(codes[i] is None for i in range(10))
