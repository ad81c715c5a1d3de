"""The batch sampler and the streaming dataset, against the protocol torch's DataLoader uses
(``batch_sampler``: an iterable of index lists with ``__len__``; the dataset indexed by each
index; batches pickled to worker processes). torch itself is not installed here: PyPI's torch
wheel pulls the CUDA runtime (gigabytes) and its CPU wheel index is not reachable; the protocol
is exercised with real worker processes (multiprocessing) instead."""

from __future__ import annotations

import multiprocessing
import pickle

import pytest

import mm_tokenize_batcher as mtb
from mm_tokenize_batcher.sampler import ShapeBatchSampler, SizedIndex, WithResizeSize

SIZES = mtb.seed_benchmark_sizes(1000, 4)


class Dataset:
    """A map-style dataset as torch sees one: ``__len__`` and ``__getitem__(int)``."""

    def __len__(self):
        return len(SIZES)

    def __getitem__(self, i):
        h, w = SIZES[i]
        return {"id": i, "height": h, "width": w}


def collate(items):
    """A collate_fn that needs its batch's size: every item arrives with it."""
    sizes = {size for _, size in items}
    assert len(sizes) == 1
    return {"ids": [item["id"] for item, _ in items], "resize_size": sizes.pop()}


def load(dataset, batch_sampler, collate_fn):
    """What DataLoader(dataset, batch_sampler=..., collate_fn=...) does with num_workers=0."""
    return [collate_fn([dataset[i] for i in batch]) for batch in batch_sampler]


def fetch(args):
    dataset, batch = args
    return collate([dataset[i] for i in batch])


def test_every_item_once_per_epoch_with_its_batch_size():
    sampler = ShapeBatchSampler(SIZES, mtb.BalancedBatcher(batch_size=32))
    batches = load(WithResizeSize(Dataset()), sampler, collate)
    assert len(batches) == len(sampler)
    assert sorted(i for b in batches for i in b["ids"]) == list(range(len(SIZES)))
    plan = mtb.BalancedBatcher(batch_size=32)([{"image": s} for s in SIZES])
    assert [(b["ids"], b["resize_size"]) for b in batches] == [(p["indices"], p["resize_size"]) for p in plan]


def test_resize_size_reaches_collate_in_worker_processes():
    sampler = ShapeBatchSampler(SIZES, mtb.ClusteredBatcher(batch_size=16), shuffle=True, seed=3)
    dataset = WithResizeSize(Dataset())
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        from_workers = pool.map(fetch, [(dataset, batch) for batch in sampler])
    assert from_workers == load(dataset, sampler, collate)
    index = SizedIndex(7, (224, 336))
    assert pickle.loads(pickle.dumps(index)).resize_size == (224, 336) and pickle.loads(pickle.dumps(index)) == 7


def test_shuffled_epochs_are_the_npm_packages_permutation():
    # The batcher's shuffled batches are the golden ones of every JS runtime (test_conformance).
    sampler = ShapeBatchSampler(SIZES, mtb.SortedBatcher(batch_size=16), shuffle=True, seed=11)
    buffer = [{"image": s} for s in SIZES]
    orders = []
    for epoch in (0, 1, 2):
        sampler.set_epoch(epoch)
        expected = mtb.SortedBatcher(batch_size=16, shuffle=True, shuffle_seed=11)(buffer, epoch=epoch)
        got = [list(map(int, b)) for b in sampler]
        assert got == [b["indices"] for b in expected]
        orders.append(got)
    assert orders[0] != orders[1] != orders[2]
    assert sorted(map(tuple, orders[0])) == sorted(map(tuple, orders[1]))


@pytest.mark.parametrize("leftover", ["split", "pad", "drop"])
def test_every_rank_gets_the_same_steps_and_sizes(leftover):
    world = 3
    samplers = [ShapeBatchSampler(SIZES, mtb.ClusteredBatcher(batch_size=16), world_size=world, rank=r, leftover=leftover, shuffle=True, seed=1) for r in range(world)]
    for s in samplers:
        s.set_epoch(5)
    per_rank = [list(s) for s in samplers]
    assert len({len(s) for s in samplers}) == 1
    assert len({len(b) for b in per_rank}) == 1
    for step in zip(*per_rank):
        assert len({b[0].resize_size for b in step}) == 1
    seen = [int(i) for rank in per_rank for b in rank for i in b]
    if leftover == "split":
        assert sorted(seen) == list(range(len(SIZES)))


def test_drop_last_keeps_only_full_steps_and_buffers_plan_apart():
    sampler = ShapeBatchSampler(SIZES, mtb.SimpleBatcher(batch_size=48), buffer_size=300, drop_last=True, world_size=2, rank=1)
    batches = list(sampler)
    assert batches and all(len(b) == 48 for b in batches)
    assert len(batches) == len(sampler)
    # Buffers are planned on their own: no batch spans two buffers.
    assert all(len({int(i) // 300 for i in b}) == 1 for b in batches)


def test_bad_options_fail_at_construction():
    with pytest.raises(mtb.BatcherError) as caught:
        ShapeBatchSampler(SIZES, mtb.SimpleBatcher(batch_size=4), world_size=2, rank=2)
    assert caught.value.option == "rank"


def test_streaming_gives_the_streams_batches_to_each_worker_once():
    samples = [{"image": s, "text": str(i)} for i, s in enumerate(SIZES)]
    whole = list(mtb.batch_stream(iter(samples), strategy="balanced", batch_size=32, buffer_size=256, carry=True))
    assert sorted(i for b in whole for i in b["indices"]) == list(range(len(samples)))
    assert all(b["texts"] == [str(i) for i in b["indices"]] for b in whole)
    assert [b["step"] for b in whole] == list(range(len(whole)))
