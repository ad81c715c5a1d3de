"""Identical plans: the conformance cases of test/conformance/conformance.js, run from Python, must
hash to the very values in test/conformance/golden.json that every JS runtime of the matrix
prints (same inputs, same options, same JSON text, same SHA-256)."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import pytest

import mm_tokenize_batcher as mtb
from jsjson import mulberry32, sha256, stringify

REPO = Path(__file__).resolve().parents[3]
CONFORMANCE = REPO / "test" / "conformance"
GOLDEN = json.loads((CONFORMANCE / "golden.json").read_text())


def dimension_samples() -> List[Dict[str, Any]]:
    next_ = mulberry32(20260806)
    out = []
    for i in range(257):
        width = 64 + int(next_() * 3000)
        height = 64 + int(next_() * 3000)
        if i % 17 == 0:
            height = max(1, width // 9)
        if i % 23 == 0:
            width = max(1, height // 7)
        if i == 5:
            width, height = 1, 1
        if i == 6:
            width, height = 10000, 8000
        out.append({"image": {"width": width, "height": height}, "text": f"caption {i}", "id": i})
    return out


class Shaped:
    """An array-like image (numpy's or a tensor's ``shape``: ``(height, width, channels)``)."""

    def __init__(self, shape: Tuple[int, int, int]) -> None:
        self.shape = shape


def image_kind_samples() -> List[Dict[str, Any]]:
    """The conformance script's image kinds, as their Python counterparts: the same sizes through
    each form the Python adapter reads without decoding."""
    from PIL import Image

    next_ = mulberry32(7)
    kinds: List[Callable[[int, int], Any]] = [
        lambda w, h: {"width": w, "height": h},
        lambda w, h: (h, w),
        lambda w, h: Image.new("1", (w, h)),
        lambda w, h: Shaped((h, w, 3)),
    ]
    out = []
    for i in range(96):
        w = 100 + int(next_() * 1500)
        h = 100 + int(next_() * 1500)
        out.append({"image": kinds[i % 4](w, h), "text": f"t{i}" if i % 3 else None, "extra": {"i": i}})
    return out


def describe(buffer: List[Any], batches: mtb.Batches, batch_size: Any) -> Dict[str, Any]:
    plan = []
    for batch in batches:
        for j, index in enumerate(batch["indices"]):
            assert batch["samples"][j] is buffer[index]
            assert batch["images"][j] is buffer[index]["image"]
        plan.append({"indices": batch["indices"], "resizeSize": list(batch["resize_size"]), "texts": batch["texts"]})
    seen = {i for b in batches for i in b["indices"]} | {r["index"] for r in batches.rejects}
    assert len(seen) == len(buffer), "every sample batched or rejected"
    rejects = [[r["index"], r["code"], r["message"]] for r in batches.rejects]
    metrics = js_metrics(mtb.evaluate(batches, batch_size=batch_size)) if batches else None
    return {"plan": plan, "rejects": rejects, "metrics": metrics}


def js_metrics(m: Dict[str, Any]) -> Dict[str, Any]:
    """The metrics under the npm package's names, in its order."""
    names = {"scale_mismatch": "scaleMismatch", "resize_waste": "resizeWaste", "aspect_spread": "aspectSpread", "token_fill": "tokenFill"}
    return {names.get(k, k): v for k, v in m.items()}


def encoded_images() -> List[Tuple[str, int, int, bytes]]:
    text = (CONFORMANCE / "conformance.js").read_text()
    block = text.split("// BEGIN GENERATED IMAGES")[1].split("// END GENERATED IMAGES")[0]
    rows = re.findall(r"\['([^']+)', (\d+), (\d+), '([^']+)'\]", block)
    assert len(rows) == 8
    return [(name, int(w), int(h), base64.b64decode(b64)) for name, w, h, b64 in rows]


def encoded_samples() -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
    """Each image as ``bytes``, ``bytearray`` and a ``memoryview`` inside a larger buffer (the
    script's Uint8Array, ArrayBuffer and offset view), with its dimension twin."""
    encoded, twins = [], []
    for k, (name, width, height, data) in enumerate(encoded_images()):
        padded = bytearray(7) + data + bytearray(6)
        for form, image in (("u8", data), ("ab", bytearray(data)), ("view", memoryview(padded)[7 : 7 + len(data)])):
            encoded.append({"image": image, "text": f"{name}/{form}", "id": k})
            twins.append({"image": {"width": width, "height": height}, "text": f"{name}/{form}", "id": k})
    return encoded, twins


