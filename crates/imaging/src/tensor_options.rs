//! `toTensor`'s options, read once in Rust: names, defaults, ranges and presets live here only.
//! The TypeScript package passes the user's object through (adding `size` from the batch's
//! `resizeSize` when the caller gave none) and shapes what comes back.

use mm_batcher_core::defaults::{DefaultValue, OptionDefault, RuleText};
use mm_batcher_core::normalize::{Normalize, NORMALIZE_PRESETS};
use mm_batcher_core::options::OptionError;
use mm_batcher_core::options::{OptionMap, OptionReader, OptionValue, MAX_SAFE_INTEGER};
use mm_batcher_core::shuffle::{splitmix64, Purpose, Shuffle};

use crate::layout::{layout, Fit, Placement};

/// Default decompression-bomb limit: the shared [`mm_batcher_core::formats::MAX_IMAGE_PIXELS`]
/// (89,478,485 pixels, Pillow's own default; see there for the reasoning), the same limit header
/// reading and planning apply, so an image that plans also decodes by default.
pub const DEFAULT_MAX_INPUT_PIXELS: u64 = mm_batcher_core::formats::MAX_IMAGE_PIXELS;
/// Largest side of the output canvas.
pub const MAX_CANVAS_SIDE: u32 = 16_384;
/// Largest batch tensor, and largest batch of decoded pixels (the TF.js path): 1 GiB. wasm32 has
/// 4 GiB of memory at most, and running out of it is a trap, so this is checked before allocating.
pub const MAX_BATCH_BYTES: u64 = 1 << 30;
/// Largest `maxInputPixels` (2^40): far above any real image, well inside exact f64 integers.
const MAX_INPUT_PIXELS_LIMIT: f64 = 1_099_511_627_776.0;

/// Every option name `toTensor` takes (the TF.js path adds its own two in TypeScript).
pub const TENSOR_OPTIONS: &[&str] = &[
    "size",
    "mode",
    "filter",
    "dtype",
    "normalize",
    "padValue",
    "patchSize",
    "maxInputPixels",
    "shrinkOnLoad",
    "skipInvalid",
    "randomCrop",
    "randomFlip",
    "noUpscale",
    "augmentSeed",
    "epoch",
    "patches",
];

/// `patches`' own options (Qwen2-VL's `patch_size`, `merge_size`, `temporal_patch_size`).
pub const PATCHES_OPTIONS: &[&str] = &["patchSize", "mergeSize", "temporalPatchSize"];

/// Qwen2-VL's (and Qwen2.5-VL's) patch layout, as its image processor's config states it.
pub const QWEN2_VL_PATCHES: PatchLayout = PatchLayout {
    patch_size: 14,
    merge_size: 2,
    temporal_patch_size: 2,
};

/// `toTensor`'s defaults as the registry states them (`tensorDefaults().defaults`), read off
/// [`TensorSpec::new`], the one place they are set. `size` defaults to the batch's `resizeSize`.
pub fn tensor_defaults() -> Vec<OptionDefault> {
    let spec = TensorSpec::new(1, 1);
    let preset = NORMALIZE_PRESETS
        .iter()
        .find(|(_, n)| *n == spec.normalize)
        .map_or("custom", |(name, _)| name);
    let row = |option, value| OptionDefault {
        scope: "toTensor",
        option,
        value,
    };
    vec![
        row(
            "size",
            DefaultValue::Rule(RuleText {
                rule: "the batch's resizeSize",
            }),
        ),
        row("mode", DefaultValue::Choice(spec.mode.as_str())),
        row("filter", DefaultValue::Choice(spec.filter.as_str())),
        row("dtype", DefaultValue::Choice(spec.dtype.as_str())),
        row("normalize", DefaultValue::Choice(preset)),
        row(
            "padValue",
            DefaultValue::Number(f64::from(spec.pad_value[0])),
        ),
        row(
            "maxInputPixels",
            DefaultValue::Number(spec.max_input_pixels as f64),
        ),
        row("skipInvalid", DefaultValue::Bool(spec.skip_invalid)),
        row("shrinkOnLoad", DefaultValue::Bool(spec.shrink_on_load)),
        row("randomCrop", DefaultValue::Bool(spec.random_crop)),
        row("randomFlip", DefaultValue::Bool(spec.random_flip)),
        row("noUpscale", DefaultValue::Bool(spec.no_upscale)),
        row(
            "augmentSeed",
            DefaultValue::Number(spec.augment.seed as f64),
        ),
        row("epoch", DefaultValue::Number(spec.augment.epoch as f64)),
        row("patches", DefaultValue::Bool(spec.patches.is_some())),
        // `patches`' own object (PatchesOptions in TypeScript).
        OptionDefault {
            scope: "toTensor.patches",
            option: "patchSize",
            value: DefaultValue::Rule(RuleText {
                rule: "the patchSize option, else 14",
            }),
        },
        OptionDefault {
            scope: "toTensor.patches",
            option: "mergeSize",
            value: DefaultValue::Number(f64::from(QWEN2_VL_PATCHES.merge_size)),
        },
        OptionDefault {
            scope: "toTensor.patches",
            option: "temporalPatchSize",
            value: DefaultValue::Number(f64::from(QWEN2_VL_PATCHES.temporal_patch_size)),
        },
    ]
}

