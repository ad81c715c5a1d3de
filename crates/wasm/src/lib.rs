//! wasm-bindgen layer: typed arrays in, typed arrays and plain objects out. No logic lives here;
//! every call crosses the boundary once and leaves nothing allocated for JS to free.

use js_sys::{Array, Float64Array, Object, Reflect, Uint32Array, Uint8Array};
use mm_batcher_core::options::TokenBudget;
use mm_batcher_core::packing::PackOptions;
use mm_batcher_core::ranks::{deal, DealContext, RankOptions};
use mm_batcher_core::{
    self as core, OptionMap, Plan, PlanError, PlanOptions, Reject, Samples, StrategyKind,
};
use wasm_bindgen::prelude::*;

/// Plans one buffer. `widths`, `heights` (and `keys` for a custom sort key) hold one entry per
/// sample. Returns `{ order, offsets, heights, widths, rejects }` (see `Plan`), or throws
/// `{ code, message, index?, option? }`.
#[wasm_bindgen]
pub fn plan(
    strategy: &str,
    options: JsValue,
    widths: &[f64],
    heights: &[f64],
    keys: Option<Box<[f64]>>,
) -> Result<JsValue, JsValue> {
    let options = parse_options(strategy, options)?;
    let samples = Samples {
        widths,
        heights,
        keys: keys.as_deref(),
    };
    let plan = core::plan(&options, samples).map_err(to_js_error)?;
    let (size_heights, size_widths): (Vec<u32>, Vec<u32>) = plan.sizes.iter().copied().unzip();
    let out = Object::new();
    set(&out, "order", &Uint32Array::from(plan.order.as_slice()));
    set(&out, "offsets", &Uint32Array::from(plan.offsets.as_slice()));
    set(&out, "heights", &Uint32Array::from(size_heights.as_slice()));
    set(&out, "widths", &Uint32Array::from(size_widths.as_slice()));
    set(
        &out,
        "rejects",
        &plan.rejects.iter().map(reject_object).collect::<Array>(),
    );
    Ok(out.into())
}

/// Reads the sizes of many encoded images in one call. Image `i` is
/// `bytes[offsets[i]..offsets[i + 1]]`, a prefix of a file `lengths[i]` bytes long. Returns
/// `{ widths, heights, orientations, status, formats, messages }`: per image, `status` is 0 (size
/// read; upright size, EXIF orientation applied), 1 (the size lies beyond the prefix: retry with
/// the whole file) or 2 (error: `codes[i]` and `messages[i]` say which and why).
#[wasm_bindgen(js_name = readHeaders)]
pub fn read_headers(bytes: &[u8], offsets: &[u32], lengths: &[f64]) -> JsValue {
    let results = core::read_headers(bytes, offsets, lengths);
    let n = results.len();
    let (mut widths, mut heights) = (vec![f64::NAN; n], vec![f64::NAN; n]);
    let (mut orientations, mut status) = (vec![1u8; n], vec![0u8; n]);
    let (formats, codes, messages) = (Array::new(), Array::new(), Array::new());
    for (i, result) in results.iter().enumerate() {
        let (format, code, message) = match result {
            Ok(info) => {
                widths[i] = info.width as f64;
                heights[i] = info.height as f64;
                orientations[i] = info.orientation;
                (Some(info.format), JsValue::UNDEFINED, JsValue::UNDEFINED)
            }
            Err(core::HeaderError::NeedMore { format }) => {
                status[i] = 1;
                (Some(*format), JsValue::UNDEFINED, JsValue::UNDEFINED)
            }
            Err(e) => {
                status[i] = 2;
                (e.format(), e.code().into(), e.to_string().into())
            }
        };
        formats.push(&format.map_or(JsValue::UNDEFINED, |f| f.as_str().into()));
        codes.push(&code);
        messages.push(&message);
    }
    let out = Object::new();
    set(&out, "widths", &Float64Array::from(widths.as_slice()));
    set(&out, "heights", &Float64Array::from(heights.as_slice()));
    set(
        &out,
        "orientations",
        &Uint8Array::from(orientations.as_slice()),
    );
    set(&out, "status", &Uint8Array::from(status.as_slice()));
    set(&out, "formats", &formats);
    set(&out, "codes", &codes);
    set(&out, "messages", &messages);
    out.into()
}

/// Checks options without planning, so constructors can fail early.
#[wasm_bindgen(js_name = checkOptions)]
pub fn check_options(strategy: &str, options: JsValue) -> Result<(), JsValue> {
    parse_options(strategy, options).map(|_| ())
}

