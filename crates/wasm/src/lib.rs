//! wasm-bindgen layer over `mm-batcher-core`: typed arrays in, typed arrays and plain objects out.
//! Every rule (options, defaults, checks) lives in the core; this file only converts. Each export
//! is one crossing and leaves nothing allocated for JS to free.

use js_sys::{Array, Float64Array, Object, Reflect, Uint32Array};
use mm_batcher_core::buffer::{BufferOptions, BufferSamples, StreamOptions, STREAM_OPTIONS};
use mm_batcher_core::carry::CarryOptions;
use mm_batcher_core::defaults::DEFAULTS;
use mm_batcher_core::formats::ladder::{self, EncodedPrefixes, HeaderPass, HEADER_PREFIX_PASSES};
use mm_batcher_core::formats::FORMATS;
use mm_batcher_core::loader::{self, LoaderOptions};
use mm_batcher_core::metrics::{read_resize_sizes, EvaluateOptions};
use mm_batcher_core::normalize::NORMALIZE_PRESETS;
use mm_batcher_core::packing::PackOptions;
use mm_batcher_core::plan::COMMON_OPTIONS;
use mm_batcher_core::presets::{
    self, ConfigOptions, ConfigValue, Preset, PresetError, PresetNormalize, PRESET_OPTIONS,
};
use mm_batcher_core::ranks::{Dealt, RankOptions};
use mm_batcher_core::shuffle::{self, Purpose, Shuffle, SHUFFLE_OPTIONS};
use mm_batcher_core::sizing::SIZING_OPTIONS;
use mm_batcher_core::sources::{SourceKind, SourceOptions};
use mm_batcher_core::{
    self as core, ErrorCode, OptionMap, Plan, PlanError, PlanOptions, Reject, Samples, StrategyKind,
};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

/// Plans one buffer in one call: `sides` holds every width, then every height (see
/// [`widths_and_heights`]; encoded images' sizes were read before, by `readHeaderPass`, and a
/// sample whose size the binding could not read is NaN); plans with `strategy`, carries partial
/// batches over and deals to ranks (`bufferOptions`: `worldSize`, `rank`, `leftover`, `carry`,
/// `maxCarry`, shuffle options). `pinned` marks samples already carried once. Returns
/// `{ plan, rejects }`: the plan packed by [`packed_plan`], with input indices (batch `b` is rank
/// `b % worldSize`'s, step `b / worldSize`), and rejects as [`reject_object`]s. Throws
/// `{ code, message, index?, option?, format?, detail? }`.
#[wasm_bindgen(js_name = planBuffer)]
pub fn plan_buffer(
    strategy: &str,
    options: JsValue,
    buffer_options: JsValue,
    sides: &[f64],
    keys: Option<Box<[f64]>>,
    pinned: Option<Box<[u8]>>,
) -> Result<JsValue, JsValue> {
    let options = cached_plan_options(strategy, options)?;
    let buffer_options = read_buffer_options(buffer_options)?;
    let pinned: Vec<bool> = pinned
        .map(|p| p.iter().map(|&b| b != 0).collect())
        .unwrap_or_default();
    let (widths, heights) = widths_and_heights(sides);
    let samples = BufferSamples {
        widths,
        heights,
        keys: keys.as_deref(),
        known: &[],
        pinned: &pinned,
    };
    let planned = core::plan_buffer(&options, &buffer_options, samples).map_err(to_js_error)?;
    let out = Object::new();
    set(
        &out,
        "plan",
        &Uint32Array::from(packed_plan(&planned.dealt).as_slice()),
    );
    set(&out, "rejects", &rejects(&planned.rejects));
    Ok(out.into())
}

/// A buffer's sizes as the TS adapter lays them out in one array (one allocation and one copy
/// per call, where two arrays cost twice): every width, then every height. An odd length leaves
/// the counts unequal, which planning reports as an input error.
fn widths_and_heights(sides: &[f64]) -> (&[f64], &[f64]) {
    sides.split_at(sides.len() / 2)
}

