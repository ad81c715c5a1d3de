"""The seed's API from Python: samples as dicts with PIL images, tuples, paths and bytes; batches
as dicts; every option in snake_case, read and checked by the Rust core; typed errors."""

from __future__ import annotations

import io
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

import mm_tokenize_batcher as mtb
from mm_tokenize_batcher import BalancedBatcher, BatcherError, ClusteredBatcher, SimpleBatcher, SortedBatcher

REPO = Path(__file__).resolve().parents[3]
PHOTOS = REPO / "packages" / "mm-tokenize-batcher" / "test" / "fixtures" / "photos"
EXIF = REPO / "test" / "fixtures" / "suites" / "exif-orientation-examples"


def pil_buffer(n: int = 80):
    sizes = mtb.seed_benchmark_sizes(n, 1)
    return [{"image": Image.new("L", (w // 8, h // 8)), "text": f"caption {i}"} for i, (h, w) in enumerate(sizes)]


def test_the_seed_readme_example_runs_unchanged():
    buffer = pil_buffer()
    batcher = ClusteredBatcher(batch_size=32)
    batches = batcher(buffer)
    assert sorted(i for b in batches for i in b["indices"]) == list(range(len(buffer)))
    for batch in batches:
        h, w = batch["resize_size"]
        assert h > 0 and w > 0
        assert batch["images"] == [buffer[i]["image"] for i in batch["indices"]]
        assert batch["texts"] == [buffer[i]["text"] for i in batch["indices"]]
        assert len(batch["images"]) <= 32


@pytest.mark.parametrize("cls", [SimpleBatcher, SortedBatcher, ClusteredBatcher, BalancedBatcher])
def test_every_image_form_gives_the_plan_of_its_size(cls, tmp_path):
    sizes = mtb.seed_benchmark_sizes(40, 5)
    as_tuples = [{"image": (h, w)} for h, w in sizes]
    as_pil = [{"image": Image.new("1", (w, h))} for h, w in sizes]
    files = []
    for i, (h, w) in enumerate(sizes):
        out = io.BytesIO()
        Image.new("1", (w, h)).save(out, format=["PNG", "GIF", "BMP"][i % 3])
        files.append(out.getvalue())
    as_bytes = [{"image": f} for f in files]
    paths = []
    for i, data in enumerate(files):
        p = tmp_path / f"{i}.img"
        p.write_bytes(data)
        paths.append(p if i % 2 else str(p))
    as_paths = [{"image": p} for p in paths]
    plans = [[(b["indices"], b["resize_size"]) for b in cls(batch_size=8)(buffer)] for buffer in (as_tuples, as_pil, as_bytes, as_paths)]
    assert plans[1:] == [plans[0]] * 3


def test_pil_images_and_files_are_read_upright():
    # Real camera-style JPEGs with EXIF orientation 6 and 8 (stored sideways).
    for name in ("Landscape_6.jpg", "Portrait_8.jpg"):
        expected = json.loads((EXIF / "expected.json").read_text())[name]
        upright = (expected["height"], expected["width"])
        assert mtb.image_sizes([EXIF / name]) == [upright]
        assert mtb.image_sizes([(EXIF / name).read_bytes()]) == [upright]
        with Image.open(EXIF / name) as im:
            assert mtb.image_sizes([im]) == [upright]
            assert im.size != (upright[1], upright[0])  # PIL's own size is the stored one


def test_header_reading_matches_pillow_on_the_photo_fixtures():
    photos = sorted(p for p in PHOTOS.iterdir() if p.suffix in (".jpg", ".png", ".gif", ".webp", ".bmp"))
    assert photos
    for p in photos:
        with Image.open(p) as im:
            w, h = im.size
            if im.getexif().get(0x0112, 1) in (5, 6, 7, 8):
                w, h = h, w
        assert mtb.image_sizes([p]) == [(h, w)], p.name


def test_bad_inputs_are_typed_errors_naming_the_sample(tmp_path):
    not_an_image = tmp_path / "notes.txt"
    not_an_image.write_text("hello")
    good = {"image": (480, 640)}
    cases = [
        ([good, {"image": str(not_an_image)}], "UNSUPPORTED_IMAGE", 1),
        ([good, good, {"image": str(tmp_path / "missing.jpg")}], "READ_FAILED", 2),
        ([{"image": (math.nan, 10)}], "INVALID_DIMENSIONS", 0),
        ([good, {"text": "no image"}], "MISSING_IMAGE", 1),
        ([good, {"image": object()}], "UNSUPPORTED_IMAGE", 1),
        ([good, {"image": b"\x89PNG\r\n\x1a\n\x00"}], "INVALID_IMAGE", 1),
    ]
    for buffer, code, index in cases:
        with pytest.raises(BatcherError) as caught:
            SimpleBatcher(batch_size=4)(buffer)
        assert (caught.value.code, caught.value.index) == (code, index), str(caught.value)
        assert str(caught.value).startswith(f"sample {index}: ")
        batches = SimpleBatcher(batch_size=4, skip_invalid=True)(buffer)
        assert [r["index"] for r in batches.rejects] == [index]
        assert sorted(i for b in batches for i in b["indices"]) == [i for i in range(len(buffer)) if i != index]
    with pytest.raises(BatcherError) as caught:
        SimpleBatcher(batch_size=4)("not a list")
    assert caught.value.code == "INVALID_INPUT"


def test_options_are_snake_case_and_checked_by_the_core():
    with pytest.raises(BatcherError) as caught:
        ClusteredBatcher(batch_size=4, colour="red")
    e = caught.value
    assert (e.code, e.option) == ("INVALID_OPTION", "colour")
    assert "batch_size" in str(e) and "num_clusters" in str(e) and "batchSize" not in str(e)
    with pytest.raises(BatcherError) as caught:
        SimpleBatcher(batch_size=0)
    assert (caught.value.option, str(caught.value)) == ("batch_size", "option `batch_size` must be a whole number from 1 to 2147483647, got 0")
    with pytest.raises(BatcherError) as caught:
        BalancedBatcher(batch_size=4, min_fill=0)
    assert caught.value.option == "min_fill"
    with pytest.raises(BatcherError) as caught:
        SortedBatcher(batch_size=4, key="height")
    assert caught.value.option == "key"
    # Every option name of the registry is accepted in snake_case by its strategy.
    registry = mtb._native.registry()
    assert "batch_size" in registry["common_options"]
    for strategy in registry["strategies"]:
        assert all(name == name.lower() for name in strategy["options"])


def test_a_key_function_that_raises_names_the_sample():
    def key(sample, index):
        if index == 3:
            raise RuntimeError("boom")
        return index

    with pytest.raises(BatcherError) as caught:
        SortedBatcher(batch_size=2, key=key)([{"image": (10, 10)}] * 5)
    assert (caught.value.code, caught.value.index) == ("INVALID_KEY", 3)


def test_evaluate_scores_batches_with_the_spec_metrics():
    buffer = [{"image": (h, w)} for h, w in mtb.seed_benchmark_sizes(512, 0)]
    simple = mtb.evaluate(SimpleBatcher(batch_size=32)(buffer), batch_size=32)
    balanced = mtb.evaluate(BalancedBatcher(batch_size=32)(buffer), batch_size=32)
    assert simple["images"] == balanced["images"] == 512
    assert balanced["resize_waste"]["p95"] < simple["resize_waste"]["p95"]
    assert set(simple) >= {"fill", "distortion", "scale_mismatch", "resize_waste", "aspect_spread"}
    with pytest.raises(BatcherError):
        mtb.evaluate([{"images": [(10, 10)]}])


def test_ranks_get_the_same_number_of_steps_and_one_size_per_step():
    buffer = [{"image": (h, w)} for h, w in mtb.seed_benchmark_sizes(300, 2)]
    batcher = ClusteredBatcher(batch_size=16)
    per_rank = [mtb.batch_for_rank(batcher, buffer, world_size=3, rank=r) for r in range(3)]
    assert len({len(b) for b in per_rank}) == 1
    for step in zip(*per_rank):
        assert len({b["resize_size"] for b in step}) == 1
    assert sorted(i for rank in per_rank for b in rank for i in b["indices"]) == list(range(300))


def test_importing_the_package_imports_neither_torch_nor_pyarrow():
    code = "import sys, mm_tokenize_batcher, mm_tokenize_batcher.sampler, mm_tokenize_batcher.arrow, mm_tokenize_batcher.engines; print(sorted(m for m in ('torch', 'pyarrow') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "[]"
