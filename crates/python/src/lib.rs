//! PyO3 layer over `mm-batcher-core`: the `mm_tokenize_batcher._native` module. Every rule
//! (options, defaults, checks, strategies, shuffling) lives in the core; this file converts, as
//! `crates/wasm` does for JS. Option names cross in Python's snake_case and are turned into the
//! core's camelCase here, mechanically ([`camel_case`]), so the core's one registry of names is
//! the only one; error messages and option names come back in snake_case ([`snake_case`]).

use mm_batcher_core::buffer::{BufferOptions, BufferSamples, StreamOptions, STREAM_OPTIONS};
use mm_batcher_core::carry::CarryOptions;
use mm_batcher_core::defaults::{DefaultValue, DEFAULTS};
use mm_batcher_core::formats::ladder::{self, EncodedPrefixes, HeaderPass};
use mm_batcher_core::formats::{ImageFormat, FORMATS};
use mm_batcher_core::metrics::{read_resize_sizes, EvaluateOptions, Summary};
use mm_batcher_core::normalize::NORMALIZE_PRESETS;
use mm_batcher_core::plan::COMMON_OPTIONS;
use mm_batcher_core::shuffle::{self, Purpose, Shuffle, SHUFFLE_OPTIONS};
use mm_batcher_core::sizing::SIZING_OPTIONS;
use mm_batcher_core::sources::{SourceKind, SourceOptions};
use mm_batcher_core::{
    self as core, ErrorCode, OptionMap, OptionValue, Plan, PlanError, PlanOptions, Reject, Samples,
    StrategyKind,
};
use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple,
};
mod arrow;
mod images;
mod packing;
mod presets;

use std::fs::File;
use std::io::Read;
use std::path::PathBuf;

create_exception!(
    _native,
    BatcherError,
    PyValueError,
    "Every error this library raises on purpose: `code` (a stable string), and where they apply \
     `index` (the sample), `option` (snake_case name), `format` and `detail`."
);

/// Plans one buffer in one call: sizes as two sequences, the batcher's options and this call's
/// buffer options (ranks, carry-over, shuffle) as dicts, `keys` for a custom sort key, `pinned`
/// for samples carried once already, `known` for problems the Python adapter found
/// (`(index, code, format, detail)`, ascending). Returns a dict of lists: `order`, `offsets`,
/// `heights`, `widths` (one per batch), `padding`, `held`, `dropped`, `world_size`, `empty`,
/// `rejects` (dicts with `message`).
#[pyfunction]
#[pyo3(signature = (strategy, options, buffer_options, widths, heights, keys=None, pinned=None, known=None))]
#[allow(clippy::too_many_arguments)]
fn plan_buffer<'py>(
    py: Python<'py>,
    strategy: &str,
    options: &Bound<'py, PyAny>,
    buffer_options: Option<&Bound<'py, PyAny>>,
    widths: Vec<f64>,
    heights: Vec<f64>,
    keys: Option<Vec<f64>>,
    pinned: Option<Vec<bool>>,
    known: Option<Vec<(usize, String, Option<String>, String)>>,
) -> PyResult<Bound<'py, PyDict>> {
    let (planned, _) = run_plan(
        py,
        strategy,
        options,
        buffer_options,
        &widths,
        &heights,
        keys.as_deref(),
        &pinned.unwrap_or_default(),
        known,
    )?;
    let dealt = &planned.dealt;
    let out = PyDict::new(py);
    out.set_item("world_size", dealt.world_size)?;
    out.set_item("empty", dealt.empty)?;
    out.set_item("order", &dealt.order)?;
    out.set_item("offsets", &dealt.offsets)?;
    let (size_heights, size_widths): (Vec<u32>, Vec<u32>) = dealt.sizes.iter().copied().unzip();
    out.set_item("heights", size_heights)?;
    out.set_item("widths", size_widths)?;
    out.set_item("padding", &dealt.padding)?;
    out.set_item("held", &dealt.held)?;
    out.set_item("dropped", &dealt.dropped)?;
    out.set_item("rejects", rejects(py, &planned.rejects)?)?;
    Ok(out)
}