/// A dealt plan as one `u32` array, so the result crosses as one typed array: a header
/// `[worldSize, empty, then the lengths of order, offsets, heights, widths, padding, held,
/// dropped]`, then those arrays end to end (the TS side takes views of it: `planning/batchers.ts`).
fn packed_plan(dealt: &Dealt) -> Vec<u32> {
    let sizes = dealt.sizes.len();
    let lengths = [
        dealt.order.len(),
        dealt.offsets.len(),
        sizes,
        sizes,
        dealt.padding.len(),
        dealt.held.len(),
        dealt.dropped.len(),
    ];
    let mut out = Vec::with_capacity(2 + lengths.len() + lengths.iter().sum::<usize>());
    out.extend([dealt.world_size as u32, dealt.empty as u32]);
    out.extend(lengths.iter().map(|&n| n as u32));
    out.extend(&dealt.order);
    out.extend(&dealt.offsets);
    out.extend(dealt.sizes.iter().map(|&(h, _)| h));
    out.extend(dealt.sizes.iter().map(|&(_, w)| w));
    out.extend(&dealt.padding);
    out.extend(&dealt.held);
    out.extend(&dealt.dropped);
    out
}

/// The one entry point of header reading: one pass of the prefix ladder over every image given
/// (`prefixes` end to end, image `k` at `offsets[k]..offsets[k + 1]`, a prefix of a file
/// `lengths[k]` bytes long, `Infinity` when unknown). Returns `{ widths, heights, more, failures }`:
/// where `more[k]` is above 0, image `k`'s header lies beyond the bytes given: read its first
/// `more[k]` bytes (`Infinity`: all of it) and ask again; `failures` lists the unreadable ones as
/// `{ index: k, code, format?, detail }` (NaN sizes). Every caller drives the same ladder: bytes
/// in memory, files, URLs, the CLI.
#[wasm_bindgen(js_name = readHeaderPass)]
pub fn read_header_pass(prefixes: &[u8], offsets: &[u32], lengths: &[f64]) -> JsValue {
    let images = EncodedPrefixes {
        bytes: prefixes,
        offsets,
        lengths,
    };
    let passes = ladder::header_pass(images);
    let n = passes.len();
    let (mut widths, mut heights, mut more) = (vec![f64::NAN; n], vec![f64::NAN; n], vec![0.0; n]);
    let failures = Array::new();
    for (k, pass) in passes.iter().enumerate() {
        match pass {
            HeaderPass::More(limit) => more[k] = wire_limit(*limit),
            HeaderPass::Read(Ok(info)) => {
                widths[k] = f64::from(info.width);
                heights[k] = f64::from(info.height);
            }
            HeaderPass::Read(Err(e)) => {
                failures.push(&reject_object(&Reject::header(k, e)));
            }
        }
    }
    let out = Object::new();
    set(&out, "widths", &Float64Array::from(widths.as_slice()));
    set(&out, "heights", &Float64Array::from(heights.as_slice()));
    set(&out, "more", &Float64Array::from(more.as_slice()));
    set(&out, "failures", &failures);
    out.into()
}

/// A prefix length for JS: `usize::MAX` (the whole file) is `Infinity`.
fn wire_limit(limit: usize) -> f64 {
    if limit == usize::MAX {
        f64::INFINITY
    } else {
        limit as f64
    }
}

/// Options of `imageSizesFromFiles` (`kind` "files") or `imageSizesFromUrls` ("urls"), read with
/// their defaults: `{ concurrency, maxBytes, timeoutMs?, maxRedirects? }` (JS-only `signal`,
/// `fetch` and `allowRedirect` are dropped by
/// the caller before this).
#[wasm_bindgen(js_name = sourceOptions)]
pub fn source_options(kind: &str, options: JsValue) -> Result<JsValue, JsValue> {
    let kind = if kind == "files" {
        SourceKind::Files
    } else {
        SourceKind::Urls
    };
    let parsed = SourceOptions::parse(kind, &option_map(options)?).map_err(to_js_error)?;
    let out = Object::new();
    set(&out, "concurrency", &(parsed.concurrency as f64).into());
    if let Some(t) = parsed.timeout_ms {
        set(&out, "timeoutMs", &t.into());
    }
    set(&out, "maxBytes", &parsed.max_bytes.into());
    if let Some(r) = parsed.max_redirects {
        set(&out, "maxRedirects", &(r as f64).into());
    }
    Ok(out.into())
}