/// SPEC metrics for batches given as flat arrays (the same layout `plan` returns).
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn evaluate(
    widths: &[f64],
    heights: &[f64],
    order: Vec<u32>,
    offsets: Vec<u32>,
    size_heights: &[u32],
    size_widths: &[u32],
    batch_size: Option<u32>,
    max_tokens: Option<f64>,
    patch_size: Option<u32>,
) -> Result<JsValue, JsValue> {
    if size_heights.len() != size_widths.len() {
        return Err(to_js_error(PlanError::Input {
            message: "resize heights and widths differ in length".into(),
        }));
    }
    let sizes = size_heights
        .iter()
        .copied()
        .zip(size_widths.iter().copied())
        .collect();
    let plan = Plan {
        order,
        offsets,
        sizes,
        rejects: Vec::new(),
    };
    let budget = match (max_tokens, patch_size) {
        (Some(max_tokens), Some(patch_size)) if max_tokens >= 1.0 && patch_size >= 1 => {
            Some(TokenBudget {
                max_tokens: max_tokens as u64,
                patch_size,
            })
        }
        (None, _) => None,
        _ => {
            return Err(to_js_error(PlanError::option(
                "maxTokens",
                "needs a `patchSize` of at least 1 and must be at least 1",
            )))
        }
    };
    let metrics = core::evaluate(
        Samples::new(widths, heights),
        &plan,
        batch_size.map(|b| b as usize),
        budget.as_ref(),
    )
    .map_err(to_js_error)?;
    serde_wasm_bindgen::to_value(&metrics).map_err(|e| JsValue::from_str(&e.to_string()))
}

/// Packs images at their own sizes into token budgets. Returns `{ order, offsets, heights,
/// widths, tokens, rejects }`: pack `p` holds `order[offsets[p]..offsets[p + 1]]`, and the
/// per-image arrays follow `order`.
#[wasm_bindgen]
pub fn pack(options: JsValue, widths: &[f64], heights: &[f64]) -> Result<JsValue, JsValue> {
    let entries: OptionMap = option_map(options)?;
    let options = PackOptions::parse(&entries).map_err(to_js_error)?;
    let packing =
        core::packing::pack(&options, Samples::new(widths, heights)).map_err(to_js_error)?;
    let (size_heights, size_widths): (Vec<u32>, Vec<u32>) = packing.sizes.iter().copied().unzip();
    let tokens: Vec<f64> = packing.tokens.iter().map(|&t| t as f64).collect();
    let out = Object::new();
    set(&out, "order", &Uint32Array::from(packing.order.as_slice()));
    set(
        &out,
        "offsets",
        &Uint32Array::from(packing.offsets.as_slice()),
    );
    set(&out, "heights", &Uint32Array::from(size_heights.as_slice()));
    set(&out, "widths", &Uint32Array::from(size_widths.as_slice()));
    set(&out, "tokens", &Float64Array::from(tokens.as_slice()));
    set(
        &out,
        "padding",
        &packing.padding(options.budget.max_tokens).into(),
    );
    set(
        &out,
        "rejects",
        &packing.rejects.iter().map(reject_object).collect::<Array>(),
    );
    Ok(out.into())
}

/// Deals a plan's batches to data-parallel ranks (see `mm_batcher_core::ranks`). `widths` and
/// `heights` follow the plan's batch members in order (`offsets` bound the batches), with the
/// planned sizes; positions in the result index those arrays. `pinned` marks samples that must
/// not be held back again. Returns `{ worldSize, order, offsets, heights, widths, padding, held,
/// dropped, empty }`, every rank's batches: batch `b` is rank `b % worldSize`'s, step `b / worldSize`.
#[wasm_bindgen(js_name = dealRanks)]
#[allow(clippy::too_many_arguments)]
pub fn deal_ranks(
    strategy: &str,
    options: JsValue,
    rank_options: JsValue,
    widths: &[f64],
    heights: &[f64],
    offsets: &[u32],
    size_heights: &[u32],
    size_widths: &[u32],
    pinned: Option<Box<[u8]>>,
) -> Result<JsValue, JsValue> {
    let plan_options = parse_options(strategy, options)?;
    let entries: OptionMap = option_map(rank_options)?;
    let rank_options = RankOptions::parse(&entries).map_err(to_js_error)?;
    if rank_options.world_size > 1 && plan_options.tokens.is_some() {
        return Err(to_js_error(PlanError::option(
            "worldSize",
            "above 1 cannot be combined with `maxTokens` yet (a step's shared size could exceed a batch's budget)",
        )));
    }
    let input = |message: String| to_js_error(PlanError::Input { message });
    let n = widths.len();
    let batch_count = size_heights.len();
    if heights.len() != n
        || size_widths.len() != batch_count
        || offsets.len() != batch_count + 1
        || offsets.first() != Some(&0)
        || offsets.last().map(|&o| o as usize) != Some(n)
        || offsets.windows(2).any(|w| w[0] > w[1])
    {
        return Err(input("dealRanks: batch arrays disagree in length".into()));
    }
    let mut shapes = Vec::with_capacity(n);
    for i in 0..n {
        shapes.push(
            core::Shape::new(i, widths[i], heights[i])
                .map_err(|r| to_js_error(PlanError::Sample(r)))?,
        );
    }
    let batches: Vec<Vec<u32>> = offsets.windows(2).map(|w| (w[0]..w[1]).collect()).collect();
    let sizes: Vec<(u32, u32)> = size_heights
        .iter()
        .copied()
        .zip(size_widths.iter().copied())
        .collect();
    let pinned: Vec<bool> = pinned
        .map(|p| p.iter().map(|&b| b != 0).collect())
        .unwrap_or_default();
    let batch_size = plan_options
        .batch_size
        .unwrap_or_else(|| batches.iter().map(Vec::len).max().unwrap_or(1));
    let ctx = DealContext {
        shapes: &shapes,
        batch_size,
        sizing: &plan_options.sizing,
        max_shapes: plan_options.max_shapes,
        pinned: &pinned,
    };
    let dealt = deal(&ctx, &batches, &sizes, &rank_options);
    let (out_heights, out_widths): (Vec<u32>, Vec<u32>) = dealt.sizes.iter().copied().unzip();
    let out = Object::new();
    set(&out, "worldSize", &(dealt.world_size as f64).into());
    set(&out, "order", &Uint32Array::from(dealt.order.as_slice()));
    set(
        &out,
        "offsets",
        &Uint32Array::from(dealt.offsets.as_slice()),
    );
    set(&out, "heights", &Uint32Array::from(out_heights.as_slice()));
    set(&out, "widths", &Uint32Array::from(out_widths.as_slice()));
    set(
        &out,
        "padding",
        &Uint32Array::from(dealt.padding.as_slice()),
    );
    set(&out, "held", &Uint32Array::from(dealt.held.as_slice()));
    set(
        &out,
        "dropped",
        &Uint32Array::from(dealt.dropped.as_slice()),
    );
    set(&out, "empty", &(dealt.empty as f64).into());
    Ok(out.into())
}