/// The core's plan of one buffer (the GIL released) and the buffer request it read:
/// [`plan_buffer`] and `arrow::plan_arrow_buffer` differ only in how sizes come in and the plan
/// goes out.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run_plan(
    py: Python<'_>,
    strategy: &str,
    options: &Bound<'_, PyAny>,
    buffer_options: Option<&Bound<'_, PyAny>>,
    widths: &[f64],
    heights: &[f64],
    keys: Option<&[f64]>,
    pinned: &[bool],
    known: Option<Vec<(usize, String, Option<String>, String)>>,
) -> PyResult<(core::BufferPlan, BufferOptions)> {
    let options = parse_options(strategy, options)?;
    let buffer_options = match buffer_options {
        Some(b) if !b.is_none() => BufferOptions::parse(&option_map(b)?).map_err(to_py_error)?,
        _ => BufferOptions::default(),
    };
    let known = known_rejects(known.unwrap_or_default())?;
    let planned = py
        .detach(|| {
            core::plan_buffer(
                &options,
                &buffer_options,
                BufferSamples {
                    widths,
                    heights,
                    keys,
                    known: &known,
                    pinned,
                },
            )
        })
        .map_err(to_py_error)?;
    Ok((planned, buffer_options))
}

/// Checks a strategy's options without planning (constructors fail early). Returns the plan's
/// batch size (`batch_size`, or 1 with only a token budget).
#[pyfunction]
fn check_options(strategy: &str, options: &Bound<'_, PyAny>) -> PyResult<usize> {
    parse_options(strategy, options).map(|o| o.batch_size.unwrap_or(1))
}

/// Checks a buffer request (ranks, carry-over, shuffle) without planning.
#[pyfunction]
fn check_buffer_options(buffer_options: &Bound<'_, PyAny>) -> PyResult<()> {
    BufferOptions::parse(&option_map(buffer_options)?)
        .map(|_| ())
        .map_err(to_py_error)
}

/// `batch_stream`'s options read with their defaults (`buffer_size`, `carry`, `max_carry`,
/// `world_size`, `rank`, `leftover`, `shuffle`, `shuffle_seed`, `epoch`, `shuffle_buffer`): the
/// stream's own over its batcher's (`strategy` with `batcher_options`); `others` are names the
/// caller keeps (its strategy's options, in snake_case).
#[pyfunction]
fn stream_options<'py>(
    py: Python<'py>,
    options: &Bound<'py, PyAny>,
    others: Vec<String>,
    strategy: &str,
    batcher_options: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyDict>> {
    let others: Vec<String> = others.iter().map(|o| camel_case(o)).collect();
    let others: Vec<&str> = others.iter().map(String::as_str).collect();
    let planner = parse_options(strategy, batcher_options)?;
    let parsed =
        StreamOptions::parse(&option_map(options)?, &others, &planner).map_err(to_py_error)?;
    let out = PyDict::new(py);
    out.set_item("buffer_size", parsed.buffer_size)?;
    out.set_item("carry", parsed.carry.is_some())?;
    let max_carry = parsed
        .carry
        .map_or(0, |CarryOptions { max_samples }| max_samples);
    out.set_item("max_carry", max_carry)?;
    out.set_item("world_size", parsed.ranks.world_size)?;
    out.set_item("rank", parsed.ranks.rank)?;
    out.set_item(
        "leftover",
        format!("{:?}", parsed.ranks.leftover).to_lowercase(),
    )?;
    out.set_item("shuffle", parsed.shuffle.is_some())?;
    let (seed, epoch) = parsed.shuffle.map_or((0, 0), |s| (s.seed, s.epoch));
    out.set_item("shuffle_seed", seed)?;
    out.set_item("epoch", epoch)?;
    out.set_item("shuffle_buffer", parsed.shuffle_buffer)?;
    Ok(out)
}

