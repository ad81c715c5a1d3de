"""The batch sampler and the streaming dataset in torch's real ``DataLoader``: batches of indices
from ``batch_sampler`` sent to worker processes (``num_workers=2``) with their batch's
``resize_size``, epochs, ranks; ``iterable_dataset`` streamed by 0 and 2 workers."""

from __future__ import annotations

import pickle

import pytest
import torch.utils.data as data

import mm_tokenize_batcher as mtb
from mm_tokenize_batcher.sampler import ShapeBatchSampler, SizedIndex, WithResizeSize, iterable_dataset

SIZES = mtb.seed_benchmark_sizes(1000, 4)


class Dataset(data.Dataset):
    """A map-style dataset: one record per size."""

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


def load(sampler, num_workers=0):
    """The real DataLoader over the sized dataset, batches from ``sampler``."""
    loader = data.DataLoader(WithResizeSize(Dataset()), batch_sampler=sampler, collate_fn=collate, num_workers=num_workers)
    assert len(loader) == len(sampler)
    return list(loader)


def test_every_item_once_per_epoch_with_its_batch_size():
    sampler = ShapeBatchSampler(SIZES, mtb.BalancedBatcher(batch_size=32))
    batches = load(sampler)
    assert sorted(i for b in batches for i in b["ids"]) == list(range(len(SIZES)))
    plan = mtb.BalancedBatcher(batch_size=32)([{"image": s} for s in SIZES])
    assert [(b["ids"], b["resize_size"]) for b in batches] == [(p["indices"], p["resize_size"]) for p in plan]


def test_resize_size_reaches_collate_in_worker_processes():
    sampler = ShapeBatchSampler(SIZES, mtb.ClusteredBatcher(batch_size=16), shuffle=True, seed=3)
    sampler.set_epoch(2)
    from_workers = load(sampler, num_workers=2)  # indices pickled to 2 worker processes
    in_process = load(sampler)
    assert from_workers == in_process
    assert sorted(i for b in from_workers for i in b["ids"]) == list(range(len(SIZES)))
    assert [b["resize_size"] for b in from_workers] == [batch[0].resize_size for batch in sampler]
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
        got = [b["ids"] for b in load(sampler)]
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
    per_rank = [load(s, num_workers=2 if r == 1 else 0) for r, s in enumerate(samplers)]
    assert len({len(s) for s in samplers}) == 1
    assert len({len(b) for b in per_rank}) == 1
    for step in zip(*per_rank):
        assert len({b["resize_size"] for b in step}) == 1
    seen = [i for rank in per_rank for b in rank for i in b["ids"]]
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


def samples():
    return ({"image": s, "text": str(i)} for i, s in enumerate(SIZES))


@pytest.mark.parametrize("num_workers", [0, 2])
def test_streaming_gives_every_batch_exactly_once_whatever_the_workers(num_workers):
    options = dict(strategy="balanced", batch_size=32, buffer_size=256, carry=True)
    whole = list(mtb.batch_stream(samples(), **options))
    assert sorted(i for b in whole for i in b["indices"]) == list(range(len(SIZES)))
    loader = data.DataLoader(iterable_dataset(samples, **options), batch_size=None, num_workers=num_workers)
    loaded = list(loader)
    # Workers take turns (batch k from worker k % n), as the DataLoader reads them.
    assert [(b["indices"], tuple(b["resize_size"]), b["step"]) for b in loaded] == [(b["indices"], tuple(b["resize_size"]), b["step"]) for b in whole]
    assert all(b["texts"] == [str(i) for i in b["indices"]] for b in loaded)
