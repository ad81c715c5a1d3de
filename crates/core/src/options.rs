//! Options as users write them (camelCase names, JS numbers), checked once into typed values.
//! Every check lives here, so every binding reports the same message for the same mistake.

use std::collections::BTreeMap;

use serde::de::IgnoredAny;
use serde::Deserialize;

use crate::error::PlanError;

/// One option value as a binding received it. Bindings drop `undefined` entries before this.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OptionValue {
    Bool(bool),
    Number(f64),
    Text(String),
    /// Objects, arrays, null and anything else: always a type error, reported by name.
    Other(IgnoredAny),
}

impl OptionValue {
    fn type_name(&self) -> &'static str {
        match self {
            OptionValue::Bool(_) => "a boolean",
            OptionValue::Number(_) => "a number",
            OptionValue::Text(_) => "a string",
            OptionValue::Other(_) => "an object, array or null",
        }
    }
}

pub type OptionMap = BTreeMap<String, OptionValue>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrategyKind {
    Simple,
    Sorted,
    Clustered,
    Balanced,
}

impl StrategyKind {
    pub fn parse(name: &str) -> Result<Self, PlanError> {
        match name {
            "simple" => Ok(StrategyKind::Simple),
            "sorted" => Ok(StrategyKind::Sorted),
            "clustered" => Ok(StrategyKind::Clustered),
            "balanced" => Ok(StrategyKind::Balanced),
            other => Err(PlanError::option(
                "strategy",
                format!(
                    "must be \"simple\", \"sorted\", \"clustered\" or \"balanced\", got {other:?}"
                ),
            )),
        }
    }
}

/// What the sorted strategy orders by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// `width / height`.
    Aspect,
    /// `width * height`.
    Area,
    /// One number per sample, given by the caller.
    Custom,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Strategy {
    Simple,
    Sorted { key: SortKey },
    Clustered(ClusterOptions),
    Balanced(BalancedOptions),
}

/// Defaults are documented in the README's options table.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterOptions {
    /// `None`: `ceil(n / batchSize)` (after full batches of one exact size are set apart).
    pub num_clusters: Option<usize>,
    pub seed: u64,
    pub max_iterations: u64,
}

pub const DEFAULT_MAX_ITERATIONS: u64 = 3;
pub const DEFAULT_REFINE_PASSES: usize = 4;

/// Full batches: balanced bisection, then `refine_passes` passes of pairwise swaps.
#[derive(Debug, Clone, PartialEq)]
pub struct BalancedOptions {
    /// Least share of slots that hold a sample, in (0, 1]. Default 0.95.
    pub min_fill: f64,
    pub refine_passes: usize,
}

pub const DEFAULT_MIN_FILL: f64 = 0.95;

/// Which real size a batch aims at, before bounds and rounding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SizeMode {
    /// Medians of ln aspect and ln area: the least mean `ln r` over the batch (SPEC's rule).
    #[default]
    Median,
    /// Centre of the batch's extent in ln width and ln height: the least worst `r` in the batch.
    Minimax,
    /// The median target, rounded to whole pixels, then Qwen2-VL's `smart_resize` with
    /// `factor = multipleOf` and the pixel bounds (see `smart_resize`).
    SmartResize,
}

/// How a batch's `resizeSize` is chosen, rounded and bounded (see `sizing`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sizing {
    pub mode: SizeMode,
    pub multiple_of: u32,
    pub min_pixels: Option<f64>,
    pub max_pixels: Option<f64>,
}

impl Default for Sizing {
    fn default() -> Self {
        Sizing {
            mode: SizeMode::Median,
            multiple_of: 1,
            min_pixels: None,
            max_pixels: None,
        }
    }
}

/// A token budget per batch, as packed vision encoders are fed: a batch of `count` images at
/// `(H, W)` costs `count * (H / patch_size) * (W / patch_size)` tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TokenBudget {
    pub max_tokens: u64,
    pub patch_size: u32,
}