/// The stream's shuffle buffer: draws `start .. start + count` (each in `0..bound`) of the
/// sequence of `(shuffle_seed, epoch)` (`crates/core/src/shuffle.rs`).
#[pyfunction]
fn shuffle_draws(seed: u64, epoch: u64, start: u64, count: usize, bound: u64) -> Vec<u32> {
    let s = Shuffle { seed, epoch };
    shuffle::draws(s.key(Purpose::Reservoir), start, count, bound)
}

/// The order the stream's shuffle buffer is emptied in when the source ends.
#[pyfunction]
fn shuffle_drain(seed: u64, epoch: u64, n: usize) -> Vec<u32> {
    let s = Shuffle { seed, epoch };
    shuffle::permutation(s.key(Purpose::Drain), n)
}

/// Sizes of encoded images held in memory (whole files): `(widths, heights, orientations,
/// failures)`, NaN sizes where `failures` holds `{index, code, format, detail}`. One pass of the
/// prefix ladder over the whole bytes (nothing to slice: the bytes are borrowed, not copied).
#[pyfunction]
fn image_sizes_from_bytes<'py>(
    py: Python<'py>,
    images: Vec<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyTuple>> {
    let mut all = Vec::new();
    let mut offsets = vec![0u32];
    let mut lengths = Vec::with_capacity(images.len());
    for image in &images {
        let bytes = byte_view(image)?;
        all.extend_from_slice(&bytes);
        offsets.push(u32::try_from(all.len()).map_err(|_| {
            to_py_error(PlanError::Input {
                message: "more than 4 GiB of encoded images in one call".into(),
            })
        })?);
        lengths.push(bytes.len() as f64);
    }
    let passes = py.detach(|| {
        ladder::header_pass(EncodedPrefixes {
            bytes: &all,
            offsets: &offsets,
            lengths: &lengths,
        })
    });
    let outcomes: Vec<Outcome> = passes
        .into_iter()
        .enumerate()
        .map(|(k, pass)| match pass {
            HeaderPass::Read(Ok(info)) => Outcome::Size(info.width, info.height, info.orientation),
            HeaderPass::Read(Err(e)) => Outcome::Failed(Reject::header(k, &e)),
            // A whole file never asks for more; kept total all the same.
            HeaderPass::More(_) => Outcome::Failed(Reject::new(
                k,
                ErrorCode::InvalidImage,
                "the header lies beyond the bytes given",
            )),
        })
        .collect();
    sizes_tuple(py, &outcomes)
}

/// One pass of the prefix ladder over images read elsewhere (URLs: `mm_tokenize_batcher.urls`):
/// `prefixes[k]` is the first bytes of a file `lengths[k]` bytes long (`inf` when unknown).
/// Returns `(widths, heights, more, failures)`: where `more[k]` is above 0, read that many bytes
/// (`inf`: all) of image `k` and ask again; `failures` as [`image_sizes_from_bytes`]'.
#[pyfunction]
fn read_header_pass<'py>(
    py: Python<'py>,
    prefixes: Vec<Bound<'py, PyAny>>,
    lengths: Vec<f64>,
) -> PyResult<Bound<'py, PyTuple>> {
    let mut bytes = Vec::new();
    let mut offsets = vec![0u32];
    for p in &prefixes {
        bytes.extend_from_slice(&byte_view(p)?);
        offsets.push(bytes.len() as u32);
    }
    let passes = ladder::header_pass(EncodedPrefixes {
        bytes: &bytes,
        offsets: &offsets,
        lengths: &lengths,
    });
    let n = passes.len();
    let (mut widths, mut heights, mut more) = (vec![f64::NAN; n], vec![f64::NAN; n], vec![0.0; n]);
    let failures = PyList::empty(py);
    for (k, pass) in passes.iter().enumerate() {
        match pass {
            HeaderPass::More(limit) => {
                more[k] = if *limit == usize::MAX {
                    f64::INFINITY
                } else {
                    *limit as f64
                }
            }
            HeaderPass::Read(Ok(info)) => {
                widths[k] = f64::from(info.width);
                heights[k] = f64::from(info.height);
            }
            HeaderPass::Read(Err(e)) => failures.append(reject_dict(py, &Reject::header(k, e))?)?,
        }
    }
    PyTuple::new(
        py,
        [
            widths.into_pyobject(py)?.into_any(),
            heights.into_pyobject(py)?.into_any(),
            more.into_pyobject(py)?.into_any(),
            failures.into_any(),
        ],
    )
}