/// The flattened patch layout of Qwen2-VL's image processor: every `patch x patch` square of
/// every channel, repeated `temporal_patch_size` times (one still image is a clip of that many
/// equal frames), as one row; rows in `merge x merge` blocks, blocks in reading order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PatchLayout {
    pub patch_size: u32,
    pub merge_size: u32,
    pub temporal_patch_size: u32,
}

impl PatchLayout {
    /// Values in one row: `3 * temporal * patch^2` (1176 for Qwen2-VL).
    pub fn row_len(&self) -> usize {
        3 * self.temporal_patch_size as usize * (self.patch_size as usize).pow(2)
    }
}

/// `mode`: how an image fills the canvas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Fills the canvas, aspect not kept.
    Stretch,
    /// Keeps the aspect, pads the rest with `padValue`.
    Letterbox,
    /// Covers the canvas keeping the aspect, centre-cropped.
    Crop,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Stretch => "stretch",
            Mode::Letterbox => "letterbox",
            Mode::Crop => "crop",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    Bilinear,
    Bicubic,
    Lanczos3,
}

impl Filter {
    pub fn as_str(self) -> &'static str {
        match self {
            Filter::Bilinear => "bilinear",
            Filter::Bicubic => "bicubic",
            Filter::Lanczos3 => "lanczos3",
        }
    }

    pub(crate) fn fir(self) -> fast_image_resize::FilterType {
        match self {
            Filter::Bilinear => fast_image_resize::FilterType::Bilinear,
            // Catmull-Rom (a = -0.5), the cubic of libvips/sharp, PIL and OpenCV.
            Filter::Bicubic => fast_image_resize::FilterType::CatmullRom,
            Filter::Lanczos3 => fast_image_resize::FilterType::Lanczos3,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dtype {
    /// `u8`, NHWC, RGB: the resized pixels as they are.
    U8,
    /// `f32`, NCHW: `(pixel / 255 - mean) / std` per channel.
    F32,
}

impl Dtype {
    pub fn as_str(self) -> &'static str {
        match self {
            Dtype::U8 => "uint8",
            Dtype::F32 => "float32",
        }
    }
}

/// A validated tensor specification.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorSpec {
    pub height: u32,
    pub width: u32,
    pub mode: Mode,
    pub filter: Filter,
    pub dtype: Dtype,
    pub normalize: Normalize,
    /// Padding colour for `Letterbox`, in pixel units (normalised like pixels for f32).
    pub pad_value: [u8; 3],
    pub max_input_pixels: u64,
    /// The encoder's patch side: the size must be whole patches; the result gives the grid.
    pub patch_size: Option<u32>,
    /// Unreadable images become rejects instead of an error.
    pub skip_invalid: bool,
    /// JPEGs decoded at 1/2, 1/4 or 1/8 in the DCT domain when the target allows it (the rule:
    /// `shrink_denominator` in lib.rs). `false`: every pixel decoded, then resampled.
    pub shrink_on_load: bool,
    /// `Crop` mode: the crop window at a seeded random place instead of the centre.
    pub random_crop: bool,
    /// Each image mirrored left-right with probability 1/2, seeded.
    pub random_flip: bool,
    /// Never enlarge: an image smaller than the canvas keeps its size (see [`crate::Fit`]).
    pub no_upscale: bool,
    /// `augmentSeed` and `epoch`: with the image's buffer index, they decide its crop and flip.
    pub augment: Shuffle,
    /// Qwen2-VL's flattened patches instead of NCHW (f32 only).
    pub patches: Option<PatchLayout>,
}

