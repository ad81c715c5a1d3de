"""PyTorch data loading without importing torch: a batch sampler for
``DataLoader(batch_sampler=...)`` and a streaming ``IterableDataset`` (torch is imported only by
:func:`iterable_dataset`, when called).

Each batch the sampler yields is a list of :class:`SizedIndex` (an ``int`` that also carries its
batch's ``resize_size``), so a dataset wrapped in :class:`WithResizeSize` hands ``collate_fn``
every sample together with the size its batch is resized to, in DataLoader worker processes too
(the indices are pickled to the workers with their sizes)."""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from ._images import collect
from .batchers import Batcher
from . import _native


class SizedIndex(int):
    """A dataset index that carries its batch's ``resize_size`` ``(height, width)``."""

    resize_size: Tuple[int, int]

    def __new__(cls, index: int, resize_size: Tuple[int, int]) -> "SizedIndex":
        out = super().__new__(cls, index)
        out.resize_size = resize_size
        return out

    def __reduce__(self) -> Any:
        return (SizedIndex, (int(self), self.resize_size))

    def __repr__(self) -> str:
        return f"SizedIndex({int(self)}, resize_size={self.resize_size})"


class WithResizeSize:
    """A map-style dataset whose items come back as ``(item, resize_size)`` when indexed by a
    :class:`SizedIndex` (and as the item alone for a plain int)."""

    def __init__(self, dataset: Any) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> Any:
        item = self.dataset[int(index)]
        size = getattr(index, "resize_size", None)
        return item if size is None else (item, size)


class ShapeBatchSampler:
    """Batches of similar shape for ``DataLoader(dataset, batch_sampler=sampler)``.

    ``sizes``: one entry per dataset item, in any form a buffer's ``image`` takes (``(height,
    width)`` tuples, PIL images, paths, bytes); read once. The dataset is planned in consecutive
    buffers of ``buffer_size`` items (default: all of it), each on its own, as ``batcher`` plans.
    With ``world_size`` > 1 every rank plans the same buffers and takes its own batches: the same
    number of steps on every rank and one ``resize_size`` per step. ``shuffle`` permutes the steps
    of each buffer per epoch with the npm package's permutation (the core's, seeded by ``seed``,
    the epoch set by :meth:`set_epoch`, the buffer's number). ``drop_last`` leaves out the steps
    holding a batch shorter than ``batch_size``."""

    def __init__(self, sizes: Sequence[Any], batcher: Batcher, *, buffer_size: Optional[int] = None, world_size: int = 1, rank: int = 0, leftover: Optional[str] = None, shuffle: bool = False, seed: int = 0, drop_last: bool = False) -> None:
        read = collect(sizes, samples=False)
        self._widths, self._heights, self._problems = read.widths, read.heights, read.problems
        self.batcher = batcher
        self.buffer_size = buffer_size or max(len(sizes), 1)
        self.world_size, self.rank, self.leftover = world_size, rank, leftover
        self.shuffle, self.seed, self.drop_last = shuffle, seed, drop_last
        self.epoch = 0
        _native.check_buffer_options(self._request(0))  # options checked now, not at the first epoch
        self.rejects: List[Dict[str, Any]] = []
        self._cache: Optional[Tuple[int, List[List[SizedIndex]]]] = None

    def set_epoch(self, epoch: int) -> None:
        """The epoch whose permutation the next iteration uses (as ``DistributedSampler``)."""
        self.epoch = epoch

    def _request(self, buffer_index: int) -> Dict[str, Any]:
        request: Dict[str, Any] = {"world_size": self.world_size, "rank": self.rank}
        if self.leftover is not None:
            request["leftover"] = self.leftover
        if self.shuffle:
            request.update(shuffle=True, shuffle_seed=self.seed, epoch=self.epoch, buffer_index=buffer_index)
        return request

    def _batches(self) -> List[List[SizedIndex]]:
        if self._cache is not None and self._cache[0] == self.epoch:
            return self._cache[1]
        out: List[List[SizedIndex]] = []
        n = len(self._widths)
        for k, start in enumerate(range(0, n, self.buffer_size)):
            end = min(start + self.buffer_size, n)
            known = [(i - start, c, f, d) for (i, c, f, d) in self._problems if start <= i < end]
            plan = _native.plan_buffer(self.batcher.strategy, self.batcher._wire, self._request(k), self._widths[start:end], self._heights[start:end], None, None, known)
            if k == 0:
                self.rejects = []
            self.rejects += [{**r, "index": r["index"] + start} for r in plan["rejects"]]
            order, offsets, w = plan["order"], plan["offsets"], plan["world_size"]
            for s in range((len(offsets) - 1) // w):
                step = range(s * w, (s + 1) * w)
                if self.drop_last and any(offsets[b + 1] - offsets[b] < self.batcher.batch_size for b in step):
                    continue
                b = s * w + self.rank
                size = (plan["heights"][b], plan["widths"][b])
                out.append([SizedIndex(start + i, size) for i in order[offsets[b] : offsets[b + 1]]])
        self._cache = (self.epoch, out)
        return out

    def __iter__(self) -> Iterator[List[SizedIndex]]:
        return iter(self._batches())

    def __len__(self) -> int:
        return len(self._batches())


def iterable_dataset(source: Callable[[], Any], batcher: Optional[Batcher] = None, **options: Any) -> Any:
    """A ``torch.utils.data.IterableDataset`` of batches streamed from ``source()`` (called once
    per iteration, in each worker: an iterable of samples) by :func:`batch_stream` with these
    options. With several DataLoader workers, worker ``w`` of ``n`` yields the batches ``w, w + n,
    ...`` of the stream (each worker plans the same stream, so batches are the same whatever
    ``num_workers``). Use ``DataLoader(dataset, batch_size=None)``: each item is one batch dict."""
    import torch.utils.data as data  # only here: importing the package never imports torch

    from .stream import batch_stream

    class StreamedBatches(data.IterableDataset):  # type: ignore[misc, name-defined]
        def __iter__(self) -> Iterator[Dict[str, Any]]:
            info = data.get_worker_info()
            workers, worker = (info.num_workers, info.id) if info is not None else (1, 0)
            for k, batch in enumerate(batch_stream(source(), batcher, **options)):
                if k % workers == worker:
                    yield batch

    return StreamedBatches()