/// Options of `image_sizes_from_urls` (`concurrency`, `timeout_ms`) read with their defaults
/// (the core's `sources.rs`): `(concurrency, timeout_ms or None)`.
#[pyfunction]
fn url_options(options: &Bound<'_, PyAny>) -> PyResult<(usize, Option<f64>)> {
    let parsed =
        SourceOptions::parse(SourceKind::Urls, &option_map(options)?).map_err(to_py_error)?;
    Ok((parsed.concurrency, parsed.timeout_ms))
}

/// Sizes of image files, read with the prefix ladder (`HEADER_PREFIX_PASSES`): each pass reads
/// the first 2 KiB, 64 KiB, 256 KiB, then all of each file whose header lies further in. Same
/// result shape as [`image_sizes_from_bytes`]; a file that cannot be opened or read is a
/// `READ_FAILED` failure naming the OS error.
#[pyfunction]
fn image_sizes_from_files<'py>(
    py: Python<'py>,
    paths: Vec<PathBuf>,
) -> PyResult<Bound<'py, PyTuple>> {
    let outcomes = py.detach(|| read_files(&paths));
    sizes_tuple(py, &outcomes)
}

enum Outcome {
    Size(u32, u32, u8),
    Failed(Reject),
}

fn read_files(paths: &[PathBuf]) -> Vec<Outcome> {
    let mut outcomes: Vec<Option<Outcome>> = paths.iter().map(|_| None).collect();
    let mut pending: Vec<(usize, usize)> = (0..paths.len())
        .map(|k| (k, ladder::HEADER_PREFIX_PASSES[0]))
        .collect();
    while !pending.is_empty() {
        let mut bytes = Vec::new();
        let mut offsets = vec![0u32];
        let mut lengths = Vec::new();
        let mut asked = Vec::new();
        for &(k, limit) in &pending {
            match read_prefix(&paths[k], limit) {
                Ok((prefix, length)) => {
                    bytes.extend_from_slice(&prefix);
                    offsets.push(bytes.len() as u32);
                    lengths.push(length);
                    asked.push(k);
                }
                Err(e) => {
                    let detail = format!("cannot read {}: {e}", paths[k].display());
                    outcomes[k] = Some(Outcome::Failed(Reject::new(
                        k,
                        ErrorCode::ReadFailed,
                        detail,
                    )));
                }
            }
        }
        let passes = ladder::header_pass(EncodedPrefixes {
            bytes: &bytes,
            offsets: &offsets,
            lengths: &lengths,
        });
        pending.clear();
        for (pass, &k) in passes.into_iter().zip(&asked) {
            match pass {
                HeaderPass::More(limit) => pending.push((k, limit)),
                HeaderPass::Read(Ok(info)) => {
                    outcomes[k] = Some(Outcome::Size(info.width, info.height, info.orientation))
                }
                HeaderPass::Read(Err(e)) => {
                    outcomes[k] = Some(Outcome::Failed(Reject::header(k, &e)))
                }
            }
        }
    }
    outcomes
        .into_iter()
        .enumerate()
        .map(|(k, o)| {
            o.unwrap_or_else(|| Outcome::Failed(Reject::new(k, ErrorCode::ReadFailed, "not read")))
        })
        .collect()
}