/// The stream's shuffle buffer: draws `start .. start + count` (each in `0..bound`) of the
/// sequence of `(shuffleSeed, epoch)` (see `crates/core/src/shuffle.rs`).
/// `createLoader`'s own options (`prefetch`, `onBadImage`, `dropLast`, `strategy`), resolved with
/// their defaults: `{ prefetch, onBadImage, dropLast, replaceTries, strategy }`. Throws for an
/// unknown name.
#[wasm_bindgen(js_name = loaderOptions)]
pub fn loader_options(options: JsValue) -> Result<JsValue, JsValue> {
    let parsed = LoaderOptions::parse(&option_map(options)?).map_err(to_js_error)?;
    let out = Object::new();
    set(&out, "prefetch", &(parsed.prefetch as f64).into());
    set(&out, "onBadImage", &parsed.on_bad_image.name().into());
    set(&out, "dropLast", &parsed.drop_last.into());
    set(&out, "replaceTries", &(parsed.replace_tries as f64).into());
    set(&out, "strategy", &parsed.strategy.name().into());
    set(&out, "maxImageBytes", &parsed.max_image_bytes.into());
    Ok(out.into())
}

/// `onBadImage: 'replace'`: the candidates for a bad image in batch `batch` of a plan (the
/// plan's own arrays), at most `tries`, none of `taken` (core `loader::replacement_candidates`).
#[wasm_bindgen(js_name = replacementCandidates)]
pub fn replacement_candidates(
    offsets: &[u32],
    order: &[u32],
    heights: &[u32],
    widths: &[u32],
    batch: u32,
    taken: &[u32],
    tries: u32,
) -> Vec<u32> {
    let plan = loader::PlanBatches {
        offsets,
        order,
        heights,
        widths,
    };
    loader::replacement_candidates(&plan, batch as usize, taken, tries as usize)
}

#[wasm_bindgen(js_name = shuffleDraws)]
pub fn shuffle_draws(seed: f64, epoch: f64, start: f64, count: u32, bound: u32) -> Vec<u32> {
    let s = Shuffle {
        seed: seed as u64,
        epoch: epoch as u64,
    };
    shuffle::draws(
        s.key(Purpose::Reservoir),
        start as u64,
        count as usize,
        u64::from(bound),
    )
}

/// The order the stream's shuffle buffer is emptied in when the source ends: a permutation of
/// `0..n` from `(shuffleSeed, epoch)`.
#[wasm_bindgen(js_name = shuffleDrain)]
pub fn shuffle_drain(seed: f64, epoch: f64, n: u32) -> Vec<u32> {
    let s = Shuffle {
        seed: seed as u64,
        epoch: epoch as u64,
    };
    shuffle::permutation(s.key(Purpose::Drain), n as usize)
}

/// Checks a strategy's options without planning, so constructors can fail early. Returns the
/// plan's batch size (`batchSize`, or 1 with only a token budget).
#[wasm_bindgen(js_name = checkOptions)]
pub fn check_options(strategy: &str, options: JsValue) -> Result<f64, JsValue> {
    parse_options(strategy, options).map(|o| o.batch_size.unwrap_or(1) as f64)
}

/// Checks rank options (`worldSize`, `rank`, `leftover`) without dealing.
#[wasm_bindgen(js_name = checkRankOptions)]
pub fn check_rank_options(rank_options: JsValue) -> Result<(), JsValue> {
    RankOptions::parse(&option_map(rank_options)?)
        .map(|_| ())
        .map_err(to_js_error)
}

