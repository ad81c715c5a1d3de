//! # mm-batcher-imaging
//!
//! The step after the plan: decode each image of one batch (PNG, JPEG, WebP, GIF, BMP with the
//! `image` crate; or raw RGBA pixels), resize it to the batch's `(height, width)` with
//! `fast_image_resize` (SIMD: SSE4.1/AVX2 natively, simd128 on wasm32), and pack the batch into one
//! tensor: `u8` NHWC RGB or `f32` NCHW normalised with mean/std.
//!
//! This crate is kept apart from `mm-batcher-core` so that planning-only users ship no codecs.
//! Nothing here panics on any input: every problem is an [`ImageFailure`] (sample index, format,
//! cause) or a [`PlanError`] naming the option.
//!
//! ```
//! use mm_batcher_imaging::{batch_tensor, Sample, Source, TensorSpec};
//! let pixels = vec![255u8; 4 * 3 * 4]; // a white 4 x 3 RGBA image
//! let samples = [Sample { index: 0, source: Source::Rgba { data: &pixels, width: 4, height: 3 } }];
//! let spec = TensorSpec::new(2, 2);
//! let out = batch_tensor(&samples, &spec, false).unwrap();
//! assert_eq!(out.shape(), [1, 3, 2, 2]);
//! assert!(out.data.as_f32().unwrap().iter().all(|&v| (v - 1.0).abs() < 1e-6));
//! ```

mod decode;
mod layout;
mod tensor_options;

pub use decode::{decode, Decoded};
pub use layout::{layout, Fit, Placement};
pub use mm_batcher_core::normalize::{Normalize, NORMALIZE_PRESETS};
pub use mm_batcher_core::ImageFormat;
pub use mm_batcher_core::{ErrorCode, PlanError, Reject};
pub use tensor_options::{
    tensor_defaults, Dtype, Filter, Mode, PatchLayout, TensorSpec, DEFAULT_MAX_INPUT_PIXELS,
    MAX_BATCH_BYTES, PATCHES_OPTIONS, QWEN2_VL_PATCHES, TENSOR_OPTIONS,
};

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{PixelType, ResizeAlg, ResizeOptions, Resizer};
use std::fmt;

/// Where one image's pixels come from.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// An encoded file: PNG, JPEG, WebP, GIF or BMP.
    Encoded(&'a [u8]),
    /// Raw RGBA pixels, row-major, 4 bytes per pixel (ImageData layout). Alpha is dropped.
    Rgba {
        data: &'a [u8],
        width: u32,
        height: u32,
    },
}

/// One image of a batch; `index` is its position in the caller's buffer (used in messages).
#[derive(Debug, Clone, Copy)]
pub struct Sample<'a> {
    pub index: usize,
    pub source: Source<'a>,
}

/// Why one image could not be turned into tensor rows: where it sits in the batch, and the
/// reject (buffer index, `UNSUPPORTED_IMAGE`, `INVALID_IMAGE` or `IMAGE_TOO_LARGE`, the format
/// where known, the detail) as planning reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageFailure {
    /// Position in the batch (the order of `samples`).
    pub position: usize,
    pub reject: Reject,
}

impl fmt::Display for ImageFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sample {}: {}", self.reject.index, self.reject)
    }
}

/// Tensor elements: `u8` (NHWC RGB) or `f32` (NCHW, normalised).
#[derive(Debug, Clone, PartialEq)]
pub enum TensorData {
    U8(Vec<u8>),
    F32(Vec<f32>),
}

impl TensorData {
    pub fn as_u8(&self) -> Option<&[u8]> {
        match self {
            TensorData::U8(v) => Some(v),
            TensorData::F32(_) => None,
        }
    }
    pub fn as_f32(&self) -> Option<&[f32]> {
        match self {
            TensorData::F32(v) => Some(v),
            TensorData::U8(_) => None,
        }
    }
}