impl TensorSpec {
    /// Stretch, bilinear, f32 with mean 0 and std 1 (values in [0, 1]), default bomb limit.
    pub fn new(height: u32, width: u32) -> Self {
        TensorSpec {
            height,
            width,
            mode: Mode::Stretch,
            filter: Filter::Bilinear,
            dtype: Dtype::F32,
            normalize: NORMALIZE_PRESETS[3].1,
            pad_value: [0; 3],
            max_input_pixels: DEFAULT_MAX_INPUT_PIXELS,
            patch_size: None,
            skip_invalid: false,
            shrink_on_load: true,
            random_crop: false,
            random_flip: false,
            no_upscale: false,
            augment: Shuffle { seed: 0, epoch: 0 },
            patches: None,
        }
    }

    /// Reads `toTensor`'s options (names as in TypeScript). Unknown names are refused.
    pub fn parse(entries: &OptionMap) -> Result<TensorSpec, OptionError> {
        let options = OptionReader::new(entries, &[TENSOR_OPTIONS], "of toTensor")?;
        let (height, width) = read_size(&options)?;
        let mut spec = TensorSpec::new(height, width);
        if let Some(mode) = options.choice(
            "mode",
            &[
                ("stretch", Mode::Stretch),
                ("letterbox", Mode::Letterbox),
                ("crop", Mode::Crop),
            ],
        )? {
            spec.mode = mode;
        }
        if let Some(filter) = options.choice(
            "filter",
            &[
                ("bilinear", Filter::Bilinear),
                ("bicubic", Filter::Bicubic),
                ("lanczos3", Filter::Lanczos3),
            ],
        )? {
            spec.filter = filter;
        }
        if let Some(dtype) =
            options.choice("dtype", &[("float32", Dtype::F32), ("uint8", Dtype::U8)])?
        {
            spec.dtype = dtype;
        }
        if let Some(normalize) = read_normalize(entries)? {
            if spec.dtype == Dtype::U8 {
                return Err(OptionError::new(
                    "normalize",
                    "applies to dtype 'float32' only; uint8 holds the pixels as they are",
                ));
            }
            spec.normalize = normalize;
        }
        if let Some(p) = options.triple("padValue", "whole numbers from 0 to 255", |v| {
            v.fract() == 0.0 && (0.0..=255.0).contains(&v)
        })? {
            spec.pad_value = [p[0] as u8, p[1] as u8, p[2] as u8];
        }
        if let Some(m) = options.integer("maxInputPixels", 1.0, MAX_INPUT_PIXELS_LIMIT)? {
            spec.max_input_pixels = m as u64;
        }
        if let Some(patch) = options.integer("patchSize", 1.0, f64::from(MAX_CANVAS_SIDE))? {
            let patch = patch as u32;
            if height % patch != 0 || width % patch != 0 {
                return Err(OptionError::new(
                    "patchSize",
                    format!("{patch} does not divide the size [{height}, {width}]; plan with multipleOf: {patch} (or a multiple)"),
                ));
            }
            spec.patch_size = Some(patch);
        }
        spec.skip_invalid = options.boolean("skipInvalid")?.unwrap_or(false);
        if let Some(shrink) = options.boolean("shrinkOnLoad")? {
            spec.shrink_on_load = shrink;
        }
        spec.read_augment(&options)?;
        spec.patches = read_patches(entries, &spec)?;
        Ok(spec)
    }