/// `batchStream`'s options read with their defaults: `{ bufferSize, carry, maxCarry, worldSize,
/// rank, leftover, shuffle, shuffleSeed, epoch, shuffleMembers, shuffleBuffer }` (the shuffle: the stream's own
/// options over its batcher's, `strategy` with `batcherOptions`). `others` are names left to the
/// caller (its strategy's options).
#[wasm_bindgen(js_name = streamOptions)]
pub fn stream_options(
    options: JsValue,
    others: Vec<String>,
    strategy: &str,
    batcher_options: JsValue,
) -> Result<JsValue, JsValue> {
    let others: Vec<&str> = others.iter().map(String::as_str).collect();
    let planner = parse_options(strategy, batcher_options)?;
    let parsed =
        StreamOptions::parse(&option_map(options)?, &others, &planner).map_err(to_js_error)?;
    let out = Object::new();
    set(&out, "bufferSize", &(parsed.buffer_size as f64).into());
    set(&out, "carry", &parsed.carry.is_some().into());
    let max_carry = parsed
        .carry
        .map_or(0, |CarryOptions { max_samples }| max_samples);
    set(&out, "maxCarry", &(max_carry as f64).into());
    set(&out, "worldSize", &(parsed.ranks.world_size as f64).into());
    set(&out, "rank", &(parsed.ranks.rank as f64).into());
    let leftover = format!("{:?}", parsed.ranks.leftover).to_lowercase();
    set(&out, "leftover", &leftover.into());
    set(&out, "shuffle", &parsed.shuffle.is_some().into());
    let (seed, epoch) = parsed.shuffle.map_or((0, 0), |s| (s.seed, s.epoch));
    set(&out, "shuffleSeed", &(seed as f64).into());
    set(&out, "epoch", &(epoch as f64).into());
    set(&out, "shuffleMembers", &parsed.shuffle_members.into());
    set(
        &out,
        "shuffleBuffer",
        &(parsed.shuffle_buffer as f64).into(),
    );
    Ok(out.into())
}

/// The registry, for the bindings' own tables: `{ strategies: [{ name, options, sizing }],
/// commonOptions, streamOptions, presetOptions (the fields of a preset that are batcher
/// options), errorCodes, normalize: { name: { mean, std } },
/// headerPrefixBytes, formats: [{ name, sizes }], defaults: [{ scope, option, value }] }`
/// (`defaults`: `mm_batcher_core::defaults::DEFAULTS`).
#[wasm_bindgen]
pub fn registry() -> JsValue {
    let strategies: Array = StrategyKind::ALL
        .iter()
        .map(|kind| {
            let o = Object::new();
            set(&o, "name", &kind.name().into());
            set(&o, "options", &strings(kind.own_options()));
            let sizing = format!("{:?}", kind.default_sizing()).to_lowercase();
            set(&o, "sizing", &sizing.into());
            JsValue::from(o)
        })
        .collect();
    let out = Object::new();
    set(&out, "strategies", &strategies);
    let common: Vec<&str> = COMMON_OPTIONS
        .iter()
        .chain(SIZING_OPTIONS)
        .chain(SHUFFLE_OPTIONS)
        .copied()
        .collect();
    set(&out, "commonOptions", &strings(&common));
    set(&out, "streamOptions", &strings(STREAM_OPTIONS));
    set(&out, "presetOptions", &strings(PRESET_OPTIONS));
    let codes: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    set(&out, "errorCodes", &strings(&codes));
    let normalize = Object::new();
    for (name, n) in NORMALIZE_PRESETS {
        let o = Object::new();
        set(
            &o,
            "mean",
            &n.mean.iter().map(|&v| JsValue::from(v)).collect::<Array>(),
        );
        set(
            &o,
            "std",
            &n.std.iter().map(|&v| JsValue::from(v)).collect::<Array>(),
        );
        set(&normalize, name, &o);
    }
    set(&out, "normalize", &normalize);
    set(
        &out,
        "headerPrefixBytes",
        &(HEADER_PREFIX_PASSES[0] as f64).into(),
    );
    let formats: Array = FORMATS
        .iter()
        .map(|row| {
            let o = Object::new();
            set(&o, "name", &row.format.as_str().into());
            set(&o, "sizes", &row.format.sizes_readable().into());
            JsValue::from(o)
        })
        .collect();
    set(&out, "formats", &formats);
    let defaults = serde_wasm_bindgen::to_value(DEFAULTS).unwrap_or(JsValue::NULL);
    set(&out, "defaults", &defaults);
    out.into()
}

