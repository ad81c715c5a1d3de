//! Planning one buffer: check samples, group them with the chosen strategy, cut groups into
//! batches and size each batch.

use crate::defaults;
use crate::error::{ErrorCode, PlanError, Reject};
use crate::max_shapes::limit_shapes;
use crate::options::{OptionMap, OptionReader, MAX_COUNT};
use crate::samples::{Checked, Samples};
use crate::shape::Shape;
use crate::shuffle::{ShuffleSpec, SHUFFLE_OPTIONS};
use crate::sizing::{resize_size, resize_sizes, Sizing, SizingScratch, SIZING_OPTIONS};
use crate::strategies::{GroupInput, Grouped, Strategy, StrategyKind};
use crate::tokens::{
    check_multiple_of_patch, read_patch_size, typical_batch_size, TokenBudget, TokenCutter,
};

/// Options every strategy takes, beside its own (`StrategyKind::own_options`), the sizing options
/// and the shuffle options (`shuffle`, `shuffleSeed`, `epoch`: see [`crate::shuffle`]).
pub const COMMON_OPTIONS: &[&str] = &[
    "batchSize",
    "maxTokens",
    "patchSize",
    "maxShapes",
    "skipInvalid",
];

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
    /// The batcher's shuffle options (one call may override them: [`crate::buffer::BufferOptions`]).
    pub shuffle: ShuffleSpec,
}

impl PlanOptions {
    /// Checks a strategy's options. Unknown names, wrong types and out-of-range values are
    /// errors naming the option.
    pub fn parse(kind: StrategyKind, entries: &OptionMap) -> Result<Self, PlanError> {
        let options = OptionReader::new(
            entries,
            &[
                COMMON_OPTIONS,
                SIZING_OPTIONS,
                SHUFFLE_OPTIONS,
                kind.own_options(),
            ],
            "of this strategy",
        )?;
        let batch_size = options
            .integer("batchSize", 1.0, MAX_COUNT)?
            .map(|b| b as usize);
        let tokens = TokenBudget::read(&options, false)?;
        if batch_size.is_none() && tokens.is_none() {
            return Err(PlanError::option(
                "batchSize",
                "is required (or a token budget: `maxTokens` with `patchSize`)",
            ));
        }
        // With a patch size, sides default to whole patches, and must be whole patches.
        let patch = read_patch_size(&options)?;
        let sizing = Sizing::read(
            &options,
            kind.default_sizing(),
            patch.unwrap_or(defaults::MULTIPLE_OF),
        )?;
        check_multiple_of_patch(sizing.multiple_of, patch)?;
        let shuffle = ShuffleSpec::read(&options)?;
        shuffle.resolve()?;
        Ok(PlanOptions {
            batch_size,
            tokens,
            max_shapes: options
                .integer("maxShapes", 1.0, MAX_COUNT)?
                .map(|k| k as usize),
            strategy: kind.read_options(&options)?,
            sizing,
            skip_invalid: options
                .boolean("skipInvalid")?
                .unwrap_or(defaults::SKIP_INVALID),
            shuffle,
        })
    }

    /// The batch size count-based strategies aim at: `batchSize`, or what a budget implies.
    fn target_batch_size(&self, shapes: &[Shape]) -> usize {
        self.batch_size.unwrap_or_else(|| {
            self.tokens.map_or(1, |budget| {
                typical_batch_size(shapes, &budget, &self.sizing)
            })
        })
    }
}

/// A plan in flat arrays, ready to cross to JS as typed arrays.
/// Batch `b` holds the input indices `order[offsets[b]..offsets[b + 1]]` and is resized to
/// `sizes[b] = (height, width)`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Plan {
    pub order: Vec<u32>,
    pub offsets: Vec<u32>,
    pub sizes: Vec<(u32, u32)>,
    /// Invalid samples, in index order (only with `skipInvalid`; otherwise the first is the error).
    pub rejects: Vec<Reject>,
}

impl Plan {
    pub fn batch_count(&self) -> usize {
        self.sizes.len()
    }

    /// Input indices of batch `b`.
    pub fn batch(&self, b: usize) -> &[u32] {
        &self.order[self.offsets[b] as usize..self.offsets[b + 1] as usize]
    }
}

/// A plan before it is flattened: batches as positions into `shapes`, whose input indices are
/// `indices`. Carry-over and rank dealing work on this form.
#[derive(Debug, Clone, Default)]
pub struct Planned {
    pub shapes: Vec<Shape>,
    pub indices: Vec<u32>,
    pub batches: Vec<Vec<u32>>,
    pub sizes: Vec<(u32, u32)>,
    pub rejects: Vec<Reject>,
}

impl Planned {
    pub fn into_plan(self) -> Plan {
        let mut plan = Plan {
            order: Vec::with_capacity(self.shapes.len()),
            offsets: Vec::with_capacity(self.batches.len() + 1),
            sizes: self.sizes,
            rejects: self.rejects,
        };
        plan.offsets.push(0);
        for batch in &self.batches {
            plan.order
                .extend(batch.iter().map(|&p| self.indices[p as usize]));
            plan.offsets.push(plan.order.len() as u32);
        }
        plan
    }
}

pub fn plan(options: &PlanOptions, samples: Samples<'_>) -> Result<Plan, PlanError> {
    plan_batches(options, samples).map(Planned::into_plan)
}

