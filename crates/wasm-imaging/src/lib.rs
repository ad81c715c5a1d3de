//! wasm-bindgen layer over `mm-batcher-imaging`: the second WebAssembly module (codecs and the
//! SIMD resizer), so planning-only users never load it. One call per batch; results are plain JS
//! typed arrays (copied out), so nothing is left for JS to free.
//!
//! Images of a batch arrive laid end to end in `bytes`: image `i` is
//! `bytes[offsets[i]..offsets[i + 1]]`, an encoded file when `kinds[i] == 0`, or raw RGBA pixels of
//! `widths[i] x heights[i]` when `kinds[i] == 1`. `indices[i]` is its position in the user's buffer.

use js_sys::{Array, Float32Array, Float64Array, Object, Reflect, Uint32Array, Uint8Array};
use mm_batcher_core::options::{OptionError, OptionMap, OptionReader};
use mm_batcher_imaging::{self as imaging, ImageFailure, Sample, Source, TensorData, TensorSpec};
use wasm_bindgen::prelude::*;

/// Decodes, resizes and packs one batch. `options`: `toTensor`'s options with `size` (read and
/// checked in Rust). Returns `{ data, shape, dtype, kept, contentBoxes, patchGrid?, failures }`
/// or throws `{ code, message, index?, option?, format? }`.
#[wasm_bindgen(js_name = batchTensor)]
pub fn batch_tensor(
    bytes: &[u8],
    offsets: &[u32],
    kinds: &[u8],
    widths: &[u32],
    heights: &[u32],
    indices: &[u32],
    options: JsValue,
) -> Result<JsValue, JsValue> {
    let spec = read_spec(options)?;
    let samples = samples(bytes, offsets, kinds, widths, heights, indices)?;
    spec.check_batch(samples.len()).map_err(option_error)?;
    let out = imaging::batch_tensor(&samples, &spec, spec.skip_invalid).map_err(failure_error)?;
    let result = Object::new();
    match &out.data {
        TensorData::U8(v) => set(&result, "data", &Uint8Array::from(v.as_slice())),
        TensorData::F32(v) => set(&result, "data", &Float32Array::from(v.as_slice())),
    }
    let shape: Array = out
        .shape()
        .iter()
        .map(|&s| JsValue::from(s as f64))
        .collect();
    set(&result, "shape", &shape);
    set(&result, "dtype", &spec.dtype.as_str().into());
    set(&result, "kept", &positions(&out.kept));
    let boxes: Vec<u32> = out.content_boxes.iter().flatten().copied().collect();
    set(
        &result,
        "contentBoxes",
        &Uint32Array::from(boxes.as_slice()),
    );
    set_patch_grid(&result, &spec);
    if out.patches.is_some() {
        let thw: Vec<u32> = out.grid_thw().iter().flatten().copied().collect();
        set(&result, "imageGridThw", &Uint32Array::from(thw.as_slice()));
    }
    set(&result, "failures", &failures(&out.failures));
    Ok(result.into())
}