/// SPEC metrics for batches given as flat arrays: image sizes (`sides` as in `planBuffer`), batch
/// `b` holding images `offsets[b]..offsets[b + 1]`, resized to `(sizeHeights[b], sizeWidths[b])`.
/// `options`: `{ batchSize?, maxTokens?, patchSize? }`.
#[wasm_bindgen]
pub fn evaluate(
    sides: &[f64],
    offsets: Vec<u32>,
    size_heights: &[f64],
    size_widths: &[f64],
    options: JsValue,
) -> Result<JsValue, JsValue> {
    let options = EvaluateOptions::parse(&option_map(options)?).map_err(to_js_error)?;
    let sizes = read_resize_sizes(size_heights, size_widths).map_err(to_js_error)?;
    let (widths, heights) = widths_and_heights(sides);
    let plan = Plan {
        order: (0..widths.len() as u32).collect(),
        offsets,
        sizes,
        rejects: Vec::new(),
    };
    let metrics = core::evaluate(
        Samples::new(widths, heights),
        &plan,
        options.batch_size,
        options.budget.as_ref(),
    )
    .map_err(to_js_error)?;
    serde_wasm_bindgen::to_value(&metrics).map_err(|e| JsValue::from_str(&e.to_string()))
}

/// Packs images at their own sizes into token budgets (`sides` as in `planBuffer`). Returns
/// `{ order, offsets, heights, widths, tokens, padding, rejects }`: pack `p` holds
/// `order[offsets[p]..offsets[p + 1]]`, and the per-image arrays follow `order`.
#[wasm_bindgen]
pub fn pack(options: JsValue, sides: &[f64]) -> Result<JsValue, JsValue> {
    let options = PackOptions::parse(&option_map(options)?).map_err(to_js_error)?;
    let (widths, heights) = widths_and_heights(sides);
    let samples = Samples::new(widths, heights);
    let packing = core::packing::pack(&options, samples).map_err(to_js_error)?;
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
    set(&out, "rejects", &rejects(&packing.rejects));
    Ok(out.into())
}

/// Qwen2-VL's `smart_resize` for one image; `options`: `{ factor?, minPixels?, maxPixels? }`
/// (Qwen2-VL's values by default). Returns `[height, width]`.
#[wasm_bindgen(js_name = smartResize)]
pub fn smart_resize(height: f64, width: f64, options: JsValue) -> Result<Vec<u32>, JsValue> {
    let (h, w) = core::smart_resize::smart_resize_checked(height, width, &option_map(options)?)
        .map_err(to_js_error)?;
    Ok(vec![h, w])
}

/// The built-in model presets (`crates/core/src/presets.rs`), in order: each as
/// [`preset_object`] gives it.
#[wasm_bindgen]
pub fn presets() -> Array {
    presets::presets()
        .iter()
        .map(|p| JsValue::from(preset_object(p)))
        .collect()
}

/// The built-in preset named `name`. Throws `{ code: "INVALID_OPTION", option: "preset",
/// message }` listing the names.
#[wasm_bindgen]
pub fn preset(name: JsValue) -> Result<JsValue, JsValue> {
    let name: ConfigValue = serde_wasm_bindgen::from_value(name).unwrap_or(ConfigValue::Null);
    presets::preset_named(&name)
        .map(|p| preset_object(&p).into())
        .map_err(|e| preset_error(&e, ""))
}