    /// `randomCrop`, `randomFlip`, `noUpscale`, `augmentSeed`, `epoch`.
    fn read_augment(&mut self, options: &OptionReader) -> Result<(), OptionError> {
        self.random_crop = options.boolean("randomCrop")?.unwrap_or(false);
        self.random_flip = options.boolean("randomFlip")?.unwrap_or(false);
        self.no_upscale = options.boolean("noUpscale")?.unwrap_or(false);
        if self.random_crop && self.mode != Mode::Crop {
            return Err(OptionError::new(
                "randomCrop",
                format!(
                    "applies only with mode: 'crop' (mode is '{}')",
                    self.mode.as_str()
                ),
            ));
        }
        let random = self.random_crop || self.random_flip;
        for (name, value) in [
            ("augmentSeed", &mut self.augment.seed),
            ("epoch", &mut self.augment.epoch),
        ] {
            if let Some(v) = options.integer(name, 0.0, MAX_SAFE_INTEGER)? {
                if !random {
                    return Err(OptionError::new(
                        name,
                        "applies only with `randomCrop: true` or `randomFlip: true`",
                    ));
                }
                *value = v as u64;
            }
        }
        Ok(())
    }

    /// Where image `index` (its buffer position) of `w x h` goes, and whether it is mirrored: the
    /// mode, `noUpscale`, and the seeded crop and flip. The random numbers come from 64-bit
    /// integer arithmetic only (SplitMix64 of `(augmentSeed, epoch, index)`), so every runtime
    /// crops and flips alike.
    pub fn placement(&self, w: u32, h: u32, index: usize) -> (Placement, bool) {
        let mut fit = Fit::centred(self.mode);
        fit.no_upscale = self.no_upscale;
        let mut flip = false;
        if self.random_crop || self.random_flip {
            let key = self.augment.key(Purpose::Augment(index as u64));
            // 53 random bits as a fraction in [0, 1): exact in f64.
            let unit = |tag: u64| (splitmix64(key ^ tag) >> 11) as f64 / (1u64 << 53) as f64;
            if self.random_crop {
                fit.crop_at = [unit(1), unit(2)];
            }
            flip = self.random_flip && splitmix64(key ^ 3) >> 63 == 1;
        }
        (layout(w, h, self.height, self.width, fit), flip)
    }

    /// `(rows, cols)` of patches, when a patch size is set.
    pub fn patch_grid(&self) -> Option<(u32, u32)> {
        self.patch_size.map(|p| (self.height / p, self.width / p))
    }

    /// Bytes of the tensor for `n` images (patches repeat each value `temporal_patch_size` times).
    pub fn tensor_bytes(&self, n: usize) -> u64 {
        let per = match self.dtype {
            Dtype::U8 => 1,
            Dtype::F32 => 4,
        };
        let repeat = self.patches.map_or(1, |p| u64::from(p.temporal_patch_size));
        n as u64 * self.height as u64 * self.width as u64 * 3 * per * repeat
    }

    /// Refuses a batch whose tensor would exceed [`MAX_BATCH_BYTES`].
    pub fn check_batch(&self, n: usize) -> Result<(), OptionError> {
        let bytes = self.tensor_bytes(n);
        if bytes > MAX_BATCH_BYTES {
            return Err(OptionError::new(
                "size",
                format!(
                    "gives a tensor of {bytes} bytes for {n} images of {} x {}, above the 1 GiB limit of one batch; use smaller batches or sizes",
                    self.height, self.width
                ),
            ));
        }
        Ok(())
    }

    /// Per channel `(scale, bias)` so that `value = pixel * scale + bias`.
    pub fn affine(&self) -> ([f32; 3], [f32; 3]) {
        let Normalize { mean, std } = self.normalize;
        (
            std::array::from_fn(|c| (1.0 / (255.0 * std[c])) as f32),
            std::array::from_fn(|c| (-mean[c] / std[c]) as f32),
        )
    }
}

