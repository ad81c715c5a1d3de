"""The seed's batchers over the Rust core: ``ClusteredBatcher(batch_size=32)(buffer)``.

Options are keyword arguments in snake_case, handed to Rust as they are (the binding turns each
name into the core's camelCase, and the core's one option reader checks names, types, ranges and
defaults). Planning a buffer is one call into Rust."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Union

from . import _native
from ._images import Sizes, buffer_sizes, collect
from .errors import batcher_error

Sample = Mapping[str, Any]
Batch = Dict[str, Any]


class Batches(List[Batch]):
    """The batches of one buffer (dicts: ``images``, ``texts``, ``samples``, ``indices``,
    ``resize_size``), plus ``rejects``: the samples left out with ``skip_invalid=True``, as dicts
    ``index``, ``code``, ``format``, ``detail``, ``message``. With ranks, also ``steps``,
    ``dropped``, ``held`` and ``empty``, and each batch has ``step``, ``rank`` and ``padding``."""

    rejects: List[Dict[str, Any]]
    steps: int
    dropped: List[int]
    held: List[int]
    empty: int


def _wire_options(options: Mapping[str, Any]) -> Dict[str, Any]:
    """Options as Rust reads them: a key function is named ``"custom"`` (its values cross as keys)."""
    return {name: ("custom" if name == "key" and callable(value) else value) for name, value in options.items()}


def _shuffle_request(epoch: Optional[int], shuffle: Optional[bool], shuffle_seed: Optional[int]) -> Optional[Dict[str, Any]]:
    request = {k: v for k, v in (("epoch", epoch), ("shuffle", shuffle), ("shuffle_seed", shuffle_seed)) if v is not None}
    return request or None


class Batcher:
    """Shared by every strategy: read sizes, cross into Rust once, shape the result."""

    #: The strategy's name in the Rust registry.
    strategy: str = ""

    def __init__(self, batch_size: Optional[int] = None, **options: Any) -> None:
        if batch_size is not None:
            options = {"batch_size": batch_size, **options}
        self.options: Mapping[str, Any] = MappingProxyType(dict(options))
        self._wire = _wire_options(options)
        #: ``batch_size``, or 1 when only a token budget bounds batches.
        self.batch_size: int = _native.check_options(self.strategy, self._wire)

    def __reduce__(self) -> Any:
        # Picklable (Ray, Spark and DataLoader workers ship batchers to other processes).
        return (_rebuild, (self.strategy, dict(self.options)))

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self.options.items())
        return f"{type(self).__name__}({shown})"

    def __call__(self, buffer: Sequence[Sample], *, epoch: Optional[int] = None, shuffle: Optional[bool] = None, shuffle_seed: Optional[int] = None) -> Batches:
        """Groups ``buffer`` into batches of similar shape and sizes each (the seed's call)."""
        return self.batch(buffer, epoch=epoch, shuffle=shuffle, shuffle_seed=shuffle_seed)

    def batch(self, buffer: Sequence[Sample], *, epoch: Optional[int] = None, shuffle: Optional[bool] = None, shuffle_seed: Optional[int] = None) -> Batches:
        """As calling the batcher; ``epoch`` (and ``shuffle``, ``shuffle_seed``) override the
        batcher's shuffle options for this call: a shuffled epoch permutes the batch order."""
        plan = self.plan(buffer, _shuffle_request(epoch, shuffle, shuffle_seed))
        return _shape(plan, buffer, ranks=False)

    def plan(self, buffer: Sequence[Sample], request: Optional[Mapping[str, Any]] = None, pinned: Optional[Sequence[bool]] = None, sizes: Optional[Sizes] = None) -> Dict[str, Any]:
        """The plan as Rust returns it (lists by input index; batch ``b`` is rank ``b %
        world_size``'s, step ``b // world_size``). ``request``: ranks, carry-over, shuffle."""
        if sizes is None:
            sizes = buffer_sizes(buffer)
        keys = self._custom_keys(buffer, sizes)
        return _native.plan_buffer(self.strategy, self._wire, dict(request) if request else None, sizes.widths, sizes.heights, keys, list(pinned) if pinned is not None else None, sizes.problems)

    def _custom_keys(self, buffer: Sequence[Sample], sizes: Sizes) -> Optional[List[float]]:
        return None


class SimpleBatcher(Batcher):
    """Contiguous batches in input order."""

    strategy = "simple"


class SortedBatcher(Batcher):
    """Sorts by aspect ratio (``key="aspect"``), area (``"area"``) or your own key
    (``key=lambda sample, index: number``), then cuts consecutive batches."""

    strategy = "sorted"

    def _custom_keys(self, buffer: Sequence[Sample], sizes: Sizes) -> Optional[List[float]]:
        key = self.options.get("key")
        if not callable(key):
            return None
        skip = {p[0] for p in sizes.problems}
        keys = [0.0] * len(buffer)
        for i in range(len(buffer)):
            if i in skip:
                continue
            try:
                value = key(buffer[i], i)
            except Exception as cause:
                error = batcher_error("INVALID_KEY", f"sample {i}: the key function raised {type(cause).__name__}: {cause}", index=i)
                raise error from cause
            keys[i] = float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else float("nan")
        return keys


class ClusteredBatcher(Batcher):
    """k-means on (ln aspect, ln area), clusters cut into batches, then quality passes."""

    strategy = "clustered"


class BalancedBatcher(Batcher):
    """Full batches without losing quality: balanced bisection, refined; never worse than the
    recursive median split in p95 or max resize waste."""

    strategy = "balanced"


_CLASSES = {c.strategy: c for c in (SimpleBatcher, SortedBatcher, ClusteredBatcher, BalancedBatcher)}

#: Every strategy the Rust registry lists (each has its class above).
strategy_names = tuple(s["name"] for s in _native.registry()["strategies"])


def create_batcher(strategy: str, **options: Any) -> Batcher:
    """A batcher by its registry name (``"simple"``, ``"sorted"``, ``"clustered"``, ``"balanced"``)."""
    cls = _CLASSES.get(strategy)
    if cls is None:
        _native.check_options(strategy, {})  # the core names the known strategies
        raise batcher_error("INVALID_OPTION", f"option `strategy` must be one of {', '.join(strategy_names)}", option="strategy")
    return cls(**options)


def _rebuild(strategy: str, options: Dict[str, Any]) -> Batcher:
    return _CLASSES[strategy](**options)


def _batch(plan: Mapping[str, Any], b: int, buffer: Sequence[Sample]) -> Batch:
    order, offsets = plan["order"], plan["offsets"]
    indices = order[offsets[b] : offsets[b + 1]]
    samples = [buffer[i] for i in indices]
    return {
        "images": [s["image"] for s in samples],
        "texts": [s.get("text") if type(s) is dict or hasattr(s, "get") else None for s in samples],
        "samples": samples,
        "indices": indices,
        "resize_size": (plan["heights"][b], plan["widths"][b]),
    }


def _shape(plan: Mapping[str, Any], buffer: Sequence[Sample], ranks: bool, rank: int = 0, step_base: int = 0) -> Batches:
    out = Batches()
    world = plan["world_size"] if ranks else 1
    for b in range(rank if ranks else 0, len(plan["offsets"]) - 1, world):
        batch = _batch(plan, b, buffer)
        if ranks:
            batch["step"] = step_base + b // world
            batch["rank"] = rank
            batch["padding"] = plan["padding"][b]
        out.append(batch)
    out.rejects = plan["rejects"]
    out.steps = (len(plan["offsets"]) - 1) // max(world, 1)
    out.dropped = plan["dropped"]
    out.held = plan["held"]
    out.empty = plan["empty"]
    return out


def batch_for_rank(batcher: Batcher, buffer: Sequence[Sample], *, world_size: int, rank: int, leftover: Optional[str] = None, epoch: Optional[int] = None, shuffle: Optional[bool] = None, shuffle_seed: Optional[int] = None) -> Batches:
    """Rank ``rank``'s batches of one plan dealt to ``world_size`` ranks: every rank the same
    number of steps, one ``resize_size`` per step across ranks. ``leftover``: ``"split"``
    (default), ``"pad"``, ``"drop"`` or ``"hold"``."""
    request: Dict[str, Any] = {"world_size": world_size, "rank": rank}
    if leftover is not None:
        request["leftover"] = leftover
    request.update(_shuffle_request(epoch, shuffle, shuffle_seed) or {})
    plan = batcher.plan(buffer, request)
    return _shape(plan, buffer, ranks=True, rank=rank)


def evaluate(batches: Iterable[Mapping[str, Any]], *, batch_size: Optional[int] = None, max_tokens: Optional[int] = None, patch_size: Optional[int] = None) -> Dict[str, Any]:
    """The SPEC metrics of batches (each with ``images`` and ``resize_size``): ``images``,
    ``batches``, ``fill``, ``distortion``, ``scale_mismatch``, ``resize_waste`` (each ``p50``,
    ``p95``, ``max``), ``aspect_spread``, and ``token_fill`` with a token budget."""
    batches = list(batches)
    try:
        images = [im for b in batches for im in b["images"]]
        resize = [tuple(b["resize_size"]) for b in batches]
    except (KeyError, TypeError):
        raise batcher_error("INVALID_INPUT", "evaluate takes a list of batches, each with `images` and `resize_size` (what a batcher returns)") from None
    sizes = collect(images, samples=False)
    offsets = [0]
    for b in batches:
        offsets.append(offsets[-1] + len(b["images"]))
    options = {k: v for k, v in (("batch_size", batch_size), ("max_tokens", max_tokens), ("patch_size", patch_size)) if v is not None}
    return _native.evaluate(sizes.widths, sizes.heights, offsets, [float(h) for h, _ in resize], [float(w) for _, w in resize], options, sizes.problems)


def image_sizes(images: Sequence[Any], *, skip_invalid: bool = False) -> List[Any]:
    """``(height, width)`` of each image (paths and bytes: read from the header, EXIF-upright;
    PIL images: their upright size). A bad image raises ``BatcherError`` naming it, or with
    ``skip_invalid=True`` its entry is the reject dict (``index``, ``code``, ``message``)."""
    sizes = collect(images, samples=False)
    problems = {p[0]: p for p in sizes.problems}
    out: List[Any] = []
    for i in range(len(images)):
        p = problems.get(i)
        if p is None:
            out.append((int(sizes.heights[i]), int(sizes.widths[i])))
            continue
        message = f"image {i}: {p[2] + ': ' if p[2] else ''}{p[3]}"
        if not skip_invalid:
            error = batcher_error(p[1], message, index=i)
            error.format, error.detail = p[2], p[3]  # type: ignore[attr-defined]
            raise error
        out.append({"index": i, "code": p[1], "format": p[2], "detail": p[3], "message": message})
    return out
