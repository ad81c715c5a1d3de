//! wasm-bindgen layer over `mm-batcher-imaging`: the second WebAssembly module (codecs and the
//! SIMD resizer), so planning-only users never load it. One call per batch; results are plain JS
//! typed arrays (copied out), so nothing is left for JS to free.
//!
//! Images of a batch arrive laid end to end in `bytes`: image `i` is
//! `bytes[offsets[i]..offsets[i + 1]]`, an encoded file when `kinds[i] == 0`, or raw RGBA pixels of
//! `widths[i] x heights[i]` when `kinds[i] == 1`. `indices[i]` is its position in the user's buffer.

use js_sys::{Array, Float32Array, Float64Array, Object, Reflect, Uint32Array, Uint8Array};
use mm_batcher_imaging::{
    self as imaging, ImageFailure, Sample, Source, SpecInput, TensorData, TensorSpec,
};
use wasm_bindgen::prelude::*;

/// Decodes, resizes and packs one batch. `options`: `{ height, width, mode?, filter?, dtype?,
/// mean?, std?, pad?, maxInputPixels? }`. Returns `{ data, shape, kept, contentBoxes, failures }`
/// or throws `{ code, message, index?, option?, format? }`.
#[wasm_bindgen(js_name = batchTensor)]
#[allow(clippy::too_many_arguments)]
pub fn batch_tensor(
    bytes: &[u8],
    offsets: &[u32],
    kinds: &[u8],
    widths: &[u32],
    heights: &[u32],
    indices: &[u32],
    options: JsValue,
    skip_invalid: bool,
) -> Result<JsValue, JsValue> {
    let input: SpecInput = serde_wasm_bindgen::from_value(options)
        .map_err(|e| option_error("options", &format!("are malformed ({e})")))?;
    let spec = TensorSpec::parse(&input).map_err(|e| option_error(&e.option, &e.to_string()))?;
    let samples = samples(bytes, offsets, kinds, widths, heights, indices)?;
    spec.check_batch(samples.len())
        .map_err(|e| option_error(&e.option, &e.to_string()))?;
    let out = imaging::batch_tensor(&samples, &spec, skip_invalid).map_err(failure_error)?;
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
    set(&result, "kept", &positions(&out.kept));
    let boxes: Vec<u32> = out.content_boxes.iter().flatten().copied().collect();
    set(
        &result,
        "contentBoxes",
        &Uint32Array::from(boxes.as_slice()),
    );
    set(&result, "failures", &failures(&out.failures));
    Ok(result.into())
}

/// Decodes one batch to RGB8 at each image's own (upright) size, laid end to end, for resizers
/// that run elsewhere (TF.js). Returns `{ data, widths, heights, kept, failures }`.
#[wasm_bindgen(js_name = decodeBatch)]
#[allow(clippy::too_many_arguments)]
pub fn decode_batch(
    bytes: &[u8],
    offsets: &[u32],
    kinds: &[u8],
    widths: &[u32],
    heights: &[u32],
    indices: &[u32],
    max_input_pixels: f64,
    skip_invalid: bool,
) -> Result<JsValue, JsValue> {
    let input = SpecInput {
        height: 1.0,
        width: 1.0,
        max_input_pixels: Some(max_input_pixels),
        ..Default::default()
    };
    let spec = TensorSpec::parse(&input).map_err(|e| option_error(&e.option, &e.to_string()))?;
    let samples = samples(bytes, offsets, kinds, widths, heights, indices)?;
    let out = imaging::decode_batch(&samples, spec.max_input_pixels, skip_invalid)
        .map_err(failure_error)?;
    let result = Object::new();
    set(&result, "data", &Uint8Array::from(out.data.as_slice()));
    set(&result, "widths", &Uint32Array::from(out.widths.as_slice()));
    set(
        &result,
        "heights",
        &Uint32Array::from(out.heights.as_slice()),
    );
    set(&result, "kept", &positions(&out.kept));
    set(&result, "failures", &failures(&out.failures));
    Ok(result.into())
}

/// Validates tensor options without decoding anything (the TF.js path uses it).
#[wasm_bindgen(js_name = checkOptions)]
pub fn check_options(options: JsValue) -> Result<(), JsValue> {
    let input: SpecInput = serde_wasm_bindgen::from_value(options)
        .map_err(|e| option_error("options", &format!("are malformed ({e})")))?;
    TensorSpec::parse(&input)
        .map(|_| ())
        .map_err(|e| option_error(&e.option, &e.to_string()))
}

/// Layouts for images of the given sizes in a `height x width` canvas: 8 numbers per image,
/// source crop `[left, top, width, height]` then content box `[x, y, width, height]`.
#[wasm_bindgen]
pub fn layouts(
    widths: &[u32],
    heights: &[u32],
    height: u32,
    width: u32,
    mode: &str,
) -> Result<Float64Array, JsValue> {
    let input = SpecInput {
        height: height as f64,
        width: width as f64,
        mode: Some(mode.into()),
        ..Default::default()
    };
    let spec = TensorSpec::parse(&input).map_err(|e| option_error(&e.option, &e.to_string()))?;
    let mut out = Vec::with_capacity(widths.len() * 8);
    for (&w, &h) in widths.iter().zip(heights) {
        let l = imaging::layout(w.max(1), h.max(1), spec.height, spec.width, spec.fit);
        out.extend_from_slice(&l.crop);
        out.extend(l.content.iter().map(|&v| v as f64));
    }
    Ok(Float64Array::from(out.as_slice()))
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

fn failure_object(f: &ImageFailure) -> Object {
    let o = Object::new();
    set(&o, "code", &f.code.into());
    set(&o, "message", &f.to_string().into());
    set(&o, "index", &(f.index as f64).into());
    set(&o, "position", &(f.position as f64).into());
    set(&o, "format", &f.format.into());
    o
}

fn failures(list: &[ImageFailure]) -> Array {
    list.iter().map(failure_object).collect()
}

fn failure_error(f: ImageFailure) -> JsValue {
    failure_object(&f).into()
}

fn option_error(option: &str, message: &str) -> JsValue {
    let o = Object::new();
    set(&o, "code", &"INVALID_OPTION".into());
    set(&o, "message", &message.into());
    set(&o, "option", &option.into());
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