/// `size`: `[height, width]`, each a whole number from 1 to [`MAX_CANVAS_SIDE`].
fn read_size(options: &OptionReader) -> Result<(u32, u32), OptionError> {
    let size = options.list("size")?.ok_or_else(|| {
        OptionError::new(
            "size",
            "is required: [height, width] (or a batch with a resizeSize)",
        )
    })?;
    let side = |v: f64| {
        (v.fract() == 0.0 && (1.0..=f64::from(MAX_CANVAS_SIDE)).contains(&v)).then_some(v as u32)
    };
    match size {
        [h, w] => match (side(*h), side(*w)) {
            (Some(h), Some(w)) => Ok((h, w)),
            _ => Err(OptionError::new(
                "size",
                format!("must hold two whole numbers from 1 to {MAX_CANVAS_SIDE}, got [{h}, {w}]"),
            )),
        },
        other => Err(OptionError::new(
            "size",
            format!("must be [height, width], got {} numbers", other.len()),
        )),
    }
}

/// `patches`: `true` (Qwen2-VL's layout, the patch side from `patchSize` when given) or
/// `{ patchSize?, mergeSize?, temporalPatchSize? }`; float32 only, the size in whole merged
/// patches.
fn read_patches(
    entries: &OptionMap,
    spec: &TensorSpec,
) -> Result<Option<PatchLayout>, OptionError> {
    let mut layout = QWEN2_VL_PATCHES;
    if let Some(p) = spec.patch_size {
        layout.patch_size = p;
    }
    match entries.get("patches") {
        None | Some(OptionValue::Bool(false)) => return Ok(None),
        Some(OptionValue::Bool(true)) => {}
        Some(OptionValue::Map(fields)) => {
            let own = OptionReader::new(fields, &[PATCHES_OPTIONS], "of patches")?;
            let side = f64::from(MAX_CANVAS_SIDE);
            if let Some(p) = own.integer("patchSize", 1.0, side)? {
                layout.patch_size = p as u32;
            }
            if let Some(m) = own.integer("mergeSize", 1.0, side)? {
                layout.merge_size = m as u32;
            }
            if let Some(t) = own.integer("temporalPatchSize", 1.0, 16.0)? {
                layout.temporal_patch_size = t as u32;
            }
        }
        Some(_) => {
            return Err(OptionError::new(
                "patches",
                "must be true, false or { patchSize?, mergeSize?, temporalPatchSize? }",
            ))
        }
    }
    if spec.dtype != Dtype::F32 {
        return Err(OptionError::new(
            "patches",
            "applies to dtype 'float32' only (the processor's pixel_values are normalised floats)",
        ));
    }
    let unit = layout.patch_size * layout.merge_size;
    if spec.height % unit != 0 || spec.width % unit != 0 {
        return Err(OptionError::new(
            "patches",
            format!(
                "need a size in whole merged patches of {unit} (patch {} x merge {}), got [{}, {}]; plan with multipleOf: {unit}",
                layout.patch_size, layout.merge_size, spec.height, spec.width
            ),
        ));
    }
    Ok(Some(layout))
}

/// `normalize`: a preset name or `{ mean, std }` (one or three numbers each).
fn read_normalize(entries: &OptionMap) -> Result<Option<Normalize>, OptionError> {
    let names: Vec<String> = NORMALIZE_PRESETS
        .iter()
        .map(|(n, _)| format!("{n:?}"))
        .collect();
    let expected = format!("{} or {{ mean, std }}", names.join(", "));
    match entries.get("normalize") {
        None => Ok(None),
        Some(OptionValue::Text(name)) => NORMALIZE_PRESETS
            .iter()
            .find(|(n, _)| n == name)
            .map(|&(_, preset)| Some(preset))
            .ok_or_else(|| {
                OptionError::new("normalize", format!("must be {expected}, got {name:?}"))
            }),
        Some(OptionValue::Map(fields)) => {
            let own = OptionReader::new(fields, &[&["mean", "std"]], "of normalize")?;
            let (Some(mean), Some(std)) = (
                own.triple("mean", "finite numbers", f64::is_finite)?,
                own.triple("std", "finite numbers above 0", |v| {
                    v.is_finite() && v > 0.0
                })?,
            ) else {
                return Err(OptionError::new("normalize", "needs both `mean` and `std`"));
            };
            Ok(Some(Normalize { mean, std }))
        }
        Some(_) => Err(OptionError::new("normalize", format!("must be {expected}"))),
    }
}
