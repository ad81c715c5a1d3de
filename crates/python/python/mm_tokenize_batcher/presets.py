"""Model presets: the resolution rules of common vision encoders as batcher options, with the
normalisation each expects. The table and ``preset_from_config``'s rules are the Rust core's
(``crates/core/src/presets.rs``, the npm package's too); this module only shapes them.

>>> from mm_tokenize_batcher import ClusteredBatcher, preset_options, presets
>>> batcher = ClusteredBatcher(batch_size=32, **preset_options("qwen2-vl"))
>>> presets["qwen2-vl"]["mean"], presets["qwen2-vl"]["rescale"]
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Dict, Mapping, Optional, Tuple, Union

from . import _native

__all__ = ["Preset", "preset", "preset_from_config", "preset_names", "preset_options", "presets"]

#: A preset: ``name``, ``description``, ``patch_size``, ``multiple_of``, ``min_pixels``,
#: ``max_pixels``, ``sizing`` (the last three where the preset has them), ``native_size``
#: (``(height, width)``, where the model has one), ``rescale``, ``normalize``, ``mean``, ``std``
#: (3-tuples, after rescaling) and ``sources``.
Preset = Mapping[str, Any]

#: The built-in presets by name (read-only).
presets: Mapping[str, Preset] = MappingProxyType({p["name"]: MappingProxyType(p) for p in _native.presets()})

#: Their names, in order.
preset_names: Tuple[str, ...] = tuple(presets)


def preset(name: str) -> Preset:
    """The built-in preset ``name``; ``BatcherError`` (``INVALID_OPTION``, option ``"preset"``)
    listing the names for any other."""
    if isinstance(name, str) and name in presets:
        return presets[name]
    return presets[_native.preset(name)["name"]]  # raises: Rust names the known presets


def preset_options(preset: Union[str, Preset]) -> Dict[str, Any]:
    """A preset's sizing as batcher options (``patch_size``, ``multiple_of``, and where it has
    them ``min_pixels``, ``max_pixels``, ``sizing``), of a built-in preset by name or of a preset
    ``preset_from_config`` made: ``ClusteredBatcher(batch_size=32, **preset_options("qwen2-vl"))``."""
    return _native.preset_options(preset)


def preset_from_config(config: Mapping[str, Any], *, name: Optional[str] = None, patch_size: Optional[int] = None) -> Dict[str, Any]:
    """A preset from a model's ``preprocessor_config.json`` (the parsed dict), for models beyond
    the built-in four: Qwen2-VL style (``min_pixels`` / ``max_pixels``, ``merge_size``), NaFlex
    (``max_num_patches``) or fixed resolution (``crop_size`` / ``size``); ``normalize`` is
    ``{"mean", "std"}``. ``patch_size`` for configs without one (CLIP and SigLIP keep it in
    ``config.json``). Fields it cannot read raise ``BatcherError``."""
    return _native.preset_from_config(dict(config) if isinstance(config, Mapping) else config, name, patch_size)
