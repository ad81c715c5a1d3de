"""The Rust core (crates/python/src/lib.rs). Option names are snake_case; the binding turns them
into the core's camelCase. Every function raises :class:`BatcherError` on bad input."""

from os import PathLike
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

class BatcherError(ValueError):
    code: str
    index: Optional[int]
    option: Optional[str]
    format: Optional[str]
    detail: Optional[str]

Known = Sequence[Tuple[int, str, Optional[str], str]]
BytesLike = Union[bytes, bytearray, memoryview]
SizesResult = Tuple[List[float], List[float], List[int], List[Dict[str, Any]]]

def plan_buffer(
    strategy: str,
    options: Mapping[str, Any],
    buffer_options: Optional[Mapping[str, Any]],
    widths: Sequence[float],
    heights: Sequence[float],
    keys: Optional[Sequence[float]] = None,
    pinned: Optional[Sequence[bool]] = None,
    known: Optional[Known] = None,
) -> Dict[str, Any]: ...

# Arrow (crates/python/src/arrow.rs): columns as `__arrow_c_array__()` capsule pairs, one per chunk.
ArrowChunks = Sequence[Tuple[Any, Any]]

class ArrowPlan:
    """One buffer's plan as an Arrow record batch held by Rust: ``pyarrow.record_batch(plan)``."""

    def __arrow_c_array__(self, requested_schema: Any = None) -> Tuple[Any, Any]: ...
    def __len__(self) -> int: ...
    def value_addresses(self) -> List[int]: ...

def plan_arrow_buffer(
    strategy: str,
    options: Mapping[str, Any],
    buffer_options: Optional[Mapping[str, Any]],
    heights: ArrowChunks,
    widths: ArrowChunks,
    rows: Optional[ArrowChunks] = None,
    buffer: Optional[int] = None,
    known: Optional[Known] = None,
) -> ArrowPlan: ...

def check_options(strategy: str, options: Mapping[str, Any]) -> int: ...
def check_buffer_options(buffer_options: Mapping[str, Any]) -> None: ...
def stream_options(options: Mapping[str, Any], others: Sequence[str], strategy: str, batcher_options: Mapping[str, Any]) -> Dict[str, Any]: ...
def shuffle_draws(seed: int, epoch: int, start: int, count: int, bound: int) -> List[int]: ...
def shuffle_drain(seed: int, epoch: int, n: int) -> List[int]: ...
def collect_sizes(
    items: Sequence[Any], samples: bool, path_like: type, fallback: Any
) -> Tuple[List[float], List[float], List[Tuple[int, str, str]], List[int], List[Any], List[int], List[Any], List[int]]: ...
def image_sizes_from_bytes(images: Sequence[BytesLike]) -> SizesResult: ...
def image_sizes_from_files(paths: Sequence[Union[str, "PathLike[str]"]]) -> SizesResult: ...
def evaluate(
    widths: Sequence[float],
    heights: Sequence[float],
    offsets: Sequence[int],
    size_heights: Sequence[float],
    size_widths: Sequence[float],
    options: Optional[Mapping[str, Any]] = None,
    known: Optional[Known] = None,
) -> Dict[str, Any]: ...
def smart_resize(height: float, width: float, options: Optional[Mapping[str, Any]] = None) -> Tuple[int, int]: ...
def seed_benchmark_sizes(count: int, seed: int) -> List[Tuple[int, int]]: ...
def registry() -> Dict[str, Any]: ...
def presets() -> List[Dict[str, Any]]: ...
def preset(name: str) -> Dict[str, Any]: ...
def preset_options(preset: Union[str, Mapping[str, Any]]) -> Dict[str, Any]: ...
def preset_from_config(config: Mapping[str, Any], name: Optional[str] = None, patch_size: Optional[int] = None) -> Dict[str, Any]: ...
def check_pack_options(options: Mapping[str, Any]) -> None: ...
def pack(options: Mapping[str, Any], widths: Sequence[float], heights: Sequence[float], known: Optional[Known] = None) -> Dict[str, Any]: ...