/// Plans a buffer into batches of positions (see [`Planned`]).
pub fn plan_batches(options: &PlanOptions, samples: Samples<'_>) -> Result<Planned, PlanError> {
    let keys = custom_keys(options, &samples)?;
    let Checked {
        shapes,
        indices,
        mut rejects,
    } = Samples { keys, ..samples }.check()?;
    if !options.skip_invalid {
        if let Some(first) = rejects.first() {
            return Err(PlanError::Sample(first.clone()));
        }
    }
    let valid_keys: Vec<f64> = keys
        .map(|k| indices.iter().map(|&i| k[i as usize]).collect())
        .unwrap_or_default();
    let Grouped { groups, sizes } = options.strategy.groups(&GroupInput {
        shapes: &shapes,
        batch_size: options.target_batch_size(&shapes),
        keys: &valid_keys,
        sizing: &options.sizing,
    })?;
    let (batches, over_budget, uncut) = cut_groups(options, &shapes, groups);
    reject_over_budget(options, &shapes, &indices, &over_budget, &mut rejects)?;
    let known = sizes.filter(|_| uncut);
    let (batches, sizes) = size_batches(options, &shapes, batches, known);
    Ok(Planned {
        shapes,
        indices,
        batches,
        sizes,
        rejects,
    })
}

/// The caller's per-sample keys, when the strategy reads them.
fn custom_keys<'a>(
    options: &PlanOptions,
    samples: &Samples<'a>,
) -> Result<Option<&'a [f64]>, PlanError> {
    if !options.strategy.needs_keys() {
        return Ok(None);
    }
    let keys = samples.keys.ok_or_else(|| {
        PlanError::option(
            "key",
            "\"custom\" needs one key per sample; pass a function as `key`",
        )
    })?;
    if keys.len() != samples.widths.len() {
        return Err(PlanError::Input {
            message: format!("{} keys for {} samples", keys.len(), samples.widths.len()),
        });
    }
    Ok(Some(keys))
}

/// Cuts groups into batches: by count, and by tokens where a budget is set. Returns the batches,
/// the samples too large for the budget alone, and whether the batches are the groups as given.
fn cut_groups(
    options: &PlanOptions,
    shapes: &[Shape],
    groups: Vec<Vec<u32>>,
) -> (Vec<Vec<u32>>, Vec<u32>, bool) {
    let Some(budget) = &options.tokens else {
        let batch_size = options.target_batch_size(shapes);
        // Groups planned as batches (Clustered's, Balanced's) are already batches.
        if groups
            .iter()
            .all(|g| !g.is_empty() && g.len() <= batch_size)
        {
            return (groups, Vec::new(), true);
        }
        let batches = groups
            .iter()
            .flat_map(|g| g.chunks(batch_size).map(<[u32]>::to_vec))
            .collect();
        return (batches, Vec::new(), false);
    };
    let mut cutter = TokenCutter {
        shapes,
        budget,
        cap: options.batch_size.unwrap_or(usize::MAX),
        sizing: &options.sizing,
        scratch: SizingScratch::default(),
        batches: Vec::new(),
        over: Vec::new(),
    };
    groups.iter().for_each(|g| cutter.cut(g));
    (cutter.batches, cutter.over, false)
}

/// Samples that alone exceed the token budget: an error, or rejects with `skipInvalid`.
fn reject_over_budget(
    options: &PlanOptions,
    shapes: &[Shape],
    indices: &[u32],
    over_budget: &[u32],
    rejects: &mut Vec<Reject>,
) -> Result<(), PlanError> {
    let Some(budget) = options.tokens.filter(|_| !over_budget.is_empty()) else {
        return Ok(());
    };
    let mut scratch = SizingScratch::default();
    let mut over: Vec<Reject> = over_budget
        .iter()
        .map(|&p| {
            Reject::new(
                indices[p as usize] as usize,
                ErrorCode::OverTokenBudget,
                format!(
                    "needs {} tokens at its own size, above maxTokens {}; lower maxPixels",
                    budget.tokens(resize_size(shapes, &[p], &options.sizing, &mut scratch)),
                    budget.max_tokens
                ),
            )
        })
        .collect();
    over.sort_by_key(|r| r.index);
    if !options.skip_invalid {
        return Err(PlanError::Sample(over.swap_remove(0)));
    }
    rejects.extend(over);
    rejects.sort_by_key(|r| r.index);
    Ok(())
}

/// Each batch's `resizeSize` (`known` where the strategy gave them), then at most `maxShapes`
/// distinct ones.
fn size_batches(
    options: &PlanOptions,
    shapes: &[Shape],
    batches: Vec<Vec<u32>>,
    known: Option<Vec<(u32, u32)>>,
) -> (Vec<Vec<u32>>, Vec<(u32, u32)>) {
    let sizes = known.unwrap_or_else(|| resize_sizes(shapes, &batches, &options.sizing));
    match options.max_shapes {
        None => (batches, sizes),
        Some(max_shapes) => limit_shapes(
            shapes,
            batches,
            sizes,
            max_shapes,
            options.batch_size.unwrap_or(usize::MAX),
            &options.sizing,
            options.tokens.as_ref(),
        ),
    }
}
