"""Shape-aware batching of images for vision-language models: the Rust core of the npm package
``mm-tokenize-batcher``, with the seed's Python API.

>>> from mm_tokenize_batcher import ClusteredBatcher
>>> batches = ClusteredBatcher(batch_size=32)(buffer)   # buffer: [{"image": PIL.Image, "text": ...}]
>>> h, w = batches[0]["resize_size"]

Importing this package imports neither torch nor pyarrow (``mm_tokenize_batcher.torch`` and
``mm_tokenize_batcher.arrow`` do, when used)."""

from ._native import BatcherError, seed_benchmark_sizes, smart_resize as _smart_resize
from .stream import BatchStream, batch_stream
from .packing import Packs, TokenPacker
from .presets import preset, preset_from_config, preset_names, preset_options, presets
from .batchers import (
    BalancedBatcher,
    Batcher,
    Batches,
    ClusteredBatcher,
    SimpleBatcher,
    SortedBatcher,
    batch_for_rank,
    create_batcher,
    evaluate,
    image_sizes,
    strategy_names,
)

__all__ = [
    "BalancedBatcher",
    "BatchStream",
    "batch_stream",
    "seed_benchmark_samples",
    "Batcher",
    "BatcherError",
    "Batches",
    "Packs",
    "ClusteredBatcher",
    "SimpleBatcher",
    "SortedBatcher",
    "TokenPacker",
    "batch_for_rank",
    "create_batcher",
    "evaluate",
    "image_sizes",
    "preset",
    "preset_from_config",
    "preset_names",
    "preset_options",
    "presets",
    "seed_benchmark_sizes",
    "smart_resize",
    "strategy_names",
]


def smart_resize(height: int, width: int, **options):  # type: ignore[no-untyped-def]
    """Qwen2-VL's ``smart_resize`` exactly (``factor``, ``min_pixels``, ``max_pixels``; ``None``
    for no bound; Qwen2-VL's values by default). Returns ``(height, width)``."""
    return _smart_resize(height, width, options)


def seed_benchmark_samples(count: int, seed: int = 0):  # type: ignore[no-untyped-def]
    """The SPEC seed benchmark's synthetic samples: ``{"image": {"height", "width"}}``."""
    return [{"image": {"height": h, "width": w}} for h, w in seed_benchmark_sizes(count, seed)]