/// A preset from a model's parsed `preprocessor_config.json` (`options`: `{ name?, patchSize? }`;
/// the caller drops `undefined` entries, which JSON has not). Throws `{ code, message, option? }`,
/// the message starting "presetFromConfig: ".
#[wasm_bindgen(js_name = presetFromConfig)]
pub fn preset_from_config(config: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
    let prefix = "presetFromConfig: ";
    let not_json = || {
        preset_error(
            &PresetError {
                option: None,
                message: "takes the parsed preprocessor_config.json object".into(),
            },
            prefix,
        )
    };
    let config: ConfigValue = serde_wasm_bindgen::from_value(config).map_err(|_| not_json())?;
    let options = if options.is_undefined() {
        None
    } else {
        Some(serde_wasm_bindgen::from_value::<ConfigValue>(options).unwrap_or(ConfigValue::Null))
    };
    let options = ConfigOptions::read(options.as_ref()).map_err(|e| preset_error(&e, prefix))?;
    presets::preset_from_config(&config, &options)
        .map(|p| preset_object(&p).into())
        .map_err(|e| preset_error(&e, prefix))
}

/// A preset as a plain object: `{ name, description, patchSize, multipleOf, minPixels?,
/// maxPixels?, sizing?, nativeSize?, rescale, normalize, mean, std, sources }` (`normalize`: a
/// normalisation's name for a built-in, `{ mean, std }` for one made from a config).
fn preset_object(p: &Preset) -> Object {
    let numbers = |xs: &[f64]| xs.iter().map(|&v| JsValue::from(v)).collect::<Array>();
    let out = Object::new();
    set(&out, "name", &p.name.as_str().into());
    set(&out, "description", &p.description.as_str().into());
    set(&out, "patchSize", &p.patch_size.into());
    set(&out, "multipleOf", &p.multiple_of.into());
    if let Some(n) = p.min_pixels {
        set(&out, "minPixels", &n.into());
    }
    if let Some(n) = p.max_pixels {
        set(&out, "maxPixels", &n.into());
    }
    if let Some(s) = p.sizing {
        set(&out, "sizing", &s.into());
    }
    if let Some(size) = &p.native_size {
        set(&out, "nativeSize", &numbers(size));
    }
    set(&out, "rescale", &p.rescale.into());
    match p.normalize {
        PresetNormalize::Named(name) => set(&out, "normalize", &name.into()),
        PresetNormalize::Values => {
            let values = Object::new();
            set(&values, "mean", &numbers(&p.mean));
            set(&values, "std", &numbers(&p.std));
            set(&out, "normalize", &values);
        }
    }
    set(&out, "mean", &numbers(&p.mean));
    set(&out, "std", &numbers(&p.std));
    let sources: Vec<&str> = p.sources.iter().map(String::as_str).collect();
    set(&out, "sources", &strings(&sources));
    out
}

/// A thrown preset error: `{ code, message, option? }`, the message after `prefix`.
fn preset_error(error: &PresetError, prefix: &str) -> JsValue {
    let out = Object::new();
    set(&out, "code", &error.code().as_str().into());
    set(
        &out,
        "message",
        &format!("{prefix}{}", error.message).into(),
    );
    if let Some(option) = &error.option {
        set(&out, "option", &option.as_str().into());
    }
    out.into()
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
    PlanOptions::parse(kind, &option_map(options)?).map_err(to_js_error)
}

thread_local! {
    /// The last frozen options object `planBuffer` read, with its strategy and what it read: a
    /// batcher passes the same frozen object on every call, and reading it again was about a
    /// tenth of planning a buffer of 128. Only frozen objects are kept: the TS adapter's options
    /// object holds plain data properties, so while it is the same object it holds the same
    /// options (a frozen object with getters, passed by a direct caller of the module, could not
    /// be trusted so; the package never passes one).
    static LAST_OPTIONS: RefCell<Option<(String, JsValue, PlanOptions)>> = const { RefCell::new(None) };
}