/// One batch as a tensor, plus what a model needs to know about it.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorBatch {
    pub data: TensorData,
    pub dtype: Dtype,
    pub height: u32,
    pub width: u32,
    /// Positions (in `samples`) of the images in the tensor, in order.
    pub kept: Vec<usize>,
    /// Per kept image, `[x, y, width, height]` of its pixels inside the canvas (the whole canvas
    /// unless letterboxed).
    pub content_boxes: Vec<[u32; 4]>,
    /// Images left out (only with `skip_invalid`).
    pub failures: Vec<ImageFailure>,
    /// Set when `data` holds Qwen2-VL's flattened patches (see [`patchify`]) instead of NCHW.
    pub patches: Option<PatchLayout>,
}

impl TensorBatch {
    /// `[N, H, W, 3]` for u8, `[N, 3, H, W]` for f32, `[patches, row]` for patches.
    pub fn shape(&self) -> Vec<usize> {
        let (n, h, w) = (self.kept.len(), self.height as usize, self.width as usize);
        match (self.patches, self.dtype) {
            (Some(p), _) => {
                let side = p.patch_size as usize;
                vec![n * (h / side) * (w / side), p.row_len()]
            }
            (None, Dtype::U8) => vec![n, h, w, 3],
            (None, Dtype::F32) => vec![n, 3, h, w],
        }
    }

    /// With patches: `image_grid_thw` per image, `[t, rows, cols]` (`t` is 1: one still image).
    pub fn grid_thw(&self) -> Vec<[u32; 3]> {
        match self.patches {
            None => Vec::new(),
            Some(p) => {
                let g = [1, self.height / p.patch_size, self.width / p.patch_size];
                vec![g; self.kept.len()]
            }
        }
    }
}

