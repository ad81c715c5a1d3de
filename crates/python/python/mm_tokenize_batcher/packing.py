"""``TokenPacker``: images at their own sizes packed into token budgets (for encoders that take a
concatenation of patch sequences). The packing and its options are the Rust core's
(``crates/core/src/packing.rs``), as in the npm package's ``TokenPacker``."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Dict, List, Mapping, Optional, Sequence

from . import _native
from ._images import buffer_sizes

__all__ = ["Pack", "Packs", "TokenPacker"]

Pack = Dict[str, Any]


class Packs(List[Pack]):
    """The packs of one buffer (dicts: ``samples``, ``images``, ``indices``, ``sizes`` (each
    image's ``(height, width)``, in whole patches), ``tokens`` (each image's), ``used_tokens``),
    plus ``rejects`` (images left out with ``skip_invalid=True``) and ``padding``: the share of
    the packs' token budget left empty."""

    rejects: List[Dict[str, Any]]
    padding: float


class TokenPacker:
    """Packs images, each at its own size (native, bounded by ``min_pixels`` / ``max_pixels``,
    rounded to ``multiple_of``), into packs of at most ``max_tokens`` tokens of ``patch_size``
    patches: ``algorithm`` ``"first-fit-decreasing"`` (default) or ``"next-fit"``."""

    def __init__(self, max_tokens: Optional[int] = None, patch_size: Optional[int] = None, **options: Any) -> None:
        given = {k: v for k, v in (("max_tokens", max_tokens), ("patch_size", patch_size)) if v is not None}
        self.options: Mapping[str, Any] = MappingProxyType({**given, **options})
        _native.check_pack_options(dict(self.options))  # bad options fail here, not at the first buffer

    def __reduce__(self) -> Any:
        return (_rebuild, (dict(self.options),))

    def __repr__(self) -> str:
        return f"TokenPacker({', '.join(f'{k}={v!r}' for k, v in self.options.items())})"

    def __call__(self, buffer: Sequence[Any]) -> Packs:
        return self.pack(buffer)

    def pack(self, buffer: Sequence[Any]) -> Packs:
        """Packs ``buffer`` (samples as the batchers take them)."""
        sizes = buffer_sizes(buffer)
        packed = _native.pack(dict(self.options), sizes.widths, sizes.heights, sizes.problems)
        order, offsets = packed["order"], packed["offsets"]
        out = Packs()
        for p in range(len(offsets) - 1):
            lo, hi = offsets[p], offsets[p + 1]
            indices = order[lo:hi]
            samples = [buffer[i] for i in indices]
            tokens = packed["tokens"][lo:hi]
            out.append(
                {
                    "samples": samples,
                    "images": [s["image"] for s in samples],
                    "indices": indices,
                    "sizes": list(zip(packed["heights"][lo:hi], packed["widths"][lo:hi])),
                    "tokens": tokens,
                    "used_tokens": sum(tokens),
                }
            )
        out.rejects = packed["rejects"]
        out.padding = packed["padding"]
        return out


def _rebuild(options: Dict[str, Any]) -> TokenPacker:
    return TokenPacker(**options)
