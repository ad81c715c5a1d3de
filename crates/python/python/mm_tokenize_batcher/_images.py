"""Image sizes from what users put in a buffer: PIL images (size, EXIF orientation), ``(height,
width)`` tuples, mappings with ``width``/``height``, numpy arrays ``(H, W[, C])``, paths and
encoded bytes (headers read in Rust, by the prefix ladder). Only adapts: every check of a size's
value is the Rust core's."""

from __future__ import annotations

import math
import os
from typing import Any, List, Optional, Sequence, Tuple

from . import _native

NAN = math.nan

#: EXIF orientations that turn the image a quarter (its upright width is its stored height).
_QUARTER_TURNS = (5, 6, 7, 8)
_EXIF_ORIENTATION = 0x0112

# (index, code, format, detail): what the core takes as problems found before planning.
Problem = Tuple[int, str, Optional[str], str]


class Sizes:
    """A buffer's sizes as the planner takes them: widths, heights (NaN where none could be read)
    and the problems, by ascending index."""

    __slots__ = ("widths", "heights", "problems")

    def __init__(self, widths: List[float], heights: List[float], problems: List[Problem]):
        self.widths = widths
        self.heights = heights
        self.problems = problems


def _number_name(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, str):
        return f"the string {value[:24]!r}"
    return f"a {type(value).__name__}"


def _pair(width: Any, height: Any) -> Tuple[float, float] | Tuple[str, str]:
    for name, value in (("width", width), ("height", height)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) and not hasattr(value, "__index__") and not hasattr(value, "__float__"):
            return ("INVALID_DIMENSIONS", f"image {name} is not a number: got {_number_name(value)}")
    return (float(width), float(height))


def _pil_size(image: Any) -> Tuple[float, float]:
    width, height = image.size
    orientation = 1
    # Parsing EXIF costs more than planning: only images that came with a block (PIL keeps it in
    # `info` for JPEG, PNG, WebP; TIFF holds orientation in its own tags) are asked.
    if "exif" in image.info or getattr(image, "format", None) == "TIFF":
        try:
            orientation = image.getexif().get(_EXIF_ORIENTATION, 1)
        except Exception:  # an EXIF block PIL cannot parse: the stored size, as PIL shows it
            orientation = 1
    if orientation in _QUARTER_TURNS:
        width, height = height, width
    return (float(width), float(height))


def image_size(image: Any) -> Tuple[float, float] | Tuple[str, str]:
    """``(width, height)`` of an image that is not a path or bytes, or ``(code, detail)``."""
    if image is None:
        return ("MISSING_IMAGE", "sample has no `image`")
    if hasattr(image, "getexif") and hasattr(image, "size"):
        return _pil_size(image)
    if isinstance(image, (tuple, list)):
        if len(image) != 2:
            return ("INVALID_DIMENSIONS", f"a size tuple must be (height, width), got {len(image)} values")
        return _pair(image[1], image[0])
    if isinstance(image, dict):
        return _pair(image.get("width"), image.get("height"))
    shape = getattr(image, "shape", None)
    if isinstance(shape, tuple) and len(shape) in (2, 3):
        return _pair(shape[1], shape[0])
    width, height = getattr(image, "width", None), getattr(image, "height", None)
    if width is not None or height is not None:
        return _pair(width, height)
    return ("UNSUPPORTED_IMAGE", f"image is a {type(image).__name__}; expected a PIL image, a (height, width) tuple, a path or encoded bytes")


def _is_bytes(image: Any) -> bool:
    return isinstance(image, (bytes, bytearray, memoryview))


def _is_path(image: Any) -> bool:
    return isinstance(image, (str, os.PathLike))


def _unsampled_problem(i: int, item: Any) -> Problem:
    if isinstance(item, dict) or hasattr(item, "keys"):
        return (i, "MISSING_IMAGE", None, "sample has no `image`")
    return (i, "MISSING_IMAGE", None, f"sample is {_number_name(item) if item is None else 'a ' + type(item).__name__}; expected a dict with an `image`")


def collect(items: Sequence[Any], samples: bool = True) -> Sizes:
    """The one pass over a buffer's images (``items``: samples holding one, or images). The
    common forms are read in Rust (``_native.collect_sizes``); every other image goes through
    :func:`image_size`; paths and bytes to the Rust header readers."""
    widths, heights, refused, unsampled, files, file_at, encoded, encoded_at = _native.collect_sizes(items, samples, os.PathLike, image_size)
    problems: List[Problem] = [(i, code, None, detail) for i, code, detail in refused]
    problems += [_unsampled_problem(i, items[i]) for i in unsampled]
    for read, images, at in (
        (_native.image_sizes_from_files, files, file_at),
        (_native.image_sizes_from_bytes, encoded, encoded_at),
    ):
        if not images:
            continue
        ws, hs, _orientations, failures = read(images)
        for k, i in enumerate(at):
            widths[i], heights[i] = ws[k], hs[k]
        for f in failures:
            problems.append((at[f["index"]], f["code"], f["format"], f["detail"]))
    problems.sort(key=lambda p: p[0])
    return Sizes(widths, heights, problems)


def buffer_sizes(buffer: Sequence[Any]) -> Sizes:
    if isinstance(buffer, (str, bytes, dict)) or not hasattr(buffer, "__len__") or not hasattr(buffer, "__getitem__"):
        from .errors import batcher_error

        raise batcher_error("INVALID_INPUT", f"buffer must be a list of samples, got {type(buffer).__name__}")
    return collect(buffer, samples=True)
