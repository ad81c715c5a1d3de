//! Model presets: the resolution rules of common vision encoders as batcher options, with the
//! normalisation each expects (the values are [`crate::normalize`]'s, written once). The four
//! built-in presets ([`BUILTIN_PRESETS`]) and [`preset_from_config`], which reads a model's
//! Hugging Face `preprocessor_config.json` into a preset. Every binding exports these; values
//! and their sources are documented in docs/presets.md.

use std::fmt;

use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use crate::error::ErrorCode;
use crate::normalize::{Normalize, NORMALIZE_PRESETS};

/// The fields of a preset that are batcher options, in the order a binding lists them
/// (`presetOptions` in TS, `preset_options` in Python).
pub const PRESET_OPTIONS: &[&str] = &[
    "patchSize",
    "multipleOf",
    "minPixels",
    "maxPixels",
    "sizing",
];

/// The pixel rescale every built-in preset applies before normalising.
const RESCALE_255: f64 = 1.0 / 255.0;

/// A built-in preset as written: its normalisation by name (see [`NORMALIZE_PRESETS`]).
#[derive(Debug, Clone, Copy)]
pub struct BuiltinPreset {
    pub name: &'static str,
    pub description: &'static str,
    pub patch_size: u32,
    pub multiple_of: u32,
    pub min_pixels: Option<u32>,
    pub max_pixels: Option<u32>,
    pub sizing: Option<&'static str>,
    pub native_size: Option<[u32; 2]>,
    pub rescale: f64,
    pub normalize: &'static str,
    pub sources: &'static [&'static str],
}

/// The built-in presets, in the order bindings list them.
pub const BUILTIN_PRESETS: &[BuiltinPreset] = &[
    BuiltinPreset {
        name: "clip-vit-l-14",
        description: "OpenAI CLIP ViT-L/14 at 224: at most 224*224 pixels (16*16 = 256 patches of 14), any aspect",
        patch_size: 14,
        multiple_of: 14,
        min_pixels: Some(224 * 224),
        max_pixels: Some(224 * 224),
        sizing: None,
        native_size: Some([224, 224]),
        rescale: RESCALE_255,
        normalize: "clip",
        sources: &["https://huggingface.co/openai/clip-vit-large-patch14/blob/main/preprocessor_config.json"],
    },
    BuiltinPreset {
        name: "clip-vit-l-14-336",
        description: "OpenAI CLIP ViT-L/14 at 336: at most 336*336 pixels (24*24 = 576 patches of 14), any aspect",
        patch_size: 14,
        multiple_of: 14,
        min_pixels: Some(336 * 336),
        max_pixels: Some(336 * 336),
        sizing: None,
        native_size: Some([336, 336]),
        rescale: RESCALE_255,
        normalize: "clip",
        sources: &["https://huggingface.co/openai/clip-vit-large-patch14-336/blob/main/preprocessor_config.json"],
    },
    BuiltinPreset {
        name: "siglip-so400m-14-384",
        description: "SigLIP so400m/14 at 384: the patch-14 convolution uses 378*378 of the 384*384 input (27*27 = 729 patches); at most 378*378 pixels, any aspect",
        patch_size: 14,
        multiple_of: 14,
        min_pixels: Some(378 * 378),
        max_pixels: Some(378 * 378),
        sizing: None,
        native_size: Some([384, 384]),
        rescale: RESCALE_255,
        normalize: "siglip",
        sources: &[
            "https://huggingface.co/google/siglip-so400m-patch14-384/blob/main/preprocessor_config.json",
            "https://huggingface.co/google/siglip-so400m-patch14-384/blob/main/config.json",
        ],
    },
    BuiltinPreset {
        name: "qwen2-vl",
        description: "Qwen2-VL dynamic resolution: smart_resize with factor 28 (patch 14 x merge 2), min_pixels 56*56, max_pixels 28*28*1280",
        patch_size: 14,
        multiple_of: 28,
        min_pixels: Some(56 * 56),
        max_pixels: Some(28 * 28 * 1280),
        sizing: Some("smart-resize"),
        native_size: None,
        rescale: RESCALE_255,
        normalize: "clip",
        sources: &[
            "https://github.com/huggingface/transformers/blob/main/src/transformers/models/qwen2_vl/image_processing_qwen2_vl.py (smart_resize)",
            "https://github.com/QwenLM/Qwen2.5-VL/blob/main/qwen-vl-utils/src/qwen_vl_utils/vision_process.py",
            "https://huggingface.co/Qwen/Qwen2-VL-7B-Instruct (model card: min_pixels = 256*28*28, max_pixels = 1280*28*28 example)",
        ],
    },
];

/// How a preset names its normalisation: a built-in one by its [`NORMALIZE_PRESETS`] name, one
/// made from a config by its values (the same as [`Preset::mean`] and [`Preset::std`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PresetNormalize {
    Named(&'static str),
    Values,
}

