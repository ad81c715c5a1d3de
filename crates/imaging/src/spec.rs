//! What the tensor should look like, validated once per batch.

use serde::Deserialize;
use std::fmt;

/// Default decompression-bomb limit: the shared [`mm_batcher_core::MAX_IMAGE_PIXELS`]
/// (89,478,485 pixels, Pillow's own default; see there for the reasoning), the same limit header
/// reading and planning apply, so an image that plans also decodes by default.
pub const DEFAULT_MAX_INPUT_PIXELS: u64 = mm_batcher_core::MAX_IMAGE_PIXELS;
/// Largest side of the output canvas.
pub const MAX_SIDE: u32 = 16_384;
/// Largest batch tensor, and largest batch of decoded pixels (the TF.js path): 1 GiB. wasm32 has
/// 4 GiB of memory at most, and running out of it is a trap, so this is checked before allocating.
pub const MAX_BATCH_BYTES: u64 = 1 << 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    Stretch,
    Letterbox,
    Crop,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    Bilinear,
    Bicubic,
    Lanczos3,
}

impl Filter {
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

/// A validated tensor specification.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorSpec {
    pub height: u32,
    pub width: u32,
    pub fit: Fit,
    pub filter: Filter,
    pub dtype: Dtype,
    pub mean: [f32; 3],
    pub std: [f32; 3],
    /// Padding colour for `Letterbox`, in pixel units (normalised like pixels for f32).
    pub pad: [u8; 3],
    pub max_input_pixels: u64,
}

impl TensorSpec {
    /// Stretch, bilinear, f32 with mean 0 and std 1 (values in [0, 1]), default bomb limit.
    pub fn new(height: u32, width: u32) -> Self {
        TensorSpec {
            height,
            width,
            fit: Fit::Stretch,
            filter: Filter::Bilinear,
            dtype: Dtype::F32,
            mean: [0.0; 3],
            std: [1.0; 3],
            pad: [0; 3],
            max_input_pixels: DEFAULT_MAX_INPUT_PIXELS,
        }
    }

    /// Bytes of the tensor for `n` images.
    pub fn tensor_bytes(&self, n: usize) -> u64 {
        let per = match self.dtype {
            Dtype::U8 => 1,
            Dtype::F32 => 4,
        };
        n as u64 * self.height as u64 * self.width as u64 * 3 * per
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
        let mut scale = [0.0; 3];
        let mut bias = [0.0; 3];
        for c in 0..3 {
            scale[c] = 1.0 / (255.0 * self.std[c]);
            bias[c] = -self.mean[c] / self.std[c];
        }
        (scale, bias)
    }

    /// Validates options as the bindings receive them (names as in TypeScript).
    pub fn parse(input: &SpecInput) -> Result<TensorSpec, OptionError> {
        let side = |name: &str, v: f64| -> Result<u32, OptionError> {
            if v.fract() == 0.0 && (1.0..=MAX_SIDE as f64).contains(&v) {
                Ok(v as u32)
            } else {
                Err(OptionError::new(
                    name,
                    format!("must be a whole number in 1..{MAX_SIDE}, got {v}"),
                ))
            }
        };
        let mut spec = TensorSpec::new(side("height", input.height)?, side("width", input.width)?);
        spec.fit = match input.mode.as_deref() {
            None | Some("stretch") => Fit::Stretch,
            Some("letterbox") => Fit::Letterbox,
            Some("crop") => Fit::Crop,
            Some(other) => {
                return Err(OptionError::new(
                    "mode",
                    format!("must be 'stretch', 'letterbox' or 'crop', got '{other}'"),
                ))
            }
        };
        spec.filter = match input.filter.as_deref() {
            None | Some("bilinear") => Filter::Bilinear,
            Some("bicubic") => Filter::Bicubic,
            Some("lanczos3") => Filter::Lanczos3,
            Some(other) => {
                return Err(OptionError::new(
                    "filter",
                    format!("must be 'bilinear', 'bicubic' or 'lanczos3', got '{other}'"),
                ))
            }
        };
        spec.dtype = match input.dtype.as_deref() {
            None | Some("float32") => Dtype::F32,
            Some("uint8") => Dtype::U8,
            Some(other) => {
                return Err(OptionError::new(
                    "dtype",
                    format!("must be 'float32' or 'uint8', got '{other}'"),
                ))
            }
        };
        if let Some(mean) = &input.mean {
            spec.mean = triple("mean", mean, |v| v.is_finite())?;
        }
        if let Some(std) = &input.std {
            spec.std = triple("std", std, |v| v.is_finite() && v > 0.0)?;
        }
        if spec.dtype == Dtype::U8 && (input.mean.is_some() || input.std.is_some()) {
            return Err(OptionError::new(
                "normalize",
                "applies to dtype 'float32' only; uint8 holds the pixels as they are",
            ));
        }
        if let Some(pad) = &input.pad {
            let p = triple("padValue", pad, |v| {
                v.fract() == 0.0 && (0.0..=255.0).contains(&v)
            })?;
            spec.pad = [p[0] as u8, p[1] as u8, p[2] as u8];
        }
        if let Some(m) = input.max_input_pixels {
            if !(m.fract() == 0.0 && m >= 1.0 && m <= 2f64.powi(40)) {
                return Err(OptionError::new(
                    "maxInputPixels",
                    format!("must be a whole number >= 1, got {m}"),
                ));
            }
            spec.max_input_pixels = m as u64;
        }
        Ok(spec)
    }
}

fn triple(name: &str, v: &[f64], ok: impl Fn(f64) -> bool) -> Result<[f32; 3], OptionError> {
    let v: Vec<f64> = match v.len() {
        1 => vec![v[0]; 3],
        3 => v.to_vec(),
        n => {
            return Err(OptionError::new(
                name,
                format!("must hold 1 or 3 numbers, got {n}"),
            ))
        }
    };
    if let Some(bad) = v.iter().find(|&&x| !ok(x)) {
        return Err(OptionError::new(
            name,
            format!("holds an invalid value {bad}"),
        ));
    }
    Ok([v[0] as f32, v[1] as f32, v[2] as f32])
}

/// Options as they arrive from a binding (TypeScript names); see [`TensorSpec::parse`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SpecInput {
    pub height: f64,
    pub width: f64,
    pub mode: Option<String>,
    pub filter: Option<String>,
    pub dtype: Option<String>,
    pub mean: Option<Vec<f64>>,
    pub std: Option<Vec<f64>>,
    pub pad: Option<Vec<f64>>,
    pub max_input_pixels: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionError {
    pub option: String,
    pub message: String,
}

impl OptionError {
    pub fn new(option: &str, message: impl Into<String>) -> Self {
        OptionError {
            option: option.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for OptionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "option `{}` {}", self.option, self.message)
    }
}

impl std::error::Error for OptionError {}