/// The first `limit` bytes of a file and its length (`usize::MAX`: all of it).
fn read_prefix(path: &PathBuf, limit: usize) -> std::io::Result<(Vec<u8>, f64)> {
    let file = File::open(path)?;
    let length = file.metadata()?.len();
    let mut out = Vec::with_capacity((length as usize).min(limit));
    file.take(limit as u64).read_to_end(&mut out)?;
    Ok((out, length as f64))
}

fn sizes_tuple<'py>(py: Python<'py>, outcomes: &[Outcome]) -> PyResult<Bound<'py, PyTuple>> {
    let n = outcomes.len();
    let (mut widths, mut heights, mut orientations) =
        (vec![f64::NAN; n], vec![f64::NAN; n], vec![1u8; n]);
    let failures = PyList::empty(py);
    for (k, outcome) in outcomes.iter().enumerate() {
        match outcome {
            Outcome::Size(w, h, o) => {
                widths[k] = f64::from(*w);
                heights[k] = f64::from(*h);
                orientations[k] = *o;
            }
            Outcome::Failed(reject) => failures.append(reject_dict(py, reject)?)?,
        }
    }
    PyTuple::new(
        py,
        [
            widths.into_pyobject(py)?.into_any(),
            heights.into_pyobject(py)?.into_any(),
            orientations.into_pyobject(py)?.into_any(),
            failures.into_any(),
        ],
    )
}

/// Bytes-like input (`bytes`, `bytearray`, `memoryview` and anything with the buffer protocol).
fn byte_view(value: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(b) = value.cast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    if let Ok(b) = value.cast::<PyByteArray>() {
        return Ok(b.to_vec());
    }
    let as_bytes = value.py().get_type::<PyBytes>().call1((value,))?;
    Ok(as_bytes.cast::<PyBytes>()?.as_bytes().to_vec())
}

/// SPEC metrics: image sizes, batch `b` holding images `offsets[b]..offsets[b + 1]`, resized to
/// `(size_heights[b], size_widths[b])`. `options`: `batch_size`, `max_tokens`, `patch_size`.
#[pyfunction]
#[pyo3(signature = (widths, heights, offsets, size_heights, size_widths, options=None, known=None))]
fn evaluate<'py>(
    py: Python<'py>,
    widths: Vec<f64>,
    heights: Vec<f64>,
    offsets: Vec<u32>,
    size_heights: Vec<f64>,
    size_widths: Vec<f64>,
    options: Option<&Bound<'py, PyAny>>,
    known: Option<Vec<(usize, String, Option<String>, String)>>,
) -> PyResult<Bound<'py, PyDict>> {
    let entries = match options {
        Some(o) if !o.is_none() => option_map(o)?,
        _ => OptionMap::new(),
    };
    let options = EvaluateOptions::parse(&entries).map_err(to_py_error)?;
    let sizes = read_resize_sizes(&size_heights, &size_widths).map_err(to_py_error)?;
    let known = known_rejects(known.unwrap_or_default())?;
    let plan = Plan {
        order: (0..widths.len() as u32).collect(),
        offsets,
        sizes,
        rejects: Vec::new(),
    };
    let mut samples = Samples::new(&widths, &heights);
    samples.known = &known;
    let m = core::evaluate(samples, &plan, options.batch_size, options.budget.as_ref())
        .map_err(|e| to_py_error_named(e, "image"))?;
    let out = PyDict::new(py);
    out.set_item("images", m.images)?;
    out.set_item("batches", m.batches)?;
    out.set_item("fill", m.fill)?;
    out.set_item("distortion", summary(py, &m.distortion)?)?;
    out.set_item("scale_mismatch", summary(py, &m.scale_mismatch)?)?;
    out.set_item("resize_waste", summary(py, &m.resize_waste)?)?;
    out.set_item("aspect_spread", m.aspect_spread)?;
    if let Some(t) = m.token_fill {
        out.set_item("token_fill", t)?;
    }
    Ok(out)
}