/// A preset as every binding shows it. Counts are `f64`: a config's values are JS numbers, read
/// and multiplied as JS would (the bindings show whole ones as integers).
#[derive(Debug, Clone, PartialEq)]
pub struct Preset {
    pub name: String,
    pub description: String,
    pub patch_size: f64,
    pub multiple_of: f64,
    pub min_pixels: Option<f64>,
    pub max_pixels: Option<f64>,
    /// The sizing mode (`"smart-resize"`), where not the strategy's default.
    pub sizing: Option<&'static str>,
    /// The input the model was trained at, `[height, width]`, where it has one.
    pub native_size: Option<[f64; 2]>,
    pub rescale: f64,
    pub normalize: PresetNormalize,
    pub mean: [f64; 3],
    pub std: [f64; 3],
    pub sources: Vec<String>,
}

impl Preset {
    /// The batcher options of this preset (the fields of [`PRESET_OPTIONS`] it has), in that order.
    pub fn options(&self) -> Vec<(&'static str, PresetOption)> {
        let mut out = vec![
            ("patchSize", PresetOption::Number(self.patch_size)),
            ("multipleOf", PresetOption::Number(self.multiple_of)),
        ];
        if let Some(n) = self.min_pixels {
            out.push(("minPixels", PresetOption::Number(n)));
        }
        if let Some(n) = self.max_pixels {
            out.push(("maxPixels", PresetOption::Number(n)));
        }
        if let Some(s) = self.sizing {
            out.push(("sizing", PresetOption::Text(s)));
        }
        out
    }
}

/// One batcher option of a preset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PresetOption {
    Number(f64),
    Text(&'static str),
}

/// A normalisation of [`NORMALIZE_PRESETS`] by name.
fn named_normalize(name: &str) -> Option<Normalize> {
    NORMALIZE_PRESETS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| *v)
}

impl BuiltinPreset {
    pub fn preset(&self) -> Preset {
        // The table names only normalisations that exist (a test checks every row).
        let values = named_normalize(self.normalize).unwrap_or(Normalize {
            mean: [0.0; 3],
            std: [1.0; 3],
        });
        Preset {
            name: self.name.to_owned(),
            description: self.description.to_owned(),
            patch_size: f64::from(self.patch_size),
            multiple_of: f64::from(self.multiple_of),
            min_pixels: self.min_pixels.map(f64::from),
            max_pixels: self.max_pixels.map(f64::from),
            sizing: self.sizing,
            native_size: self.native_size.map(|[h, w]| [f64::from(h), f64::from(w)]),
            rescale: self.rescale,
            normalize: PresetNormalize::Named(self.normalize),
            mean: values.mean,
            std: values.std,
            sources: self.sources.iter().map(|s| (*s).to_owned()).collect(),
        }
    }
}

/// Every built-in preset.
pub fn presets() -> Vec<Preset> {
    BUILTIN_PRESETS.iter().map(BuiltinPreset::preset).collect()
}

/// The built-in preset named `name`, or an `INVALID_OPTION` error (option `preset`) listing
/// the known names.
pub fn preset(name: &str) -> Result<Preset, PresetError> {
    BUILTIN_PRESETS
        .iter()
        .find(|p| p.name == name)
        .map(BuiltinPreset::preset)
        .ok_or_else(|| unknown_preset(&json_string(name)))
}

/// [`preset`] of a name as a binding received it (anything not a string is no preset's name).
pub fn preset_named(name: &ConfigValue) -> Result<Preset, PresetError> {
    match name {
        ConfigValue::Text(name) => preset(name),
        other => Err(unknown_preset(&other.to_json())),
    }
}

fn unknown_preset(shown: &str) -> PresetError {
    let names: Vec<String> = BUILTIN_PRESETS
        .iter()
        .map(|p| json_string(p.name))
        .collect();
    PresetError::option(
        "preset",
        format!(
            "option `preset` must be one of {}, got {shown}",
            names.join(", ")
        ),
    )
}

/// A value of a parsed JSON document as a binding received it (a JS object, a Python dict):
/// `preprocessor_config.json` is a foreign format, read field by field here. Objects keep their
/// order, so messages quote values as `JSON.stringify` does. An absent key is "undefined",
/// distinct from `Null`.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigValue {
    Null,
    Bool(bool),
    Number(f64),
    Text(String),
    List(Vec<ConfigValue>),
    Map(Vec<(String, ConfigValue)>),
}

impl ConfigValue {
    /// The value at `key` of an object (`None`: absent, or not an object).
    pub fn get(&self, key: &str) -> Option<&ConfigValue> {
        match self {
            ConfigValue::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// As `JSON.stringify` writes it (non-finite numbers as `null`).
    pub fn to_json(&self) -> String {
        match self {
            ConfigValue::Null => "null".into(),
            ConfigValue::Bool(b) => b.to_string(),
            ConfigValue::Number(n) => js_number(*n),
            ConfigValue::Text(s) => json_string(s),
            ConfigValue::List(items) => {
                let items: Vec<String> = items.iter().map(ConfigValue::to_json).collect();
                format!("[{}]", items.join(","))
            }
            ConfigValue::Map(entries) => {
                let entries: Vec<String> = entries
                    .iter()
                    .map(|(k, v)| format!("{}:{}", json_string(k), v.to_json()))
                    .collect();
                format!("{{{}}}", entries.join(","))
            }
        }
    }
}

/// Reads any value in one pass (as [`crate::OptionValue`] does), keeping every array item and the
/// order of object keys.
impl<'de> Deserialize<'de> for ConfigValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ConfigVisitor)
    }
}