def planning_cases() -> List[Tuple[str, Callable[[], Any]]]:
    dims = dimension_samples()
    seed = mtb.seed_benchmark_samples(600, 3)
    kinds = image_kind_samples()

    def plan(cls: Any, options: Dict[str, Any], buffer: List[Any]) -> Any:
        return describe(buffer, cls(**options)(buffer), options.get("batch_size"))

    def custom_key(sample: Any, index: int) -> int:
        return ((sample.get("id", index)) * 7919) % 101

    S, So, C, B = mtb.SimpleBatcher, mtb.SortedBatcher, mtb.ClusteredBatcher, mtb.BalancedBatcher
    return [
        ("seed-samples", lambda: [[s["image"]["height"], s["image"]["width"]] for s in seed]),
        ("simple/dims/bs8", lambda: plan(S, {"batch_size": 8}, dims)),
        ("simple/seed/bs32/m28", lambda: plan(S, {"batch_size": 32, "multiple_of": 28}, seed)),
        ("simple/kinds/bs10/pixels", lambda: plan(S, {"batch_size": 10, "min_pixels": 200_000, "max_pixels": 800_000}, kinds)),
        ("sorted-aspect/dims/bs16", lambda: plan(So, {"batch_size": 16}, dims)),
        ("sorted-aspect/seed/bs32/m28", lambda: plan(So, {"batch_size": 32, "multiple_of": 28}, seed)),
        ("sorted-area/dims/bs16/m28", lambda: plan(So, {"batch_size": 16, "key": "area", "multiple_of": 28}, dims)),
        ("sorted-custom/dims/bs12", lambda: plan(So, {"batch_size": 12, "key": custom_key}, dims)),
        ("sorted-aspect/kinds/bs8/max", lambda: plan(So, {"batch_size": 8, "multiple_of": 14, "max_pixels": 448 * 448}, kinds)),
        ("clustered/seed/bs32/seed0", lambda: plan(C, {"batch_size": 32}, seed)),
        ("clustered/seed/bs32/m28/seed7", lambda: plan(C, {"batch_size": 32, "multiple_of": 28, "seed": 7}, seed)),
        ("clustered/dims/bs16/k9/it50", lambda: plan(C, {"batch_size": 16, "num_clusters": 9, "max_iterations": 50, "seed": 11}, dims)),
        ("clustered/kinds/bs8/seed3", lambda: plan(C, {"batch_size": 8, "seed": 3, "min_pixels": 100_000}, kinds)),
        ("balanced/seed/bs32", lambda: plan(B, {"batch_size": 32}, seed)),
        ("balanced/seed/bs32/m28/fill1", lambda: plan(B, {"batch_size": 32, "multiple_of": 28, "min_fill": 1}, seed)),
        ("balanced/dims/bs8/median", lambda: plan(B, {"batch_size": 8, "sizing": "median", "refine_passes": 2}, dims)),
        ("simple/seed/minimax", lambda: plan(S, {"batch_size": 32, "sizing": "minimax"}, seed)),
        ("tokens/sorted/p14", lambda: plan(So, {"max_tokens": 8192, "patch_size": 14}, seed)),
        ("tokens/clustered/p16/bs24", lambda: plan(C, {"max_tokens": 12000, "patch_size": 16, "batch_size": 24}, seed)),
        ("tokens/balanced/p14", lambda: plan(B, {"max_tokens": 8192, "patch_size": 14}, seed)),
        ("shapes/clustered/4", lambda: plan(C, {"batch_size": 32, "multiple_of": 28, "max_shapes": 4}, seed)),
        ("shapes/balanced/tokens/3", lambda: plan(B, {"max_tokens": 8192, "patch_size": 14, "max_shapes": 3}, seed)),
        ("packing/ffd-and-next-fit", lambda: [packed(mtb.TokenPacker(max_tokens=8192, patch_size=14, algorithm=algorithm), seed) for algorithm in ("first-fit-decreasing", "next-fit")]),
        ("empty", lambda: plan(C, {"batch_size": 8}, [])),
    ]


def packed(packer: mtb.TokenPacker, buffer: List[Any]) -> Dict[str, Any]:
    """Packs as the conformance script records them."""
    packs = packer(buffer)
    return {"packs": [[p["indices"], [list(s) for s in p["sizes"]], p["tokens"]] for p in packs], "padding": packs.padding}


def camel(options: Dict[str, Any]) -> Dict[str, Any]:
    """Batcher options under the npm package's names, in its order."""
    return {re.sub(r"_([a-z])", lambda m: m.group(1).upper(), k): v for k, v in options.items()}