fn summary<'py>(py: Python<'py>, s: &Summary) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("p50", s.p50)?;
    d.set_item("p95", s.p95)?;
    d.set_item("max", s.max)?;
    Ok(d)
}

/// Qwen2-VL's `smart_resize` for one image (`factor`, `min_pixels`, `max_pixels`; `None` for no
/// bound). Returns `(height, width)`.
#[pyfunction]
#[pyo3(signature = (height, width, options=None))]
fn smart_resize(
    height: f64,
    width: f64,
    options: Option<&Bound<'_, PyAny>>,
) -> PyResult<(u32, u32)> {
    let entries = match options {
        Some(o) if !o.is_none() => option_map(o)?,
        _ => OptionMap::new(),
    };
    core::smart_resize::smart_resize_checked(height, width, &entries).map_err(to_py_error)
}

/// The SPEC seed benchmark's synthetic sizes as `(height, width)` pairs.
#[pyfunction]
fn seed_benchmark_sizes(count: usize, seed: u64) -> Vec<(u32, u32)> {
    core::synthetic::seed_benchmark_sizes(count, seed)
}

/// The registry, for the Python side's tables (names in snake_case): `strategies` (`name`,
/// `options`, `sizing`), `common_options`, `stream_options`, `error_codes`, `normalize`,
/// `formats`, `defaults` (`scope`, `option`, `value`).
#[pyfunction]
fn registry(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let out = PyDict::new(py);
    let strategies = PyList::empty(py);
    for kind in StrategyKind::ALL {
        let d = PyDict::new(py);
        d.set_item("name", kind.name())?;
        let own: Vec<String> = kind.own_options().iter().map(|o| snake_case(o)).collect();
        d.set_item("options", own)?;
        d.set_item(
            "sizing",
            format!("{:?}", kind.default_sizing()).to_lowercase(),
        )?;
        strategies.append(d)?;
    }
    out.set_item("strategies", strategies)?;
    let common: Vec<String> = COMMON_OPTIONS
        .iter()
        .chain(SIZING_OPTIONS)
        .chain(SHUFFLE_OPTIONS)
        .map(|o| snake_case(o))
        .collect();
    out.set_item("common_options", common)?;
    let stream: Vec<String> = STREAM_OPTIONS.iter().map(|o| snake_case(o)).collect();
    out.set_item("stream_options", stream)?;
    let codes: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    out.set_item("error_codes", codes)?;
    let normalize = PyDict::new(py);
    for (name, n) in NORMALIZE_PRESETS {
        let d = PyDict::new(py);
        d.set_item("mean", n.mean.to_vec())?;
        d.set_item("std", n.std.to_vec())?;
        normalize.set_item(name, d)?;
    }
    out.set_item("normalize", normalize)?;
    let formats: Vec<(&str, bool)> = FORMATS
        .iter()
        .map(|row| (row.format.as_str(), row.format.sizes_readable()))
        .collect();
    out.set_item("formats", formats)?;
    let defaults = PyList::empty(py);
    for row in DEFAULTS {
        let d = PyDict::new(py);
        d.set_item("scope", row.scope)?;
        d.set_item("option", snake_case(row.option))?;
        match row.value {
            DefaultValue::Number(n) => d.set_item("value", n)?,
            DefaultValue::Bool(b) => d.set_item("value", b)?,
            DefaultValue::Choice(c) => d.set_item("value", c)?,
            DefaultValue::Rule(r) => d.set_item("rule", r.rule)?,
            #[allow(unreachable_patterns)]
            _ => {}
        }
        defaults.append(d)?;
    }
    out.set_item("defaults", defaults)?;
    Ok(out)
}

fn parse_options(strategy: &str, options: &Bound<'_, PyAny>) -> PyResult<PlanOptions> {
    let kind = StrategyKind::parse(strategy).map_err(to_py_error)?;
    PlanOptions::parse(kind, &option_map(options)?).map_err(to_py_error)
}