/// Qwen2-VL's `pixel_values` of an NCHW float tensor already made (`[n, 3, height, width]`):
/// `options` is `patches`' own (`{ patchSize?, mergeSize?, temporalPatchSize? }`). Returns
/// `{ data, shape, imageGridThw }` (`imageGridThw`: `[1, rows, cols]` per image).
#[wasm_bindgen(js_name = patchify)]
pub fn patchify(
    nchw: &[f32],
    n: u32,
    height: u32,
    width: u32,
    options: JsValue,
) -> Result<JsValue, JsValue> {
    let mut entries = OptionMap::new();
    entries.insert(
        "size".into(),
        mm_batcher_core::options::OptionValue::List(vec![f64::from(height), f64::from(width)]),
    );
    let patches: mm_batcher_core::options::OptionValue = if options.is_undefined() {
        mm_batcher_core::options::OptionValue::Bool(true)
    } else {
        serde_wasm_bindgen::from_value(options)
            .map_err(|_| option_error(OptionError::new("options", "must be a plain object")))?
    };
    entries.insert("patches".into(), patches);
    let spec = TensorSpec::parse(&entries).map_err(option_error)?;
    let layout = spec.patches.unwrap_or(imaging::QWEN2_VL_PATCHES);
    let expected = n as usize * 3 * height as usize * width as usize;
    if nchw.len() != expected {
        return Err(input_error(&format!(
            "the tensor holds {} values; [{n}, 3, {height}, {width}] needs {expected}",
            nchw.len()
        )));
    }
    let data = imaging::patchify(nchw, n as usize, height, width, layout);
    let side = layout.patch_size;
    let (rows, cols) = (height / side, width / side);
    let result = Object::new();
    set(&result, "data", &Float32Array::from(data.as_slice()));
    let shape: Array = [
        f64::from(n) * f64::from(rows) * f64::from(cols),
        layout.row_len() as f64,
    ]
    .iter()
    .map(|&v| JsValue::from(v))
    .collect();
    set(&result, "shape", &shape);
    let thw: Vec<u32> = (0..n).flat_map(|_| [1, rows, cols]).collect();
    set(&result, "imageGridThw", &Uint32Array::from(thw.as_slice()));
    Ok(result.into())
}

/// The CPU part of the TF.js path in one call: reads the options, decodes the batch to RGB8 at
/// each image's own (upright) size, laid end to end, and lays every image out in the canvas.
/// Returns `{ spec, data, widths, heights, layouts, kept, patchGrid?, failures }`: `spec` is the
/// options with every default filled in (`height, width, mode, filter, dtype, mean, std,
/// padValue`); `layouts` holds 8 numbers per kept image, source crop `[left, top, width, height]`
/// then content box `[x, y, width, height]`.
#[wasm_bindgen(js_name = decodeForResize)]
pub fn decode_for_resize(
    bytes: &[u8],
    offsets: &[u32],
    kinds: &[u8],
    widths: &[u32],
    heights: &[u32],
    indices: &[u32],
    options: JsValue,
) -> Result<JsValue, JsValue> {
    laid_out(
        imaging::decode_batch,
        options,
        bytes,
        offsets,
        kinds,
        widths,
        heights,
        indices,
    )
}

/// `decodeForResize` for a browser decoder (`createImageBitmap`): the same result with an empty
/// `data`, from the checks that run before decoding (header, size limit, length, JPEG framing and
/// scan lengths, GIF frames, BMP RLE; a JPEG that ends inside a scan is refused as truncated).
/// `widths`/`heights` are the upright sizes the browser's bitmap must have.
#[wasm_bindgen(js_name = checkForBrowserDecode)]
pub fn check_for_browser_decode(
    bytes: &[u8],
    offsets: &[u32],
    kinds: &[u8],
    widths: &[u32],
    heights: &[u32],
    indices: &[u32],
    options: JsValue,
) -> Result<JsValue, JsValue> {
    laid_out(
        imaging::check_batch,
        options,
        bytes,
        offsets,
        kinds,
        widths,
        heights,
        indices,
    )
}