def dataset_cases() -> List[Tuple[str, Callable[[], Any]]]:
    seed = mtb.seed_benchmark_samples(700, 9)

    def streamed(**options: Any) -> Any:
        return [[b["step"], b["rank"], list(b["resize_size"]), b["indices"]] for b in mtb.batch_stream(iter(seed), **options)]

    def ranks(world_size: int, leftover: str) -> Any:
        out = []
        for rank in range(world_size):
            batches = mtb.batch_for_rank(mtb.ClusteredBatcher(batch_size=16, multiple_of=28, seed=2), seed, world_size=world_size, rank=rank, leftover=leftover)
            out.append([[b["step"], b["indices"], list(b["resize_size"]), b["padding"]] for b in batches])
        return out

    def shuffled(name: str) -> Any:
        batcher = mtb.create_batcher(name, batch_size=16, multiple_of=14, shuffle=True, shuffle_seed=20260806)
        return [[[b["indices"], list(b["resize_size"])] for b in batcher(seed, epoch=epoch)] for epoch in (0, 1, 7)]

    def registered(name: str) -> Any:
        return {
            "plan": [[b["indices"], list(b["resize_size"])] for b in mtb.create_batcher(name, batch_size=16)(seed)],
            "stream": streamed(strategy=name, batch_size=16, buffer_size=256, carry=True),
            "ranks": [[b["step"], b["indices"], list(b["resize_size"])] for b in mtb.batch_for_rank(mtb.create_batcher(name, batch_size=16), seed, world_size=2, rank=1)],
        }

    cases: List[Tuple[str, Callable[[], Any]]] = [
        ("stream/sorted/buffer128", lambda: streamed(batcher=mtb.SortedBatcher(batch_size=16), buffer_size=128)),
        ("stream/balanced/carry", lambda: streamed(batcher=mtb.BalancedBatcher(batch_size=16, multiple_of=28), buffer_size=200, carry=True)),
        ("stream/clustered/ranks3", lambda: streamed(batcher=mtb.ClusteredBatcher(batch_size=16, seed=1), buffer_size=256, world_size=3, rank=1)),
        ("ranks/4/split", lambda: ranks(4, "split")),
        ("ranks/3/pad", lambda: ranks(3, "pad")),
        ("presets", lambda: [[name, camel(mtb.preset_options(name))] for name in mtb.preset_names]),
        ("qwen2-vl/plan", lambda: [[b["indices"], list(b["resize_size"])] for b in mtb.SortedBatcher(batch_size=16, **mtb.preset_options("qwen2-vl"))(seed)]),
        ("smart-resize", lambda: [list(mtb.smart_resize(h, w)) for h, w in [(1080, 1920), (28, 28), (3000, 100), (10, 10), (4000, 3000)]]),
    ]
    cases += [(f"shuffle/{name}", (lambda n=name: shuffled(n))) for name in mtb.strategy_names]
    cases += [
        (
            "shuffle/ranks/3",
            lambda: [
                [[b["step"], b["indices"], list(b["resize_size"])] for b in mtb.batch_for_rank(mtb.ClusteredBatcher(batch_size=16, seed=2), seed, world_size=3, rank=rank, shuffle=True, shuffle_seed=5, epoch=4)]
                for rank in range(3)
            ],
        ),
        ("shuffle/stream/buffer", lambda: streamed(batcher=mtb.BalancedBatcher(batch_size=16), buffer_size=128, shuffle=True, shuffle_seed=9, epoch=2, shuffle_buffer=300)),
        ("shuffle/stream/ranks2", lambda: streamed(strategy="sorted", batch_size=16, buffer_size=256, carry=True, world_size=2, rank=1, shuffle=True, shuffle_buffer=100)),
    ]
    def members(on: bool) -> Any:
        # 40 shapes five times each: batches of one shape share a size, so members can move.
        photos = [s for s in seed[:40] for _ in range(5)]
        batcher = mtb.SortedBatcher(batch_size=8, multiple_of=28, shuffle=True, shuffle_seed=77, shuffle_members=on)
        ranks = [[[b["step"], b["indices"], list(b["resize_size"]), b.get("padding") or 0] for b in mtb.batch_for_rank(batcher, photos, world_size=2, rank=rank, epoch=3)] for rank in (0, 1)]
        return [[[[b["indices"], list(b["resize_size"])] for b in batcher(photos, epoch=epoch)] for epoch in (0, 1)], ranks]

    cases += [
        ("shuffle/members/on", lambda: members(True)),
        ("shuffle/members/off", lambda: members(False)),
        ("shuffle/members/stream", lambda: streamed(strategy="balanced", batch_size=8, multiple_of=28, buffer_size=200, shuffle=True, shuffle_seed=4, epoch=5)),
    ]
    cases += [(f"registry/{name}", (lambda n=name: registered(n))) for name in mtb.strategy_names]
    return cases