/// A Python mapping of options (snake_case names) as the core reads them (camelCase names).
/// `None` values are kept as `null` (an option that allows it reads "none"): the Python side
/// leaves out options the caller did not give.
fn option_map(value: &Bound<'_, PyAny>) -> PyResult<OptionMap> {
    let dict = value
        .cast::<PyDict>()
        .map_err(|_| to_py_error(PlanError::option("options", "must be a dict of options")))?;
    let mut out = OptionMap::new();
    for (k, v) in dict.iter() {
        let key: String = k
            .extract()
            .map_err(|_| to_py_error(PlanError::option("options", "names must be strings")))?;
        out.insert(camel_case(&key), option_value(&v));
    }
    Ok(out)
}

fn option_value(v: &Bound<'_, PyAny>) -> OptionValue {
    if v.is_none() {
        OptionValue::Null
    } else if let Ok(b) = v.cast::<PyBool>() {
        OptionValue::Bool(b.is_true())
    } else if v.is_instance_of::<PyInt>() || v.is_instance_of::<PyFloat>() {
        v.extract::<f64>()
            .map_or(OptionValue::Other, OptionValue::Number)
    } else if let Ok(s) = v.cast::<PyString>() {
        s.to_cow()
            .map_or(OptionValue::Other, |s| OptionValue::Text(s.into_owned()))
    } else if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() {
        let items: Vec<OptionValue> = v
            .try_iter()
            .map(|it| {
                it.filter_map(Result::ok)
                    .map(|x| option_value(&x))
                    .collect()
            })
            .unwrap_or_default();
        let numbers: Option<Vec<f64>> = items
            .iter()
            .map(|x| match x {
                OptionValue::Number(n) => Some(*n),
                _ => None,
            })
            .collect();
        numbers.map_or(OptionValue::Other, OptionValue::List)
    } else if let Ok(d) = v.cast::<PyDict>() {
        let mut map = OptionMap::new();
        for (k, x) in d.iter() {
            if let Ok(key) = k.extract::<String>() {
                map.insert(camel_case(&key), option_value(&x));
            }
        }
        OptionValue::Map(map)
    } else {
        // numpy scalars and other numbers: anything `float()` takes that is not a string.
        v.extract::<f64>()
            .map_or(OptionValue::Other, OptionValue::Number)
    }
}

/// `batch_size` -> `batchSize`: the one mapping between the two spellings of every name.
fn camel_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' && !out.is_empty() {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `batchSize` -> `batch_size` (the inverse of [`camel_case`] on the core's names).
fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A core message with its option names in snake_case: names in backticks and the list after
/// "known options: " (the only places the core's messages name options).
fn snake_message(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut parts = message.split('`');
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    for (i, part) in parts.enumerate() {
        out.push('`');
        if i % 2 == 0 && !part.contains(' ') {
            out.push_str(&snake_case(part));
        } else {
            out.push_str(part);
        }
    }
    const KNOWN: &str = "known options: ";
    if let Some(at) = out.find(KNOWN) {
        let (head, list) = out.split_at(at + KNOWN.len());
        let names: Vec<String> = list.split(", ").map(snake_case).collect();
        return format!("{head}{}", names.join(", "));
    }
    out
}

fn known_rejects(known: Vec<(usize, String, Option<String>, String)>) -> PyResult<Vec<Reject>> {
    known
        .into_iter()
        .map(|(index, code, format, detail)| {
            let code = ErrorCode::ALL
                .iter()
                .copied()
                .find(|c| c.as_str() == code)
                .ok_or_else(|| PyValueError::new_err(format!("unknown error code {code}")))?;
            let format = format.and_then(|name| {
                FORMATS
                    .iter()
                    .map(|row| row.format)
                    .find(|f: &ImageFormat| f.as_str() == name)
            });
            Ok(Reject {
                index,
                code,
                format,
                detail,
            })
        })
        .collect()
}

pub(crate) fn to_py_error(error: PlanError) -> PyErr {
    to_py_error_named(error, "sample")
}