struct ConfigVisitor;

impl<'de> Visitor<'de> for ConfigVisitor {
    type Value = ConfigValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<ConfigValue, E> {
        Ok(ConfigValue::Null)
    }
    fn visit_none<E>(self) -> Result<ConfigValue, E> {
        Ok(ConfigValue::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<ConfigValue, D::Error> {
        d.deserialize_any(ConfigVisitor)
    }
    fn visit_bool<E>(self, v: bool) -> Result<ConfigValue, E> {
        Ok(ConfigValue::Bool(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<ConfigValue, E> {
        Ok(ConfigValue::Number(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<ConfigValue, E> {
        Ok(ConfigValue::Number(v as f64))
    }
    fn visit_u64<E>(self, v: u64) -> Result<ConfigValue, E> {
        Ok(ConfigValue::Number(v as f64))
    }
    fn visit_str<E>(self, v: &str) -> Result<ConfigValue, E> {
        Ok(ConfigValue::Text(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<ConfigValue, E> {
        Ok(ConfigValue::Text(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ConfigValue, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<ConfigValue>()? {
            items.push(item);
        }
        Ok(ConfigValue::List(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ConfigValue, A::Error> {
        let mut entries = Vec::new();
        while let Some((key, value)) = map.next_entry::<String, ConfigValue>()? {
            entries.push((key, value));
        }
        Ok(ConfigValue::Map(entries))
    }
}

/// A number as JS's `String(n)` writes it (`JSON.stringify` for finite ones): the shortest
/// digits that read back the same, in exponent form below 1e-6 and from 1e21.
fn js_number(n: f64) -> String {
    if !n.is_finite() {
        return "null".into();
    }
    if n == 0.0 {
        return "0".into();
    }
    if (1e-6..1e21).contains(&n.abs()) {
        return format!("{n}");
    }
    let s = format!("{n:e}");
    match s.split_once('e') {
        Some((mantissa, exp)) if !exp.starts_with('-') => format!("{mantissa}e+{exp}"),
        _ => s,
    }
}

fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A config [`preset_from_config`] cannot read: `INVALID_OPTION` naming the option where the
/// caller's options are at fault (or the caller must pass one), `INVALID_INPUT` for the config.
/// `message` says what, without the function's name (each binding prefixes its own).
#[derive(Debug, Clone, PartialEq)]
pub struct PresetError {
    pub option: Option<String>,
    pub message: String,
}

impl PresetError {
    pub fn code(&self) -> ErrorCode {
        if self.option.is_some() {
            ErrorCode::InvalidOption
        } else {
            ErrorCode::InvalidInput
        }
    }

    fn input(message: impl Into<String>) -> Self {
        PresetError {
            option: None,
            message: message.into(),
        }
    }

    fn option(option: &str, message: impl Into<String>) -> Self {
        PresetError {
            option: Some(option.to_owned()),
            message: message.into(),
        }
    }
}

impl fmt::Display for PresetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PresetError {}

/// [`preset_from_config`]'s options: a name for the preset, and the ViT patch size for configs
/// that do not hold it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConfigOptions {
    pub name: Option<String>,
    pub patch_size: Option<ConfigValue>,
}

impl ConfigOptions {
    /// From an options object (`{ name?, patchSize? }`; `None`: not given). Other keys are not
    /// read.
    pub fn read(value: Option<&ConfigValue>) -> Result<Self, PresetError> {
        let Some(value) = value else {
            return Ok(ConfigOptions::default());
        };
        if !matches!(value, ConfigValue::Map(_)) {
            return Err(PresetError::option(
                "options",
                "option `options` must be an object",
            ));
        }
        let name = match value.get("name") {
            None | Some(ConfigValue::Null) => None,
            Some(ConfigValue::Text(s)) => Some(s.clone()),
            Some(other) => {
                return Err(PresetError::option(
                    "name",
                    format!("option `name` must be a string, got {}", other.to_json()),
                ))
            }
        };
        Ok(ConfigOptions {
            name,
            patch_size: value.get("patchSize").cloned(),
        })
    }
}

/// `JSON.stringify(value) ?? String(value)` of a field that may be absent.
fn shown(value: Option<&ConfigValue>) -> String {
    value.map_or_else(|| "undefined".into(), ConfigValue::to_json)
}

/// A positive whole number, or an error naming `what` (and `option`, where the caller gave it).
fn positive(
    value: Option<&ConfigValue>,
    what: &str,
    option: Option<&str>,
) -> Result<f64, PresetError> {
    match value {
        Some(ConfigValue::Number(n)) if n.is_finite() && n.fract() == 0.0 && *n > 0.0 => Ok(*n),
        _ => {
            let message = format!(
                "{what} must be a positive whole number, got {}",
                shown(value)
            );
            Err(match option {
                Some(o) => PresetError::option(o, message),
                None => PresetError::input(message),
            })
        }
    }
}

/// `a ?? b`: `a` unless it is absent or null.
fn nullish<'a>(
    a: Option<&'a ConfigValue>,
    b: impl FnOnce() -> Option<&'a ConfigValue>,
) -> Option<&'a ConfigValue> {
    match a {
        None | Some(ConfigValue::Null) => b(),
        some => some,
    }
}

/// A preset from a model's `preprocessor_config.json` (the parsed object), for models beyond
/// the built-in four. It reads foreign fields, so the checks are here, and maps them onto the
/// batcher's own options (which the option reader then checks as any options):
///
/// - Qwen2-VL style (`min_pixels` / `max_pixels`, or `size.shortest_edge` / `size.longest_edge`
///   as pixel counts, with `patch_size` and `merge_size`): `multipleOf = patch_size *
///   merge_size`, `sizing: 'smart-resize'`.
/// - NaFlex style (`max_num_patches` and `patch_size`, SigLIP 2): any aspect, `multipleOf =
///   patch_size`, `maxPixels = max_num_patches * patch_size^2`.
/// - Fixed resolution (CLIP, SigLIP, LLaVA: `crop_size` when `do_center_crop`, else `size` as
///   `{ height, width }`, `{ shortest_edge }` or a number): the model's side `S` gives
///   `minPixels = maxPixels = (floor(S / patch) * patch)^2`, `multipleOf = patch`, the aspect
///   free (as the built-in CLIP and SigLIP presets).
///
/// `image_mean` / `image_std` give the normalisation (mean 0, std 1 when `do_normalize` is
/// false), `rescale_factor` the rescale (1 when `do_rescale` is false; default 1/255).
pub fn preset_from_config(
    config: &ConfigValue,
    options: &ConfigOptions,
) -> Result<Preset, PresetError> {
    if !matches!(config, ConfigValue::Map(_)) {
        return Err(PresetError::input(
            "takes the parsed preprocessor_config.json object",
        ));
    }
    let field = |key: &str| config.get(key);
    let size = field("size");
    let size_object = size.filter(|s| matches!(s, ConfigValue::Map(_) | ConfigValue::List(_)));

    let normalizing = field("do_normalize") != Some(&ConfigValue::Bool(false));
    let triple = |key: &str, fallback: f64| -> Result<[f64; 3], PresetError> {
        if !normalizing {
            return Ok([fallback; 3]);
        }
        let value = field(key);
        let values = match value {
            Some(ConfigValue::Number(n)) if n.is_finite() => [*n; 3],
            Some(ConfigValue::List(items)) => match items.as_slice() {
                [ConfigValue::Number(a), ConfigValue::Number(b), ConfigValue::Number(c)]
                    if a.is_finite() && b.is_finite() && c.is_finite() =>
                {
                    [*a, *b, *c]
                }
                _ => return Err(bad_triple(key, value)),
            },
            _ => return Err(bad_triple(key, value)),
        };
        if key == "image_std" && values.iter().any(|&v| v <= 0.0) {
            return Err(PresetError::input(format!(
                "image_std must be positive, got {}",
                shown(value)
            )));
        }
        Ok(values)
    };
    let mean = triple("image_mean", 0.0)?;
    let std = triple("image_std", 1.0)?;
    let rescale = if field("do_rescale") == Some(&ConfigValue::Bool(false)) {
        1.0
    } else {
        match field("rescale_factor") {
            None => RESCALE_255,
            Some(ConfigValue::Number(r)) if r.is_finite() && *r > 0.0 => *r,
            other => {
                return Err(PresetError::input(format!(
                    "rescale_factor must be a positive number, got {}",
                    shown(other)
                )))
            }
        }
    };

    let patch_size = if options.patch_size.is_some() {
        positive(
            options.patch_size.as_ref(),
            "option `patchSize`",
            Some("patchSize"),
        )?
    } else if field("patch_size").is_some() {
        positive(field("patch_size"), "patch_size", None)?
    } else {
        return Err(PresetError::option(
            "patchSize",
            "the config has no patch_size (SigLIP and CLIP keep it in config.json: vision_config.patch_size): pass { patchSize }",
        ));
    };
    let name = match (&options.name, field("image_processor_type")) {
        (Some(name), _) => name.clone(),
        (None, Some(ConfigValue::Text(t))) => t.clone(),
        _ => "model".to_owned(),
    };
    let made = |description: String, multiple_of: f64| Preset {
        name: name.clone(),
        description,
        patch_size,
        multiple_of,
        min_pixels: None,
        max_pixels: None,
        sizing: None,
        native_size: None,
        rescale,
        normalize: PresetNormalize::Values,
        mean,
        std,
        sources: vec!["preprocessor_config.json".to_owned()],
    };

    let merge_size = field("merge_size");
    if merge_size.is_some() || field("min_pixels").is_some() || field("max_pixels").is_some() {
        // Qwen2-VL: smart_resize with factor patch_size * merge_size.
        let min_field = nullish(field("min_pixels"), || {
            let bounds_given = field("max_pixels").is_some() || merge_size.is_some();
            size_object
                .filter(|_| bounds_given)
                .and_then(|s| s.get("shortest_edge"))
        });
        let max_field = nullish(field("max_pixels"), || {
            merge_size.and(size_object.and_then(|s| s.get("longest_edge")))
        });
        let merge = match merge_size {
            None => 1.0,
            some => positive(some, "merge_size", None)?,
        };
        let factor = patch_size * merge;
        let min_pixels = min_field
            .map(|v| positive(Some(v), "min_pixels", None))
            .transpose()?;
        let max_pixels = max_field
            .map(|v| positive(Some(v), "max_pixels", None))
            .transpose()?;
        if let (Some(lo), Some(hi)) = (min_pixels, max_pixels) {
            if lo > hi {
                return Err(PresetError::input(format!(
                    "min_pixels {} is above max_pixels {}",
                    js_number(lo),
                    js_number(hi)
                )));
            }
        }
        let mut description = format!(
            "{name}: smart_resize with factor {} (patch {} x merge {})",
            js_number(factor),
            js_number(patch_size),
            js_number(merge)
        );
        if let Some(n) = min_pixels {
            description += &format!(", min_pixels {}", js_number(n));
        }
        if let Some(n) = max_pixels {
            description += &format!(", max_pixels {}", js_number(n));
        }
        return Ok(Preset {
            min_pixels,
            max_pixels,
            sizing: Some("smart-resize"),
            ..made(description, factor)
        });
    }
    if field("max_num_patches").is_some() {
        // NaFlex (SigLIP 2): any aspect, at most max_num_patches patches.
        let patches = positive(field("max_num_patches"), "max_num_patches", None)?;
        let pixels = patches * patch_size * patch_size;
        let description = format!(
            "{name}: at most {} patches of {} ({} pixels), any aspect",
            js_number(patches),
            js_number(patch_size),
            js_number(pixels)
        );
        return Ok(Preset {
            max_pixels: Some(pixels),
            ..made(description, patch_size)
        });
    }
    // Fixed resolution: the input the model was trained at.
    let crop = if field("do_center_crop") != Some(&ConfigValue::Bool(false)) {
        sides(field("crop_size"), "crop_size")?
    } else {
        None
    };
    let native = match crop {
        Some(sides) => Some(sides),
        None => sides(size, "size")?,
    };
    let Some([h, w]) = native else {
        return Err(PresetError::input(
            "found none of min_pixels / max_pixels / merge_size (Qwen2-VL), max_num_patches (NaFlex), crop_size or size (fixed resolution)",
        ));
    };
    let pixels = (h / patch_size).floor() * patch_size * ((w / patch_size).floor() * patch_size);
    if pixels == 0.0 {
        return Err(PresetError::input(format!(
            "the input {} x {} is smaller than one patch of {}",
            js_number(h),
            js_number(w),
            js_number(patch_size)
        )));
    }
    let description = format!(
        "{name}: at most {} pixels ({} patches of {}), any aspect",
        js_number(pixels),
        js_number(pixels / (patch_size * patch_size)),
        js_number(patch_size)
    );
    Ok(Preset {
        min_pixels: Some(pixels),
        max_pixels: Some(pixels),
        native_size: Some([h, w]),
        ..made(description, patch_size)
    })
}

fn bad_triple(key: &str, value: Option<&ConfigValue>) -> PresetError {
    PresetError::input(format!(
        "{key} must be 3 numbers (R, G, B) or one number, got {}",
        value.map_or_else(|| "nothing".into(), ConfigValue::to_json)
    ))
}

/// A model's input side(s) from `crop_size` or `size`: a number, `{ height, width }` or
/// `{ shortest_edge }` (`None` when absent or null).
fn sides(value: Option<&ConfigValue>, what: &str) -> Result<Option<[f64; 2]>, PresetError> {
    let bad = || {
        PresetError::input(format!(
            "{what} must be a number, {{ height, width }} or {{ shortest_edge }}, got {}",
            shown(value)
        ))
    };
    match value {
        None | Some(ConfigValue::Null) => Ok(None),
        Some(v @ ConfigValue::Number(n)) => {
            let side = positive(Some(v), what, None)?;
            debug_assert_eq!(side, *n);
            Ok(Some([side, side]))
        }
        Some(v @ (ConfigValue::Map(_) | ConfigValue::List(_))) => {
            let (height, width) = (v.get("height"), v.get("width"));
            if height.is_some() || width.is_some() {
                let h = positive(height, &format!("{what}.height"), None)?;
                let w = positive(width, &format!("{what}.width"), None)?;
                return Ok(Some([h, w]));
            }
            if let Some(edge) = v.get("shortest_edge") {
                let side = positive(Some(edge), &format!("{what}.shortest_edge"), None)?;
                return Ok(Some([side, side]));
            }
            Err(bad())
        }
        Some(_) => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(x: f64) -> ConfigValue {
        ConfigValue::Number(x)
    }
    fn list(xs: &[f64]) -> ConfigValue {
        ConfigValue::List(xs.iter().copied().map(n).collect())
    }
    fn text(s: &str) -> ConfigValue {
        ConfigValue::Text(s.into())
    }
    fn map(entries: &[(&str, ConfigValue)]) -> ConfigValue {
        ConfigValue::Map(
            entries
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        )
    }
    /// `base` with `key` set (or removed, with `None`).
    fn with(base: &ConfigValue, key: &str, value: Option<ConfigValue>) -> ConfigValue {
        let ConfigValue::Map(entries) = base else {
            unreachable!()
        };
        let mut entries: Vec<(String, ConfigValue)> =
            entries.iter().filter(|(k, _)| k != key).cloned().collect();
        if let Some(v) = value {
            entries.push((key.to_owned(), v));
        }
        ConfigValue::Map(entries)
    }
    fn patch(p: f64) -> ConfigOptions {
        ConfigOptions {
            name: None,
            patch_size: Some(n(p)),
        }
    }

    const CLIP_MEAN: [f64; 3] = [0.48145466, 0.4578275, 0.40821073];
    const CLIP_STD: [f64; 3] = [0.26862954, 0.26130258, 0.27577711];

    /// Qwen/Qwen2-VL-7B-Instruct's preprocessor_config.json, as published.
    fn qwen2_vl_7b() -> ConfigValue {
        map(&[
            ("min_pixels", n(3136.0)),
            ("max_pixels", n(12845056.0)),
            ("patch_size", n(14.0)),
            ("temporal_patch_size", n(2.0)),
            ("merge_size", n(2.0)),
            ("image_mean", list(&CLIP_MEAN)),
            ("image_std", list(&CLIP_STD)),
            ("image_processor_type", text("Qwen2VLImageProcessor")),
            ("processor_class", text("Qwen2VLProcessor")),
        ])
    }

    /// google/siglip2-base-patch16-naflex.
    fn siglip2_naflex() -> ConfigValue {
        map(&[
            ("do_convert_rgb", ConfigValue::Null),
            ("do_normalize", ConfigValue::Bool(true)),
            ("do_rescale", ConfigValue::Bool(true)),
            ("do_resize", ConfigValue::Bool(true)),
            ("image_mean", list(&[0.5; 3])),
            ("image_processor_type", text("Siglip2ImageProcessorFast")),
            ("image_std", list(&[0.5; 3])),
            ("max_num_patches", n(256.0)),
            ("patch_size", n(16.0)),
            ("processor_class", text("Siglip2Processor")),
            ("resample", n(2.0)),
            ("rescale_factor", n(0.00392156862745098)),
        ])
    }

    /// openai/clip-vit-large-patch14.
    fn clip_l14() -> ConfigValue {
        map(&[
            ("crop_size", n(224.0)),
            ("do_center_crop", ConfigValue::Bool(true)),
            ("do_normalize", ConfigValue::Bool(true)),
            ("do_resize", ConfigValue::Bool(true)),
            ("feature_extractor_type", text("CLIPFeatureExtractor")),
            ("image_mean", list(&CLIP_MEAN)),
            ("image_std", list(&CLIP_STD)),
            ("resample", n(3.0)),
            ("size", n(224.0)),
        ])
    }

    #[test]
    fn the_built_ins_hold_their_sizing_and_the_normalize_tables_values() {
        let all = presets();
        let names: Vec<&str> = all.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "clip-vit-l-14",
                "clip-vit-l-14-336",
                "siglip-so400m-14-384",
                "qwen2-vl"
            ]
        );
        for p in &all {
            let PresetNormalize::Named(name) = p.normalize else {
                panic!("{} names its normalisation", p.name)
            };
            let values = named_normalize(name).expect("a normalisation of the table");
            assert_eq!((p.mean, p.std), (values.mean, values.std));
            assert!(!p.sources.is_empty());
            assert_eq!(p.multiple_of % p.patch_size, 0.0);
        }
        let qwen = preset("qwen2-vl").unwrap();
        assert_eq!((qwen.patch_size, qwen.multiple_of), (14.0, 28.0));
        assert_eq!(
            (qwen.min_pixels, qwen.max_pixels),
            (Some(3136.0), Some(1003520.0))
        );
        assert_eq!(qwen.sizing, Some("smart-resize"));
        assert_eq!(
            preset("siglip-so400m-14-384").unwrap().native_size,
            Some([384.0, 384.0])
        );
        assert_eq!(preset("clip-vit-l-14").unwrap().mean, CLIP_MEAN);
    }

    #[test]
    fn a_presets_options_are_its_sizing_fields_in_the_listed_order() {
        let qwen = preset("qwen2-vl").unwrap();
        let names: Vec<&str> = qwen.options().iter().map(|(k, _)| *k).collect();
        assert_eq!(names, PRESET_OPTIONS);
        let clip = preset("clip-vit-l-14").unwrap().options();
        assert_eq!(
            clip,
            [
                ("patchSize", PresetOption::Number(14.0)),
                ("multipleOf", PresetOption::Number(14.0)),
                ("minPixels", PresetOption::Number(50176.0)),
                ("maxPixels", PresetOption::Number(50176.0)),
            ]
        );
    }

    #[test]
    fn an_unknown_name_is_an_invalid_option_listing_the_names() {
        for name in ["clip", "toString", ""] {
            let e = preset(name).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidOption);
            assert_eq!(e.option.as_deref(), Some("preset"));
            assert!(
                e.message
                    .starts_with("option `preset` must be one of \"clip-vit-l-14\", "),
                "{e}"
            );
        }
        assert!(preset("clip")
            .unwrap_err()
            .message
            .ends_with("got \"clip\""));
    }

    #[test]
    fn qwen2_vl_7b_config_gives_smart_resize_with_factor_28() {
        let p = preset_from_config(&qwen2_vl_7b(), &ConfigOptions::default()).unwrap();
        assert_eq!(p.name, "Qwen2VLImageProcessor");
        assert_eq!((p.patch_size, p.multiple_of), (14.0, 28.0));
        assert_eq!(
            (p.min_pixels, p.max_pixels),
            (Some(3136.0), Some(12845056.0))
        );
        assert_eq!(p.sizing, Some("smart-resize"));
        assert_eq!(
            (p.mean, p.std, p.rescale),
            (CLIP_MEAN, CLIP_STD, 1.0 / 255.0)
        );
        assert_eq!(p.normalize, PresetNormalize::Values);
        assert_eq!(p.description, "Qwen2VLImageProcessor: smart_resize with factor 28 (patch 14 x merge 2), min_pixels 3136, max_pixels 12845056");
        // With smart_resize's default max_pixels it is the built-in preset's sizing.
        let same = with(&qwen2_vl_7b(), "max_pixels", Some(n(1003520.0)));
        let made = preset_from_config(&same, &ConfigOptions::default()).unwrap();
        assert_eq!(made.options(), preset("qwen2-vl").unwrap().options());
        // Qwen2.5-VL's form: the pixel bounds in `size`.
        let sized = with(
            &with(
                &with(&qwen2_vl_7b(), "min_pixels", None),
                "max_pixels",
                None,
            ),
            "size",
            Some(map(&[
                ("shortest_edge", n(3136.0)),
                ("longest_edge", n(12845056.0)),
            ])),
        );
        let p = preset_from_config(&sized, &ConfigOptions::default()).unwrap();
        assert_eq!(
            (p.min_pixels, p.max_pixels),
            (Some(3136.0), Some(12845056.0))
        );
    }

    #[test]
    fn siglip2_naflex_config_gives_256_patches_of_16_any_aspect() {
        let p = preset_from_config(&siglip2_naflex(), &ConfigOptions::default()).unwrap();
        assert_eq!(p.name, "Siglip2ImageProcessorFast");
        assert_eq!(
            p.options(),
            [
                ("patchSize", PresetOption::Number(16.0)),
                ("multipleOf", PresetOption::Number(16.0)),
                ("maxPixels", PresetOption::Number(65536.0)),
            ]
        );
        assert_eq!((p.mean, p.std), ([0.5; 3], [0.5; 3]));
        assert_eq!(p.rescale, 0.00392156862745098);
        assert_eq!(
            p.description,
            "Siglip2ImageProcessorFast: at most 256 patches of 16 (65536 pixels), any aspect"
        );
    }

    #[test]
    fn clip_configs_give_the_built_in_clip_presets() {
        let p = preset_from_config(&clip_l14(), &patch(14.0)).unwrap();
        assert_eq!(p.options(), preset("clip-vit-l-14").unwrap().options());
        assert_eq!(p.native_size, Some([224.0, 224.0]));
        assert_eq!((p.mean, p.std), (CLIP_MEAN, CLIP_STD));
        assert_eq!(p.name, "model");
        assert_eq!(
            p.description,
            "model: at most 50176 pixels (256 patches of 14), any aspect"
        );
        let c336 = with(
            &with(&clip_l14(), "crop_size", Some(n(336.0))),
            "size",
            Some(n(336.0)),
        );
        let c336 = with(&c336, "patch_size", Some(n(14.0)));
        let p = preset_from_config(
            &c336,
            &ConfigOptions {
                name: Some("mine".into()),
                patch_size: None,
            },
        )
        .unwrap();
        assert_eq!(p.options(), preset("clip-vit-l-14-336").unwrap().options());
        assert_eq!(p.name, "mine");
        // SigLIP so400m: size { height, width } 384 gives 378 * 378 on the 14 grid.
        let siglip = map(&[
            ("image_mean", list(&[0.5; 3])),
            ("image_std", list(&[0.5; 3])),
            ("size", map(&[("height", n(384.0)), ("width", n(384.0))])),
        ]);
        let p = preset_from_config(&siglip, &patch(14.0)).unwrap();
        assert_eq!(
            p.options(),
            preset("siglip-so400m-14-384").unwrap().options()
        );
        assert_eq!(p.native_size, Some([384.0, 384.0]));
        // Without normalising or rescaling: mean 0, std 1, rescale 1.
        let plain = with(
            &with(&clip_l14(), "do_normalize", Some(ConfigValue::Bool(false))),
            "do_rescale",
            Some(ConfigValue::Bool(false)),
        );
        let p = preset_from_config(&plain, &patch(14.0)).unwrap();
        assert_eq!((p.mean, p.std, p.rescale), ([0.0; 3], [1.0; 3], 1.0));
    }

    #[test]
    fn bad_fields_are_errors_naming_the_field_and_the_value() {
        let cases: Vec<(ConfigValue, ConfigOptions, ErrorCode, &str)> = vec![
            (ConfigValue::Null, ConfigOptions::default(), ErrorCode::InvalidInput, "takes the parsed preprocessor_config.json object"),
            (list(&[1.0]), ConfigOptions::default(), ErrorCode::InvalidInput, "takes the parsed preprocessor_config.json object"),
            (clip_l14(), ConfigOptions::default(), ErrorCode::InvalidOption, "the config has no patch_size (SigLIP and CLIP keep it in config.json: vision_config.patch_size): pass { patchSize }"),
            (clip_l14(), patch(14.5), ErrorCode::InvalidOption, "option `patchSize` must be a positive whole number, got 14.5"),
            (with(&clip_l14(), "image_std", Some(list(&[1.0, 2.0]))), patch(14.0), ErrorCode::InvalidInput, "image_std must be 3 numbers (R, G, B) or one number, got [1,2]"),
            (with(&clip_l14(), "image_mean", None), patch(14.0), ErrorCode::InvalidInput, "image_mean must be 3 numbers (R, G, B) or one number, got nothing"),
            (with(&clip_l14(), "image_std", Some(list(&[0.5, 0.0, 0.5]))), patch(14.0), ErrorCode::InvalidInput, "image_std must be positive, got [0.5,0,0.5]"),
            (with(&clip_l14(), "rescale_factor", Some(ConfigValue::Null)), patch(14.0), ErrorCode::InvalidInput, "rescale_factor must be a positive number, got null"),
            (with(&with(&qwen2_vl_7b(), "min_pixels", Some(n(10.0))), "max_pixels", Some(n(5.0))), ConfigOptions::default(), ErrorCode::InvalidInput, "min_pixels 10 is above max_pixels 5"),
            (with(&qwen2_vl_7b(), "merge_size", Some(text("2"))), ConfigOptions::default(), ErrorCode::InvalidInput, "merge_size must be a positive whole number, got \"2\""),
            (with(&siglip2_naflex(), "max_num_patches", Some(n(-1.0))), ConfigOptions::default(), ErrorCode::InvalidInput, "max_num_patches must be a positive whole number, got -1"),
            (with(&with(&clip_l14(), "size", None), "crop_size", None), patch(14.0), ErrorCode::InvalidInput, "found none of min_pixels / max_pixels / merge_size (Qwen2-VL), max_num_patches (NaFlex), crop_size or size (fixed resolution)"),
            (with(&with(&clip_l14(), "crop_size", None), "size", Some(text("big"))), patch(14.0), ErrorCode::InvalidInput, "size must be a number, { height, width } or { shortest_edge }, got \"big\""),
            (with(&clip_l14(), "crop_size", Some(map(&[("height", n(224.0))]))), patch(14.0), ErrorCode::InvalidInput, "crop_size.width must be a positive whole number, got undefined"),
            (with(&clip_l14(), "crop_size", Some(n(10.0))), patch(14.0), ErrorCode::InvalidInput, "the input 10 x 10 is smaller than one patch of 14"),
        ];
        for (config, options, code, message) in cases {
            let e = preset_from_config(&config, &options).unwrap_err();
            assert_eq!((e.code(), e.message.as_str()), (code, message));
        }
        assert_eq!(
            ConfigOptions::read(Some(&n(3.0))).unwrap_err(),
            PresetError::option("options", "option `options` must be an object")
        );
        assert_eq!(
            ConfigOptions::read(Some(&map(&[("name", n(3.0))])))
                .unwrap_err()
                .option
                .as_deref(),
            Some("name")
        );
    }

    #[test]
    fn values_are_quoted_as_json_stringify_quotes_them() {
        assert_eq!(js_number(1.0 / 255.0), "0.00392156862745098");
        assert_eq!(js_number(1e21), "1e+21");
        assert_eq!(js_number(1.5e-7), "1.5e-7");
        assert_eq!(js_number(123456.0), "123456");
        assert_eq!(js_number(-0.0), "0");
        assert_eq!(js_number(f64::NAN), "null");
        let v = map(&[
            ("a", list(&[1.0, 2.5])),
            ("b\"", text("x\ny")),
            ("c", ConfigValue::Null),
        ]);
        assert_eq!(v.to_json(), r#"{"a":[1,2.5],"b\"":"x\ny","c":null}"#);
    }
}