def imaging_cases() -> List[Tuple[str, Callable[[], Any]]]:
    """The cases of encoded images that need no decoding: headers read in Rust from bytes."""
    encoded, twins = encoded_samples()
    S, So, C, B = mtb.SimpleBatcher, mtb.SortedBatcher, mtb.ClusteredBatcher, mtb.BalancedBatcher

    def custom_key(sample: Any, index: int) -> int:
        return (sample["id"] * 7919) % 13

    strategies = [
        ("simple/bs4", S, {"batch_size": 4}),
        ("simple/bs5/m4/minimax", S, {"batch_size": 5, "multiple_of": 4, "sizing": "minimax"}),
        ("sorted-aspect/bs4", So, {"batch_size": 4}),
        ("sorted-area/bs6/m2", So, {"batch_size": 6, "key": "area", "multiple_of": 2}),
        ("sorted-custom/bs3", So, {"batch_size": 3, "key": custom_key}),
        ("clustered/bs4/seed1", C, {"batch_size": 4, "seed": 1}),
        ("clustered/bs6/k3/m4", C, {"batch_size": 6, "num_clusters": 3, "multiple_of": 4, "seed": 9}),
        ("balanced/bs4", B, {"batch_size": 4}),
        ("balanced/bs6/median", B, {"batch_size": 6, "sizing": "median"}),
        ("tokens/sorted/p2", So, {"max_tokens": 200, "patch_size": 2}),
        ("tokens/clustered/p2", C, {"max_tokens": 240, "patch_size": 2, "batch_size": 8}),
    ]

    def plan_both(cls: Any, options: Dict[str, Any]) -> Any:
        from_bytes = describe(encoded, cls(**options)(encoded), options.get("batch_size"))
        from_twins = describe(twins, cls(**options)(twins), options.get("batch_size"))
        assert stringify(from_bytes) == stringify(from_twins)
        return from_bytes

    def invalid_skipped() -> Any:
        images = encoded_images()
        png = images[0][3]
        buffer = [{"image": png}, {"image": png[:12]}, {"image": b"GIF89a"}, {"image": bytes(40)}, {"image": bytearray()}, {"image": images[5][3]}]
        return describe(buffer, S(batch_size=4, skip_invalid=True)(buffer), 4)

    def packing() -> Any:
        packer = mtb.TokenPacker(max_tokens=120, patch_size=2)
        from_bytes = packed(packer, encoded)
        assert stringify(from_bytes) == stringify(packed(packer, twins))
        return from_bytes

    cases: List[Tuple[str, Callable[[], Any]]] = [(f"imaging/encoded-vs-twins/{name}", (lambda c=cls, o=options: plan_both(c, o))) for name, cls, options in strategies]
    cases.append(("imaging/encoded/packing", packing))
    cases.append(("imaging/encoded/invalid-skipped", invalid_skipped))
    return cases


CASES = planning_cases() + dataset_cases() + imaging_cases()

# The golden cases not run from Python, and why: each needs a part of the npm package the wheel
# does not have, or holds JS-only values (error messages name options in camelCase there).
NOT_FROM_PYTHON = {
    "skip/simple": "JS-only inputs (a string image is a path in Python; JS null and numbers as samples)",
    "skip/sorted-custom": "as skip/simple",
    "skip/clustered/m28": "as skip/simple",
    "throws": "messages name options in camelCase in JS, snake_case in Python",
    "imaging/encoded/sizes": "JS constructor names",
    "imaging/tensor/uint8-nhwc": "decoding: the imaging module is not in the wheel",
    "imaging/tensor/float32-nchw-clip": "decoding",
    "imaging/tensor/every-image": "decoding",
    "imaging/tensor/augment": "decoding",
    "imaging/tensor/qwen2-vl-patches": "decoding",
    "urls/stub": "a JS fetch stub",
}


@pytest.mark.parametrize("name,run", CASES, ids=[name for name, _ in CASES])
def test_case_hash_is_the_golden_one(name: str, run: Callable[[], Any]) -> None:
    assert name in GOLDEN["cases"], f"{name} is not a conformance case"
    assert sha256(stringify(run())) == GOLDEN["cases"][name]


def test_every_golden_case_is_run_or_named() -> None:
    run = {name for name, _ in CASES}
    assert set(GOLDEN["cases"]) == run | set(NOT_FROM_PYTHON)
    assert not run & set(NOT_FROM_PYTHON)


def test_the_golden_hash_holds_with_the_python_case_hashes() -> None:
    """The matrix's one hash, recomputed over every case in order with the hashes computed here
    for the cases Python runs (the golden ones for the rest)."""
    hashes = {name: sha256(stringify(run())) for name, run in CASES}
    lines = "".join(f"{name} {hashes.get(name, golden)}\n" for name, golden in GOLDEN["cases"].items())
    assert sha256(lines) == GOLDEN["hash"]