/// A raised `BatcherError`: `code`, the message (a sample's named "`subject` N: ..."), and the
/// fields that locate it (`index`, `option`, `format`, `detail`).
fn to_py_error_named(error: PlanError, subject: &str) -> PyErr {
    Python::attach(|py| {
        let message = match &error {
            PlanError::Sample(r) => format!("{subject} {}: {r}", r.index),
            _ => snake_message(&error.to_string()),
        };
        let err = BatcherError::new_err(message);
        let value = err.value(py);
        let set = |name: &str, v: Bound<'_, PyAny>| {
            let _ = value.setattr(name, v);
        };
        set(
            "code",
            error.code().as_str().into_pyobject(py).unwrap().into_any(),
        );
        let none = || py.None().into_bound(py);
        set("index", none());
        set("option", none());
        set("format", none());
        set("detail", none());
        match &error {
            PlanError::Sample(r) => {
                set("index", r.index.into_pyobject(py).unwrap().into_any());
                if let Some(f) = r.format {
                    set("format", f.as_str().into_pyobject(py).unwrap().into_any());
                }
                set(
                    "detail",
                    r.detail.as_str().into_pyobject(py).unwrap().into_any(),
                );
            }
            PlanError::Option(e) => {
                set(
                    "option",
                    snake_case(&e.option).into_pyobject(py).unwrap().into_any(),
                );
            }
            PlanError::Input { .. } => {}
        }
        err
    })
}

fn reject_dict<'py>(py: Python<'py>, reject: &Reject) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("index", reject.index)?;
    d.set_item("code", reject.code.as_str())?;
    d.set_item("format", reject.format.map(|f| f.as_str()))?;
    d.set_item("detail", &reject.detail)?;
    d.set_item("message", format!("sample {}: {reject}", reject.index))?;
    Ok(d)
}

fn rejects<'py>(py: Python<'py>, list: &[Reject]) -> PyResult<Bound<'py, PyList>> {
    let out = PyList::empty(py);
    for r in list {
        out.append(reject_dict(py, r)?)?;
    }
    Ok(out)
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("BatcherError", m.py().get_type::<BatcherError>())?;
    m.add_function(wrap_pyfunction!(plan_buffer, m)?)?;
    m.add_function(wrap_pyfunction!(images::collect_sizes, m)?)?;
    m.add_function(wrap_pyfunction!(arrow::plan_arrow_buffer, m)?)?;
    m.add_class::<arrow::ArrowPlan>()?;
    m.add_function(wrap_pyfunction!(check_options, m)?)?;
    m.add_function(wrap_pyfunction!(check_buffer_options, m)?)?;
    m.add_function(wrap_pyfunction!(image_sizes_from_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(image_sizes_from_files, m)?)?;
    m.add_function(wrap_pyfunction!(read_header_pass, m)?)?;
    m.add_function(wrap_pyfunction!(url_options, m)?)?;
    m.add_function(wrap_pyfunction!(evaluate, m)?)?;
    m.add_function(wrap_pyfunction!(smart_resize, m)?)?;
    m.add_function(wrap_pyfunction!(seed_benchmark_sizes, m)?)?;
    m.add_function(wrap_pyfunction!(registry, m)?)?;
    m.add_function(wrap_pyfunction!(stream_options, m)?)?;
    m.add_function(wrap_pyfunction!(shuffle_draws, m)?)?;
    m.add_function(wrap_pyfunction!(shuffle_drain, m)?)?;
    m.add_function(wrap_pyfunction!(presets::presets, m)?)?;
    m.add_function(wrap_pyfunction!(presets::preset, m)?)?;
    m.add_function(wrap_pyfunction!(presets::preset_options, m)?)?;
    m.add_function(wrap_pyfunction!(presets::preset_from_config, m)?)?;
    m.add_function(wrap_pyfunction!(packing::check_pack_options, m)?)?;
    m.add_function(wrap_pyfunction!(packing::pack, m)?)?;
    Ok(())
}
