"""Model presets, ``preset_from_config`` and ``TokenPacker`` from Python: the Rust core's table,
rules and packing (the npm package's), with snake_case names and typed errors."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from PIL import Image

import mm_tokenize_batcher as mtb
from mm_tokenize_batcher import BatcherError, ClusteredBatcher, SortedBatcher, TokenPacker, preset, preset_from_config, preset_names, preset_options, presets

PHOTOS = Path(__file__).resolve().parents[3] / "packages" / "mm-tokenize-batcher" / "test" / "fixtures" / "photos"

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)

# The models' preprocessor_config.json as published (as in the npm package's transformers test).
CLIP_L14 = {
    "crop_size": 224,
    "do_center_crop": True,
    "do_normalize": True,
    "do_resize": True,
    "feature_extractor_type": "CLIPFeatureExtractor",
    "image_mean": list(CLIP_MEAN),
    "image_std": list(CLIP_STD),
    "resample": 3,
    "size": 224,
}
SIGLIP_384 = {
    "do_normalize": True,
    "do_rescale": True,
    "do_resize": True,
    "image_mean": [0.5, 0.5, 0.5],
    "image_processor_type": "SiglipImageProcessor",
    "image_std": [0.5, 0.5, 0.5],
    "processor_class": "SiglipProcessor",
    "resample": 3,
    "rescale_factor": 0.00392156862745098,
    "size": {"height": 384, "width": 384},
}
QWEN2_VL_7B = {
    "min_pixels": 3136,
    "max_pixels": 12845056,
    "patch_size": 14,
    "temporal_patch_size": 2,
    "merge_size": 2,
    "image_mean": list(CLIP_MEAN),
    "image_std": list(CLIP_STD),
    "image_processor_type": "Qwen2VLImageProcessor",
    "processor_class": "Qwen2VLProcessor",
}
SIGLIP2_NAFLEX = {
    "do_convert_rgb": None,
    "do_normalize": True,
    "do_rescale": True,
    "do_resize": True,
    "image_mean": [0.5, 0.5, 0.5],
    "image_processor_type": "Siglip2ImageProcessorFast",
    "image_std": [0.5, 0.5, 0.5],
    "max_num_patches": 256,
    "patch_size": 16,
    "processor_class": "Siglip2Processor",
    "resample": 2,
    "rescale_factor": 0.00392156862745098,
}


def test_the_built_in_presets_with_snake_case_fields():
    assert preset_names == ("clip-vit-l-14", "clip-vit-l-14-336", "siglip-so400m-14-384", "qwen2-vl")
    assert list(presets) == list(preset_names)
    clip = presets["clip-vit-l-14"]
    assert (clip["patch_size"], clip["multiple_of"], clip["min_pixels"], clip["max_pixels"]) == (14, 14, 224 * 224, 224 * 224)
    assert (clip["mean"], clip["std"], clip["normalize"], clip["native_size"]) == (CLIP_MEAN, CLIP_STD, "clip", (224, 224))
    assert presets["siglip-so400m-14-384"]["max_pixels"] == 378 * 378
    assert presets["siglip-so400m-14-384"]["mean"] == (0.5, 0.5, 0.5)
    qwen = preset("qwen2-vl")
    assert qwen is presets["qwen2-vl"]
    assert (qwen["multiple_of"], qwen["min_pixels"], qwen["max_pixels"], qwen["sizing"]) == (28, 3136, 1003520, "smart-resize")
    assert "native_size" not in qwen
    for p in presets.values():
        assert p["sources"] and p["rescale"] == pytest.approx(1 / 255, abs=1e-18)
        # The normalisation values are the registry's (the imaging table's), written once.
        assert mtb._native.registry()["normalize"][p["normalize"]] == {"mean": list(p["mean"]), "std": list(p["std"])}
        with pytest.raises(TypeError):
            p["patch_size"] = 16  # type: ignore[index]


def test_preset_options_spread_into_any_batcher():
    assert preset_options("qwen2-vl") == {"patch_size": 14, "multiple_of": 28, "min_pixels": 3136, "max_pixels": 1003520, "sizing": "smart-resize"}
    assert preset_options(presets["clip-vit-l-14"]) == {"patch_size": 14, "multiple_of": 14, "min_pixels": 50176, "max_pixels": 50176}
    buffer = mtb.seed_benchmark_samples(400, 2)
    for b in ClusteredBatcher(batch_size=32, **preset_options("qwen2-vl"))(buffer):
        h, w = b["resize_size"]
        assert h % 28 == 0 and w % 28 == 0 and 3136 <= h * w <= 1003520
    for b in ClusteredBatcher(batch_size=32, **preset_options("clip-vit-l-14"))(buffer):
        h, w = b["resize_size"]
        assert h % 14 == 0 and w % 14 == 0 and (h // 14) * (w // 14) <= 256


def test_a_batch_of_one_image_gets_exactly_smart_resize():
    shapes = [(480, 640), (70, 98), (1080, 1920), (30, 40)]
    batcher = SortedBatcher(batch_size=1, **preset_options("qwen2-vl"))
    for b in batcher([{"image": shape} for shape in shapes]):
        h, w = shapes[b["indices"][0]]
        assert b["resize_size"] == mtb.smart_resize(h, w)


@pytest.mark.parametrize("name", ["clip", "toString", "", 3, None])
def test_an_unknown_preset_is_invalid_option_preset(name):
    for call in (preset, preset_options):
        with pytest.raises(BatcherError) as caught:
            call(name)
        assert (caught.value.code, caught.value.option, caught.value.index) == ("INVALID_OPTION", "preset", None)
        assert 'must be one of "clip-vit-l-14", "clip-vit-l-14-336"' in str(caught.value)


def test_configs_of_the_built_in_models_give_the_built_in_presets():
    assert preset_options(preset_from_config(CLIP_L14, patch_size=14)) == preset_options("clip-vit-l-14")
    assert preset_options(preset_from_config({**CLIP_L14, "crop_size": 336, "size": 336, "patch_size": 14})) == preset_options("clip-vit-l-14-336")
    assert preset_options(preset_from_config(SIGLIP_384, patch_size=14)) == preset_options("siglip-so400m-14-384")
    assert preset_options(preset_from_config({**QWEN2_VL_7B, "max_pixels": 28 * 28 * 1280})) == preset_options("qwen2-vl")
    made = preset_from_config(QWEN2_VL_7B)
    assert (made["name"], made["max_pixels"], made["sizing"]) == ("Qwen2VLImageProcessor", 12845056, "smart-resize")
    assert (made["mean"], made["std"]) == (CLIP_MEAN, CLIP_STD)
    assert made["normalize"] == {"mean": CLIP_MEAN, "std": CLIP_STD}
    assert made["description"] == "Qwen2VLImageProcessor: smart_resize with factor 28 (patch 14 x merge 2), min_pixels 3136, max_pixels 12845056"
    siglip = preset_from_config(SIGLIP_384, patch_size=14, name="so400m")
    assert (siglip["name"], siglip["native_size"], siglip["rescale"]) == ("so400m", (384, 384), 0.00392156862745098)
    # Qwen2.5-VL's form: the pixel bounds in `size`.
    sized = {k: v for k, v in QWEN2_VL_7B.items() if k not in ("min_pixels", "max_pixels")}
    sized["size"] = {"shortest_edge": 3136, "longest_edge": 12845056}
    assert preset_options(preset_from_config(sized))["min_pixels"] == 3136


def test_siglip2_naflex_plans_256_patches_of_16():
    p = preset_from_config(SIGLIP2_NAFLEX)
    assert p["name"] == "Siglip2ImageProcessorFast"
    assert preset_options(p) == {"patch_size": 16, "multiple_of": 16, "max_pixels": 65536}
    buffer = [{"image": Image.open(PHOTOS / name)} for name in ("astronaut.jpg", "coffee.png")]
    [batch] = mtb.SimpleBatcher(batch_size=2, **preset_options(p))(buffer)
    h, w = batch["resize_size"]
    assert h % 16 == 0 and w % 16 == 0 and h * w <= 65536


@pytest.mark.parametrize(
    "config,options,code,option,message",
    [
        (None, {}, "INVALID_INPUT", None, "preset_from_config: takes the parsed preprocessor_config.json object"),
        ([1, 2], {}, "INVALID_INPUT", None, "takes the parsed preprocessor_config.json object"),
        (SIGLIP_384, {}, "INVALID_OPTION", "patch_size", "no patch_size (SigLIP and CLIP keep it in config.json: vision_config.patch_size): pass patch_size="),
        (CLIP_L14, {"patch_size": 14.5}, "INVALID_OPTION", "patch_size", "option `patch_size` must be a positive whole number, got 14.5"),
        (CLIP_L14, {"patch_size": 14, "name": 3}, "INVALID_OPTION", "name", "option `name` must be a string, got 3"),
        ({**CLIP_L14, "patch_size": 14, "image_std": [1, 2]}, {}, "INVALID_INPUT", None, "image_std must be 3 numbers (R, G, B) or one number, got [1,2]"),
        ({**QWEN2_VL_7B, "min_pixels": 10, "max_pixels": 5}, {}, "INVALID_INPUT", None, "min_pixels 10 is above max_pixels 5"),
        ({**QWEN2_VL_7B, "merge_size": "2"}, {}, "INVALID_INPUT", None, 'merge_size must be a positive whole number, got "2"'),
        ({k: v for k, v in CLIP_L14.items() if k not in ("size", "crop_size")}, {"patch_size": 14}, "INVALID_INPUT", None, "found none of"),
        ({**CLIP_L14, "patch_size": 14, "crop_size": None, "size": "big"}, {}, "INVALID_INPUT", None, 'size must be a number, { height, width } or { shortest_edge }, got "big"'),
        ({**CLIP_L14, "rescale_factor": None}, {"patch_size": 14}, "INVALID_INPUT", None, "rescale_factor must be a positive number, got null"),
    ],
)
def test_configs_it_cannot_read_are_batcher_errors(config, options, code, option, message):
    with pytest.raises(BatcherError) as caught:
        preset_from_config(config, **options)
    error = caught.value
    assert (error.code, error.option, error.index) == (code, option, None)
    assert str(error).startswith("preset_from_config: ")
    assert message in str(error)


def test_token_packer_packs_within_the_budget_first_fit_decreasing():
    seed = mtb.seed_benchmark_samples(600, 3)
    packer = TokenPacker(max_tokens=8192, patch_size=14)
    packs = packer(seed)
    assert sorted(i for p in packs for i in p["indices"]) == list(range(len(seed)))
    for p in packs:
        assert p["used_tokens"] == sum(p["tokens"]) <= 8192
        assert p["samples"] == [seed[i] for i in p["indices"]]
        for (h, w), tokens in zip(p["sizes"], p["tokens"]):
            assert h % 14 == 0 and w % 14 == 0 and tokens == (h // 14) * (w // 14)
    assert 0 <= packs.padding < 0.1 and packs.rejects == []
    next_fit = TokenPacker(max_tokens=8192, patch_size=14, algorithm="next-fit")(seed)
    assert len(next_fit) >= len(packs)
    assert pickle.loads(pickle.dumps(packer))(seed) == packs


def test_token_packer_errors_and_rejects():
    with pytest.raises(BatcherError) as caught:
        TokenPacker(max_tokens=8192)
    assert (caught.value.code, caught.value.option) == ("INVALID_OPTION", "patch_size")
    with pytest.raises(BatcherError) as caught:
        TokenPacker(max_tokens=8192, patch_size=14, algorithm="best-fit")
    assert caught.value.option == "algorithm"
    with pytest.raises(BatcherError) as caught:
        TokenPacker(max_tokens=8192, patch_size=14, colour="red")
    assert caught.value.option == "colour" and "known options:" in str(caught.value) and "max_tokens" in str(caught.value)
    too_big = [{"image": (224, 224)}, {"image": (5000, 5000)}, {"image": (float("nan"), 3)}]
    with pytest.raises(BatcherError) as caught:
        TokenPacker(max_tokens=300, patch_size=14)(too_big)
    assert caught.value.index == 1 and caught.value.code == "OVER_TOKEN_BUDGET"
    packs = TokenPacker(max_tokens=300, patch_size=14, skip_invalid=True)(too_big)
    assert [p["indices"] for p in packs] == [[0]]
    assert [(r["index"], r["code"]) for r in packs.rejects] == [(1, "OVER_TOKEN_BUDGET"), (2, "INVALID_DIMENSIONS")]