/// Qwen2-VL's `pixel_values` from an NCHW float tensor of `n` images of `height x width`: what
/// its image processor does after resizing and normalising, for one image at a time (each frame
/// repeated `temporal_patch_size` times, then the 9-axis reshape and permute of
/// `Qwen2VLImageProcessor`). Row `((i * H/m + by) * W/m + bx) * m^2 + my * m + mx` holds image
/// `i`'s patch at row `by * m + my`, column `bx * m + mx`; within a row the values run over
/// channel, frame, then the patch's pixels in reading order. `height` and `width` must be
/// multiples of `patch * merge` (the options check it).
pub fn patchify(nchw: &[f32], n: usize, height: u32, width: u32, p: PatchLayout) -> Vec<f32> {
    let (h, w) = (height as usize, width as usize);
    let (side, merge, frames) = (
        p.patch_size as usize,
        p.merge_size as usize,
        p.temporal_patch_size as usize,
    );
    let (rows, cols) = (h / side, w / side);
    let mut out = Vec::with_capacity(nchw.len() * frames);
    for image in nchw.chunks_exact(3 * h * w).take(n) {
        for by in 0..rows / merge {
            for bx in 0..cols / merge {
                for my in 0..merge {
                    for mx in 0..merge {
                        let (y0, x0) = ((by * merge + my) * side, (bx * merge + mx) * side);
                        for c in 0..3 {
                            let plane = &image[c * h * w..(c + 1) * h * w];
                            for _ in 0..frames {
                                for y in y0..y0 + side {
                                    out.extend_from_slice(&plane[y * w + x0..y * w + x0 + side]);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

/// Decodes, resizes and packs one batch. Without `skip_invalid` the first failing image is the
/// error; with it, failing images are listed in `failures` and the others still fill the tensor.
pub fn batch_tensor(
    samples: &[Sample<'_>],
    spec: &TensorSpec,
    skip_invalid: bool,
) -> Result<TensorBatch, ImageFailure> {
    let mut data = allocate_tensor(samples, spec)?;
    let mut kept = Vec::with_capacity(samples.len());
    let mut boxes = Vec::with_capacity(samples.len());
    let mut failures = Vec::new();
    let lut = normalisation_lut(spec);
    let mut resizer = Resizer::new();
    let mut scratch: Vec<u8> = Vec::new();
    let mut rgb_buffer: Vec<u8> = Vec::new();
    for (position, sample) in samples.iter().enumerate() {
        let resized = resize_one(
            position,
            sample,
            spec,
            &mut resizer,
            &mut scratch,
            &mut rgb_buffer,
        );
        let (content, content_box) = match resized {
            Ok(v) => v,
            Err(failure) if skip_invalid => {
                failures.push(failure);
                continue;
            }
            Err(failure) => return Err(failure),
        };
        match &mut data {
            TensorData::U8(out) => write_u8(out, content, content_box, spec),
            TensorData::F32(out) => write_f32(out, content, content_box, spec, &lut),
        }
        kept.push(position);
        boxes.push(content_box);
    }
    if let (Some(p), TensorData::F32(nchw)) = (spec.patches, &data) {
        data = TensorData::F32(patchify(nchw, kept.len(), spec.height, spec.width, p));
    }
    Ok(TensorBatch {
        data,
        dtype: spec.dtype,
        height: spec.height,
        width: spec.width,
        kept,
        content_boxes: boxes,
        failures,
        patches: spec.patches,
    })
}

/// Room for every image up front (growing the tensor image by image would copy it again and
/// again), within the batch limit; refused before anything is decoded.
fn allocate_tensor(samples: &[Sample<'_>], spec: &TensorSpec) -> Result<TensorData, ImageFailure> {
    // (The NCHW planes; patches are made from them once every image is in.)
    let elements = samples.len() * spec.height as usize * spec.width as usize * 3;
    let mut data = match spec.dtype {
        Dtype::U8 => TensorData::U8(Vec::new()),
        Dtype::F32 => TensorData::F32(Vec::new()),
    };
    let reserved = spec.check_batch(samples.len()).is_ok()
        && match &mut data {
            TensorData::U8(v) => v.try_reserve_exact(elements).is_ok(),
            TensorData::F32(v) => v.try_reserve_exact(elements).is_ok(),
        };
    if !reserved {
        return Err(ImageFailure {
            position: 0,
            reject: Reject::new(
                samples.first().map_or(0, |s| s.index),
                ErrorCode::ImageTooLarge,
                format!(
                    "the batch tensor ({} bytes) cannot be allocated (limit {MAX_BATCH_BYTES} bytes)",
                    spec.tensor_bytes(samples.len())
                ),
            ),
        });
    }
    Ok(data)
}

/// Normalised value of every byte, per channel (`pixel * scale + bias`), looked up per pixel.
fn normalisation_lut(spec: &TensorSpec) -> [[f32; 256]; 3] {
    let (scale, bias) = spec.affine();
    std::array::from_fn(|c| std::array::from_fn(|v| v as f32 * scale[c] + bias[c]))
}

/// Appends one image (resized `content` at `content_box` of the canvas) as NHWC RGB bytes.
fn write_u8(out: &mut Vec<u8>, content: &[u8], [x0, y0, bw, bh]: [u32; 4], spec: &TensorSpec) {
    let (h, w) = (spec.height as usize, spec.width as usize);
    let base = out.len();
    out.resize(base + h * w * 3, 0);
    let dst = &mut out[base..];
    if bw as usize != w || bh as usize != h {
        for px in dst.chunks_exact_mut(3) {
            px.copy_from_slice(&spec.pad_value);
        }
    }
    let row = bw as usize * 3;
    for y in 0..bh as usize {
        let d = ((y0 as usize + y) * w + x0 as usize) * 3;
        dst[d..d + row].copy_from_slice(&content[y * row..(y + 1) * row]);
    }
}

/// Appends one image as normalised NCHW planes.
fn write_f32(
    out: &mut Vec<f32>,
    content: &[u8],
    [x0, y0, bw, bh]: [u32; 4],
    spec: &TensorSpec,
    lut: &[[f32; 256]; 3],
) {
    let (h, w) = (spec.height as usize, spec.width as usize);
    let plane = h * w;
    let base = out.len();
    out.resize(base + plane * 3, 0.0);
    let dst = &mut out[base..];
    if bw as usize != w || bh as usize != h {
        for c in 0..3 {
            dst[c * plane..(c + 1) * plane].fill(lut[c][spec.pad_value[c] as usize]);
        }
    }
    let (r, rest) = dst.split_at_mut(plane);
    let (g, b) = rest.split_at_mut(plane);
    let row = bw as usize;
    for y in 0..bh as usize {
        let d = (y0 as usize + y) * w + x0 as usize;
        let src = &content[y * row * 3..(y + 1) * row * 3];
        let (r, g, b) = (&mut r[d..d + row], &mut g[d..d + row], &mut b[d..d + row]);
        // Zipped iterators: no bounds checks in the hot loop.
        for ((px, r), (g, b)) in src
            .chunks_exact(3)
            .zip(r.iter_mut())
            .zip(g.iter_mut().zip(b.iter_mut()))
        {
            *r = lut[0][px[0] as usize];
            *g = lut[1][px[1] as usize];
            *b = lut[2][px[2] as usize];
        }
    }
}

/// Decodes (or takes) one image and resizes it into `scratch`; returns the resized content (RGB,
/// `box.width x box.height`) and its box in the canvas.
fn resize_one<'s>(
    position: usize,
    sample: &Sample<'_>,
    spec: &TensorSpec,
    resizer: &mut Resizer,
    scratch: &'s mut Vec<u8>,
    rgb_buffer: &mut Vec<u8>,
) -> Result<(&'s [u8], [u32; 4]), ImageFailure> {
    let placement = |w: u32, h: u32| spec.placement(w, h, sample.index);
    let (decoded, d) = decode::decode_shrunk(
        position,
        sample,
        spec.max_input_pixels,
        &|w, h| match spec.shrink_on_load {
            true => shrink_denominator(&placement(w, h).0),
            false => 1,
        },
        rgb_buffer,
    )?;
    let fail = |detail: String| ImageFailure {
        position,
        reject: Reject {
            index: sample.index,
            code: ErrorCode::InvalidImage,
            format: decoded.format,
            detail,
        },
    };
    // The layout of the full-size image, whatever scale it was decoded at: the crop (source
    // coordinates, fractional) is divided by the denominator.
    let (l, flip) = placement(decoded.width, decoded.height);
    let [_, _, bw, bh] = l.content;
    let (sw, sh) = (decoded.width.div_ceil(d), decoded.height.div_ceil(d));
    let src = ImageRef::new(sw, sh, rgb_buffer, PixelType::U8x3)
        .map_err(|e| fail(format!("pixel buffer does not match its size ({e})")))?;
    scratch.clear();
    scratch.resize(bw as usize * bh as usize * 3, 0);
    let mut dst = Image::from_slice_u8(bw, bh, scratch.as_mut_slice(), PixelType::U8x3)
        .map_err(|e| fail(format!("cannot allocate the resized image ({e})")))?;
    let [cx, cy, cw, ch] = l.crop.map(|v| v / d as f64);
    let options = ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(spec.filter.fir()))
        .crop(cx, cy, cw, ch);
    resizer
        .resize(&src, &mut dst, &options)
        .map_err(|e| fail(format!("resize failed ({e})")))?;
    if flip {
        for row in scratch.chunks_exact_mut(bw as usize * 3) {
            mirror_rgb_row(row);
        }
    }
    Ok((scratch.as_slice(), l.content))
}

/// Mirrors one row of RGB pixels left-right, in place.
fn mirror_rgb_row(row: &mut [u8]) {
    let n = row.len() / 3;
    for i in 0..n / 2 {
        let (a, b) = (i * 3, (n - 1 - i) * 3);
        for c in 0..3 {
            row.swap(a + c, b + c);
        }
    }
}

/// The JPEG scale rule (sharp's shrink-on-load, with its margin): the largest `d` of 8, 4 and 2
/// such that the source rectangle read for the image, at 1/d, still has at least twice the
/// destination box's pixels on each axis, so the final resample always reduces by 2 or more
/// and never enlarges; 1 (full decode) when none does. The sizes are the upright ones (after
/// EXIF orientation), as `layout` sees them.
fn shrink_denominator(p: &Placement) -> u32 {
    let [_, _, cw, ch] = p.crop;
    let [_, _, bw, bh] = p.content;
    [8u32, 4, 2]
        .into_iter()
        .find(|&d| cw / d as f64 >= 2.0 * bw as f64 && ch / d as f64 >= 2.0 * bh as f64)
        .unwrap_or(1)
}

/// Decoded RGB pixels of a whole batch at their own sizes, laid end to end (for resizers that
/// run elsewhere, such as TF.js). Same failure rules as [`batch_tensor`].
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedBatch {
    pub data: Vec<u8>,
    pub widths: Vec<u32>,
    pub heights: Vec<u32>,
    /// Per kept image, its format (`None` for raw pixels).
    pub formats: Vec<Option<ImageFormat>>,
    pub kept: Vec<usize>,
    pub failures: Vec<ImageFailure>,
}

/// Decodes every image and keeps nothing but the failures (truncated, corrupt, unsupported or
/// too large files): what `--verify` of the CLI runs before a training run would find them. One
/// pixel buffer is reused, so memory is bounded by the largest image.
pub fn verify(samples: &[Sample<'_>], max_input_pixels: u64) -> Vec<ImageFailure> {
    let mut buffer = Vec::new();
    samples
        .iter()
        .enumerate()
        .filter_map(|(position, sample)| {
            decode(position, sample, max_input_pixels, &mut buffer).err()
        })
        .collect()
}

pub fn decode_batch(
    samples: &[Sample<'_>],
    max_input_pixels: u64,
    skip_invalid: bool,
) -> Result<DecodedBatch, ImageFailure> {
    let mut buffer = Vec::new();
    gather(samples, skip_invalid, |position, sample, data| {
        let d = decode(position, sample, max_input_pixels, &mut buffer)?;
        // The whole batch's pixels stay in memory until TF.js takes them: bounded too.
        let total = data.len() as u64 + buffer.len() as u64;
        if total > MAX_BATCH_BYTES || data.try_reserve(buffer.len()).is_err() {
            return Err(ImageFailure {
                position,
                reject: Reject {
                    index: sample.index,
                    code: ErrorCode::ImageTooLarge,
                    format: d.format,
                    detail: format!(
                        "the batch's decoded pixels would reach {total} bytes, above the {MAX_BATCH_BYTES}-byte limit of one batch; use smaller batches or a lower maxInputPixels"
                    ),
                },
            });
        }
        data.extend_from_slice(&buffer);
        Ok(d)
    })
}

/// [`decode_batch`] without decoding, for a decoder outside this crate (a browser's): each image
/// through the checks that run before decoding ([`decode::check`]), giving the upright sizes
/// [`decode_batch`] would give and no pixels (`data` is empty). Same failure rules.
pub fn check_batch(
    samples: &[Sample<'_>],
    max_input_pixels: u64,
    skip_invalid: bool,
) -> Result<DecodedBatch, ImageFailure> {
    gather(samples, skip_invalid, |position, sample, _| {
        decode::check(position, sample, max_input_pixels)
    })
}

/// Runs `each` on every image (it may append pixels to `data`) and keeps the sizes of those that
/// pass; a failure is the error, or with `skip_invalid` one of `failures`.
fn gather(
    samples: &[Sample<'_>],
    skip_invalid: bool,
    mut each: impl FnMut(usize, &Sample<'_>, &mut Vec<u8>) -> Result<Decoded, ImageFailure>,
) -> Result<DecodedBatch, ImageFailure> {
    let mut out = DecodedBatch {
        data: Vec::new(),
        widths: Vec::new(),
        heights: Vec::new(),
        formats: Vec::new(),
        kept: Vec::new(),
        failures: Vec::new(),
    };
    for (position, sample) in samples.iter().enumerate() {
        match each(position, sample, &mut out.data) {
            Ok(d) => {
                out.widths.push(d.width);
                out.heights.push(d.height);
                out.formats.push(d.format);
                out.kept.push(position);
            }
            Err(f) if skip_invalid => out.failures.push(f),
            Err(f) => return Err(f),
        }
    }
    Ok(out)
}