/// Checks rank options (`worldSize`, `rank`, `leftover`, `holdPartial`) without dealing.
#[wasm_bindgen(js_name = checkRankOptions)]
pub fn check_rank_options(rank_options: JsValue) -> Result<(), JsValue> {
    let entries: OptionMap = option_map(rank_options)?;
    RankOptions::parse(&entries)
        .map(|_| ())
        .map_err(to_js_error)
}

/// Qwen2-VL's `smart_resize` for one image (see `mm_batcher_core::smart_resize`); `[h, w]`.
#[wasm_bindgen(js_name = smartResize)]
pub fn smart_resize(
    height: f64,
    width: f64,
    factor: u32,
    min_pixels: Option<f64>,
    max_pixels: Option<f64>,
) -> Result<Vec<u32>, JsValue> {
    core::Shape::new(0, width, height).map_err(|r| to_js_error(PlanError::Sample(r)))?;
    if factor == 0 {
        return Err(to_js_error(PlanError::option(
            "factor",
            "must be at least 1",
        )));
    }
    let (h, w) = core::smart_resize::smart_resize(height, width, factor, min_pixels, max_pixels);
    Ok(vec![h, w])
}

/// The SPEC seed benchmark's synthetic sizes, interleaved `[h0, w0, h1, w1, ...]`.
#[wasm_bindgen(js_name = seedBenchmarkSizes)]
pub fn seed_benchmark_sizes(count: u32, seed: f64) -> Vec<u32> {
    core::synthetic::seed_benchmark_sizes(count as usize, seed as u64)
        .into_iter()
        .flat_map(|(h, w)| [h, w])
        .collect()
}

fn parse_options(strategy: &str, options: JsValue) -> Result<PlanOptions, JsValue> {
    let kind = StrategyKind::parse(strategy).map_err(to_js_error)?;
    let entries: OptionMap = option_map(options)?;
    PlanOptions::parse(kind, &entries).map_err(to_js_error)
}

/// Options as a JS plain object, read into names and values (checked by the core's parsers).
fn option_map(value: JsValue) -> Result<OptionMap, JsValue> {
    serde_wasm_bindgen::from_value(value).map_err(|e| {
        to_js_error(PlanError::option(
            "options",
            format!("must be a plain object ({e})"),
        ))
    })
}

fn to_js_error(error: PlanError) -> JsValue {
    let out = Object::new();
    set(&out, "code", &error.code().as_str().into());
    set(&out, "message", &error.to_string().into());
    match &error {
        PlanError::Sample(reject) => set(&out, "index", &(reject.index as f64).into()),
        PlanError::Option { option, .. } => set(&out, "option", &option.into()),
        PlanError::Input { .. } => {}
    }
    out.into()
}

fn reject_object(reject: &Reject) -> Object {
    let out = Object::new();
    set(&out, "index", &(reject.index as f64).into());
    set(&out, "code", &reject.code.as_str().into());
    set(&out, "message", &reject.message.as_str().into());
    out
}

fn set(target: &Object, key: &str, value: &JsValue) {
    // Reflect.set on a fresh plain object cannot fail.
    let _ = Reflect::set(target, &key.into(), value);
}