/// `{ spec, data, widths, heights, formats, layouts, kept, patchGrid?, failures }` of a batch
/// decoded (or checked) by `run`: every kept image laid out in the canvas.
#[allow(clippy::too_many_arguments)]
fn laid_out(
    run: fn(&[Sample<'_>], u64, bool) -> Result<imaging::DecodedBatch, ImageFailure>,
    options: JsValue,
    bytes: &[u8],
    offsets: &[u32],
    kinds: &[u8],
    widths: &[u32],
    heights: &[u32],
    indices: &[u32],
) -> Result<JsValue, JsValue> {
    let spec = read_spec(options)?;
    // TF.js resizes the crop itself; mirroring and patches are not part of that path yet.
    for (name, on) in [
        ("randomFlip", spec.random_flip),
        ("patches", spec.patches.is_some()),
    ] {
        if on {
            return Err(option_error(OptionError::new(
                name,
                "is not supported by toTfTensor; use toTensor or the imaging pool",
            )));
        }
    }
    let samples = samples(bytes, offsets, kinds, widths, heights, indices)?;
    let out = run(&samples, spec.max_input_pixels, spec.skip_invalid).map_err(failure_error)?;
    let spec = &spec;
    let mut layouts = Vec::with_capacity(out.kept.len() * 8);
    for ((&w, &h), &position) in out.widths.iter().zip(&out.heights).zip(&out.kept) {
        let (l, _) = spec.placement(w.max(1), h.max(1), samples[position].index);
        layouts.extend_from_slice(&l.crop);
        layouts.extend(l.content.iter().map(|&v| f64::from(v)));
    }
    let result = Object::new();
    set(&result, "spec", &spec_object(spec));
    set(&result, "data", &Uint8Array::from(out.data.as_slice()));
    set(&result, "widths", &Uint32Array::from(out.widths.as_slice()));
    set(
        &result,
        "heights",
        &Uint32Array::from(out.heights.as_slice()),
    );
    set(&result, "layouts", &Float64Array::from(layouts.as_slice()));
    let formats: Array = out
        .formats
        .iter()
        .map(|f| f.map_or(JsValue::NULL, |f| f.as_str().into()))
        .collect();
    set(&result, "formats", &formats);
    set(&result, "kept", &positions(&out.kept));
    set_patch_grid(&result, spec);
    set(&result, "failures", &failures(&out.failures));
    Ok(result.into())
}

/// `toTensor`'s defaults and named normalisations, from the one table in Rust:
/// `{ maxInputPixels, maxBatchBytes, maxPoolWorkers, options, normalize: { name: { mean, std } }, defaults }`
/// (`defaults`: `[{ scope: "toTensor", option, value }]`, as planning's registry lists its own).
#[wasm_bindgen(js_name = tensorDefaults)]
pub fn tensor_defaults() -> JsValue {
    let out = Object::new();
    set(
        &out,
        "maxInputPixels",
        &(imaging::DEFAULT_MAX_INPUT_PIXELS as f64).into(),
    );
    set(
        &out,
        "maxBatchBytes",
        &(imaging::MAX_BATCH_BYTES as f64).into(),
    );
    set(
        &out,
        "maxPoolWorkers",
        &(mm_batcher_core::defaults::POOL_MAX_WORKERS as f64).into(),
    );
    let names: Array = imaging::TENSOR_OPTIONS
        .iter()
        .map(|&n| JsValue::from(n))
        .collect();
    set(&out, "options", &names);
    let normalize = Object::new();
    for (name, n) in imaging::NORMALIZE_PRESETS {
        let o = Object::new();
        let numbers = |v: [f64; 3]| v.iter().map(|&x| JsValue::from(x)).collect::<Array>();
        set(&o, "mean", &numbers(n.mean));
        set(&o, "std", &numbers(n.std));
        set(&normalize, name, &o);
    }
    set(&out, "normalize", &normalize);
    let defaults =
        serde_wasm_bindgen::to_value(&imaging::tensor_defaults()).unwrap_or(JsValue::NULL);
    set(&out, "defaults", &defaults);
    out.into()
}

/// Decodes every image of the batch and returns only the failures, `[{ code, message, index,
/// position, format }]` (nothing is resized or kept). `options`: `{ maxInputPixels? }`.
#[wasm_bindgen(js_name = verifyImages)]
pub fn verify_images(
    bytes: &[u8],
    offsets: &[u32],
    kinds: &[u8],
    widths: &[u32],
    heights: &[u32],
    indices: &[u32],
    options: JsValue,
) -> Result<Array, JsValue> {
    let entries: OptionMap = if options.is_undefined() {
        OptionMap::new()
    } else {
        serde_wasm_bindgen::from_value(options)
            .map_err(|_| option_error(OptionError::new("options", "must be a plain object")))?
    };
    let reader = OptionReader::new(&entries, &[&["maxInputPixels"]], "of verifyImages")
        .map_err(option_error)?;
    let max_input_pixels = reader
        .integer("maxInputPixels", 1.0, 1_099_511_627_776.0)
        .map_err(option_error)?
        .map_or(imaging::DEFAULT_MAX_INPUT_PIXELS, |m| m as u64);
    let samples = samples(bytes, offsets, kinds, widths, heights, indices)?;
    Ok(failures(&imaging::verify(&samples, max_input_pixels)))
}

fn read_spec(options: JsValue) -> Result<TensorSpec, JsValue> {
    let entries: OptionMap = serde_wasm_bindgen::from_value(options)
        .map_err(|_| option_error(OptionError::new("options", "must be a plain object")))?;
    TensorSpec::parse(&entries).map_err(option_error)
}

fn spec_object(spec: &TensorSpec) -> Object {
    let o = Object::new();
    set(&o, "height", &spec.height.into());
    set(&o, "width", &spec.width.into());
    set(&o, "mode", &spec.mode.as_str().into());
    set(&o, "filter", &spec.filter.as_str().into());
    set(&o, "dtype", &spec.dtype.as_str().into());
    let numbers = |v: [f64; 3]| v.iter().map(|&x| JsValue::from(x)).collect::<Array>();
    set(&o, "mean", &numbers(spec.normalize.mean));
    set(&o, "std", &numbers(spec.normalize.std));
    set(&o, "padValue", &numbers(spec.pad_value.map(f64::from)));
    o
}

fn set_patch_grid(result: &Object, spec: &TensorSpec) {
    if let (Some(patch), Some((rows, cols))) = (spec.patch_size, spec.patch_grid()) {
        let grid = Object::new();
        set(&grid, "patchSize", &patch.into());
        set(&grid, "rows", &rows.into());
        set(&grid, "cols", &cols.into());
        set(
            &grid,
            "tokensPerImage",
            &(f64::from(rows) * f64::from(cols)).into(),
        );
        set(result, "patchGrid", &grid);
    }
}

fn samples<'a>(
    bytes: &'a [u8],
    offsets: &[u32],
    kinds: &[u8],
    widths: &[u32],
    heights: &[u32],
    indices: &[u32],
) -> Result<Vec<Sample<'a>>, JsValue> {
    let n = kinds.len();
    if offsets.len() != n + 1 || widths.len() != n || heights.len() != n || indices.len() != n {
        return Err(input_error("batch arrays differ in length"));
    }
    (0..n)
        .map(|i| {
            let (a, b) = (offsets[i] as usize, offsets[i + 1] as usize);
            let data = bytes
                .get(a..b)
                .ok_or_else(|| input_error("offsets out of range"))?;
            let source = match kinds[i] {
                0 => Source::Encoded(data),
                _ => Source::Rgba {
                    data,
                    width: widths[i],
                    height: heights[i],
                },
            };
            Ok(Sample {
                index: indices[i] as usize,
                source,
            })
        })
        .collect()
}