/// [`parse_options`], reused while the same frozen options object comes back (see `LAST_OPTIONS`;
/// one entry: a batcher's consecutive calls).
fn cached_plan_options(strategy: &str, options: JsValue) -> Result<PlanOptions, JsValue> {
    let hit = LAST_OPTIONS.with_borrow(|last| {
        last.as_ref()
            .filter(|(s, o, _)| s == strategy && *o == options)
            .map(|(_, _, parsed)| parsed.clone())
    });
    if let Some(parsed) = hit {
        return Ok(parsed);
    }
    let parsed = parse_options(strategy, options.clone())?;
    if options.is_object() && Object::is_frozen(options.unchecked_ref::<Object>()) {
        LAST_OPTIONS.set(Some((strategy.to_owned(), options, parsed.clone())));
    }
    Ok(parsed)
}

fn read_buffer_options(value: JsValue) -> Result<BufferOptions, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(BufferOptions::default());
    }
    BufferOptions::parse(&option_map(value)?).map_err(to_js_error)
}

/// Options as a JS plain object, read into names and values (checked by the core's parsers).
fn option_map(value: JsValue) -> Result<OptionMap, JsValue> {
    if value.is_undefined() {
        return Ok(OptionMap::new());
    }
    serde_wasm_bindgen::from_value(value)
        .map_err(|_| to_js_error(PlanError::option("options", "must be a plain object")))
}

/// A thrown error: `{ code, message }`, plus the fields that locate it: `option` for an option,
/// and for one sample its reject's fields (`index`, `format`, `detail`), from which the TS side
/// composes the message its caller reads (the stream names the stream sample).
fn to_js_error(error: PlanError) -> JsValue {
    let out = match &error {
        PlanError::Sample(reject) => reject_object(reject),
        _ => Object::new(),
    };
    set(&out, "code", &error.code().as_str().into());
    set(&out, "message", &error.to_string().into());
    if let PlanError::Option(e) = &error {
        set(&out, "option", &e.option.as_str().into());
    }
    out.into()
}

/// A reject as fields: `{ index, code, format?, detail }` (no message: each caller composes its
/// own, naming the sample its way).
fn reject_object(reject: &Reject) -> Object {
    let out = Object::new();
    set(&out, "index", &(reject.index as f64).into());
    set(&out, "code", &reject.code.as_str().into());
    if let Some(format) = reject.format {
        set(&out, "format", &format.as_str().into());
    }
    set(&out, "detail", &reject.detail.as_str().into());
    out
}

fn rejects(list: &[Reject]) -> Array {
    list.iter()
        .map(|r| JsValue::from(reject_object(r)))
        .collect()
}

fn strings(list: &[&str]) -> Array {
    list.iter().map(|&s| JsValue::from(s)).collect()
}

fn set(target: &Object, key: &str, value: &JsValue) {
    // Reflect.set on a fresh plain object cannot fail. Keys are interned: one JS string per key
    // for the module's lifetime, not one per call (9% of a 128-sample Simple call).
    let _ = Reflect::set(target, &JsValue::from_str(wasm_bindgen::intern(key)), value);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packed_plan_holds_its_header_then_each_array() {
        let dealt = Dealt {
            world_size: 2,
            order: vec![4, 0, 1, 2],
            offsets: vec![0, 2, 4],
            sizes: vec![(480, 640), (224, 224)],
            padding: vec![0, 1],
            held: vec![3],
            dropped: vec![5, 6],
            empty: 1,
        };
        assert_eq!(
            packed_plan(&dealt),
            [
                2, 1, // worldSize, empty
                4, 3, 2, 2, 2, 1, 2, // lengths
                4, 0, 1, 2, // order
                0, 2, 4, // offsets
                480, 224, // heights
                640, 224, // widths
                0, 1, // padding
                3, // held
                5, 6, // dropped
            ]
        );
    }

    #[test]
    fn sides_split_into_widths_and_heights() {
        assert_eq!(
            widths_and_heights(&[640.0, 224.0, 480.0, 224.0]),
            (&[640.0, 224.0][..], &[480.0, 224.0][..])
        );
        // An odd length leaves the counts unequal, which planning refuses as input.
        let (w, h) = widths_and_heights(&[1.0, 2.0, 3.0]);
        let samples = Samples::new(w, h);
        assert!(samples.check().is_err());
    }
}