impl TokenBudget {
    /// Tokens one image costs at `(height, width)` (sides are multiples of the patch size).
    pub fn tokens(&self, (height, width): (u32, u32)) -> u64 {
        u64::from(height / self.patch_size) * u64::from(width / self.patch_size)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlanOptions {
    /// Most samples per batch; `None` when only a token budget bounds batches.
    pub batch_size: Option<usize>,
    pub tokens: Option<TokenBudget>,
    /// Most distinct `resizeSize` values in one plan.
    pub max_shapes: Option<usize>,
    pub strategy: Strategy,
    pub sizing: Sizing,
    /// Invalid samples become rejects instead of an error.
    pub skip_invalid: bool,
}

pub(crate) const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;
const MAX_COUNT: f64 = 2_147_483_647.0;
pub(crate) const MAX_MULTIPLE_OF: f64 = 65_536.0;

const COMMON: &[&str] = &[
    "batchSize",
    "maxTokens",
    "patchSize",
    "maxShapes",
    "multipleOf",
    "minPixels",
    "maxPixels",
    "sizing",
    "skipInvalid",
];
const SORTED: &[&str] = &["key"];
const CLUSTERED: &[&str] = &["numClusters", "seed", "maxIterations"];
const BALANCED: &[&str] = &["minFill", "refinePasses"];

impl PlanOptions {
    /// Checks a strategy's options. Unknown names, wrong types and out-of-range values are
    /// errors naming the option.
    pub fn parse(kind: StrategyKind, entries: &OptionMap) -> Result<Self, PlanError> {
        let own: &[&str] = match kind {
            StrategyKind::Simple => &[],
            StrategyKind::Sorted => SORTED,
            StrategyKind::Clustered => CLUSTERED,
            StrategyKind::Balanced => BALANCED,
        };
        if let Some(unknown) = entries
            .keys()
            .find(|k| !COMMON.contains(&k.as_str()) && !own.contains(&k.as_str()))
        {
            let mut known: Vec<&str> = COMMON.iter().chain(own).copied().collect();
            known.sort_unstable();
            return Err(PlanError::option(
                unknown,
                format!(
                    "is not an option of this strategy; known options: {}",
                    known.join(", ")
                ),
            ));
        }

        let batch_size = integer(entries, "batchSize", 1.0, MAX_COUNT)?.map(|b| b as usize);
        let patch_size = integer(entries, "patchSize", 1.0, MAX_MULTIPLE_OF)?.map(|p| p as u32);
        let max_tokens = integer(entries, "maxTokens", 1.0, MAX_SAFE_INTEGER)?.map(|t| t as u64);
        let tokens = match (max_tokens, patch_size) {
            (Some(max_tokens), Some(patch_size)) => Some(TokenBudget {
                max_tokens,
                patch_size,
            }),
            (Some(_), None) => {
                return Err(PlanError::option(
                    "maxTokens",
                    "needs `patchSize` to count tokens",
                ))
            }
            _ => None,
        };
        if batch_size.is_none() && tokens.is_none() {
            return Err(PlanError::option(
                "batchSize",
                "is required (or a token budget: `maxTokens` with `patchSize`)",
            ));
        }
        let max_shapes = integer(entries, "maxShapes", 1.0, MAX_COUNT)?.map(|k| k as usize);
        // With a patch size, sides default to whole patches, and must be whole patches.
        let multiple_of = integer(entries, "multipleOf", 1.0, MAX_MULTIPLE_OF)?
            .map_or(patch_size.unwrap_or(1), |m| m as u32);
        if let Some(patch) = patch_size {
            if multiple_of % patch != 0 {
                return Err(PlanError::option(
                    "multipleOf",
                    format!(
                        "is {multiple_of}; with `patchSize` {patch} it must be a multiple of it"
                    ),
                ));
            }
        }
        let min_pixels = integer(entries, "minPixels", 1.0, MAX_SAFE_INTEGER)?;
        let max_pixels = integer(entries, "maxPixels", 1.0, MAX_SAFE_INTEGER)?;
        let multiple_area = f64::from(multiple_of) * f64::from(multiple_of);
        if let Some(max) = max_pixels {
            if max < multiple_area {
                return Err(PlanError::option(
                    "maxPixels",
                    format!("is {max}, below multipleOf^2 = {multiple_area}: no size would fit"),
                ));
            }
            if let Some(min) = min_pixels {
                if min > max {
                    return Err(PlanError::option(
                        "minPixels",
                        format!("is {min}, above maxPixels = {max}"),
                    ));
                }
            }
        }
        let skip_invalid = boolean(entries, "skipInvalid")?.unwrap_or(false);

        let strategy = match kind {
            StrategyKind::Simple => Strategy::Simple,
            StrategyKind::Sorted => Strategy::Sorted {
                key: sort_key(entries)?,
            },
            StrategyKind::Clustered => Strategy::Clustered(ClusterOptions {
                num_clusters: integer(entries, "numClusters", 1.0, MAX_COUNT)?.map(|k| k as usize),
                seed: integer(entries, "seed", 0.0, MAX_SAFE_INTEGER)?.unwrap_or(0.0) as u64,
                max_iterations: integer(entries, "maxIterations", 1.0, 10_000.0)?
                    .map_or(DEFAULT_MAX_ITERATIONS, |n| n as u64),
            }),
            StrategyKind::Balanced => Strategy::Balanced(BalancedOptions {
                min_fill: fraction(entries, "minFill")?.unwrap_or(DEFAULT_MIN_FILL),
                refine_passes: integer(entries, "refinePasses", 0.0, 1000.0)?
                    .map_or(DEFAULT_REFINE_PASSES, |n| n as usize),
            }),
        };
        Ok(PlanOptions {
            batch_size,
            tokens,
            max_shapes,
            strategy,
            sizing: Sizing {
                // The SPEC's median rule for every strategy (minimax let one outlier move the
                // size of a whole batch: worse p95 on every real set measured).
                mode: size_mode(entries, SizeMode::Median)?,
                multiple_of,
                min_pixels,
                max_pixels,
            },
            skip_invalid,
        })
    }
}

pub(crate) fn integer(
    entries: &OptionMap,
    name: &str,
    min: f64,
    max: f64,
) -> Result<Option<f64>, PlanError> {
    let Some(value) = entries.get(name) else {
        return Ok(None);
    };
    let OptionValue::Number(n) = *value else {
        return Err(PlanError::option(
            name,
            format!("must be a number, got {}", value.type_name()),
        ));
    };
    if !n.is_finite() || n.fract() != 0.0 || n < min || n > max {
        let range = if max == MAX_SAFE_INTEGER {
            format!("at least {min}")
        } else {
            format!("from {min} to {max}")
        };
        return Err(PlanError::option(
            name,
            format!("must be a whole number {range}, got {n}"),
        ));
    }
    Ok(Some(n))
}

/// A number in (0, 1].
fn fraction(entries: &OptionMap, name: &str) -> Result<Option<f64>, PlanError> {
    let Some(value) = entries.get(name) else {
        return Ok(None);
    };
    match *value {
        OptionValue::Number(x) if x > 0.0 && x <= 1.0 => Ok(Some(x)),
        OptionValue::Number(x) => Err(PlanError::option(
            name,
            format!("must be above 0 and at most 1, got {x}"),
        )),
        ref other => Err(PlanError::option(
            name,
            format!("must be a number, got {}", other.type_name()),
        )),
    }
}

pub(crate) fn boolean(entries: &OptionMap, name: &str) -> Result<Option<bool>, PlanError> {
    match entries.get(name) {
        None => Ok(None),
        Some(OptionValue::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(PlanError::option(
            name,
            format!("must be a boolean, got {}", other.type_name()),
        )),
    }
}

fn size_mode(entries: &OptionMap, default: SizeMode) -> Result<SizeMode, PlanError> {
    match entries.get("sizing") {
        None => Ok(default),
        Some(OptionValue::Text(t)) if t == "median" => Ok(SizeMode::Median),
        Some(OptionValue::Text(t)) if t == "minimax" => Ok(SizeMode::Minimax),
        Some(OptionValue::Text(t)) if t == "smart-resize" => Ok(SizeMode::SmartResize),
        Some(other) => Err(PlanError::option(
            "sizing",
            format!(
                "must be \"median\", \"minimax\" or \"smart-resize\", got {}",
                match other {
                    OptionValue::Text(t) => format!("{t:?}"),
                    other => other.type_name().to_string(),
                }
            ),
        )),
    }
}

fn sort_key(entries: &OptionMap) -> Result<SortKey, PlanError> {
    match entries.get("key") {
        None => Ok(SortKey::Aspect),
        Some(OptionValue::Text(t)) if t == "aspect" => Ok(SortKey::Aspect),
        Some(OptionValue::Text(t)) if t == "area" => Ok(SortKey::Area),
        Some(OptionValue::Text(t)) if t == "custom" => Ok(SortKey::Custom),
        Some(OptionValue::Text(t)) => Err(PlanError::option(
            "key",
            format!("must be \"aspect\", \"area\" or a function returning a number, got {t:?}"),
        )),
        Some(other) => Err(PlanError::option(
            "key",
            format!(
                "must be \"aspect\", \"area\" or a function returning a number, got {}",
                other.type_name()
            ),
        )),
    }
}