fn positions(kept: &[usize]) -> Uint32Array {
    let v: Vec<u32> = kept.iter().map(|&p| p as u32).collect();
    Uint32Array::from(v.as_slice())
}

/// `{ index, position, code, format?, detail }`: the TS side composes the message.
fn failure_object(f: &ImageFailure) -> Object {
    let o = Object::new();
    set(&o, "index", &(f.reject.index as f64).into());
    set(&o, "position", &(f.position as f64).into());
    set(&o, "code", &f.reject.code.as_str().into());
    if let Some(format) = f.reject.format {
        set(&o, "format", &format.as_str().into());
    }
    set(&o, "detail", &f.reject.detail.as_str().into());
    o
}

fn failures(list: &[ImageFailure]) -> Array {
    list.iter().map(failure_object).collect()
}

fn failure_error(f: ImageFailure) -> JsValue {
    failure_object(&f).into()
}

fn option_error(e: OptionError) -> JsValue {
    let o = Object::new();
    set(&o, "code", &"INVALID_OPTION".into());
    set(&o, "message", &e.to_string().into());
    set(&o, "option", &e.option.as_str().into());
    o.into()
}

fn input_error(message: &str) -> JsValue {
    let o = Object::new();
    set(&o, "code", &"INVALID_INPUT".into());
    set(&o, "message", &message.into());
    o.into()
}

fn set(target: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(target, &key.into(), value);
}
