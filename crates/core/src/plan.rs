//! Planning one buffer: check samples, group them with the chosen strategy, cut groups into
//! batches and size each batch.

use crate::error::{ErrorCode, PlanError, Reject};
use crate::features::Shape;
use crate::options::{PlanOptions, SortKey, Strategy};
use crate::shapes::limit_shapes;
use crate::sizing::{resize_size, SizingScratch};
use crate::strategy::{balanced_groups, cluster_groups, simple_groups, sorted_groups};
use crate::tokens::{typical_batch_size, TokenCutter};

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

/// The outcome of checking a buffer: the valid samples' shapes, their input indices, and the
/// problems with the others.
#[derive(Debug, Default)]
pub struct Checked {
    pub shapes: Vec<Shape>,
    pub indices: Vec<u32>,
    pub rejects: Vec<Reject>,
}

/// The samples of one buffer, as parallel arrays. `keys` is needed by the sorted strategy with a
/// custom key, and ignored otherwise.
#[derive(Debug, Clone, Copy)]
pub struct Samples<'a> {
    pub widths: &'a [f64],
    pub heights: &'a [f64],
    pub keys: Option<&'a [f64]>,
}

impl<'a> Samples<'a> {
    pub fn new(widths: &'a [f64], heights: &'a [f64]) -> Self {
        Samples {
            widths,
            heights,
            keys: None,
        }
    }

    /// Checks every sample; returns the shapes of the valid ones with their input indices.
    pub fn check(&self) -> Result<Checked, PlanError> {
        if self.widths.len() != self.heights.len() {
            return Err(PlanError::Input {
                message: format!(
                    "{} widths but {} heights",
                    self.widths.len(),
                    self.heights.len()
                ),
            });
        }
        if self.widths.len() > u32::MAX as usize {
            return Err(PlanError::Input {
                message: "more than 2^32 - 1 samples in one buffer".into(),
            });
        }
        let mut shapes = Vec::with_capacity(self.widths.len());
        let mut indices = Vec::with_capacity(self.widths.len());
        let mut rejects = Vec::new();
        for (i, (&w, &h)) in self.widths.iter().zip(self.heights).enumerate() {
            let key_problem = self.keys.and_then(|keys| {
                let k = keys[i];
                (!k.is_finite()).then(|| Reject {
                    index: i,
                    code: ErrorCode::InvalidKey,
                    message: format!(
                        "sort key is {k}; the key function must return a finite number"
                    ),
                })
            });
            match Shape::new(i, w, h) {
                Err(reject) => rejects.push(reject),
                Ok(_) if key_problem.is_some() => rejects.extend(key_problem),
                Ok(shape) => {
                    shapes.push(shape);
                    indices.push(i as u32);
                }
            }
        }
        Ok(Checked {
            shapes,
            indices,
            rejects,
        })
    }
}

pub fn plan(options: &PlanOptions, samples: Samples<'_>) -> Result<Plan, PlanError> {
    let custom_keys = match options.strategy {
        Strategy::Sorted {
            key: SortKey::Custom,
        } => {
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
            Some(keys)
        }
        _ => None,
    };
    let Checked {
        shapes,
        indices,
        rejects: mut plan_rejects,
    } = Samples {
        keys: custom_keys,
        ..samples
    }
    .check()?;
    if !options.skip_invalid {
        if let Some(first) = plan_rejects.first() {
            return Err(PlanError::Sample(first.clone()));
        }
    }

    // Strategies that plan by count need a batch size; a budget alone implies a typical one.
    let batch_size = options.batch_size.unwrap_or_else(|| {
        options.tokens.map_or(1, |budget| {
            typical_batch_size(&shapes, &budget, &options.sizing)
        })
    });
    let groups = match &options.strategy {
        Strategy::Simple => simple_groups(shapes.len()),
        Strategy::Sorted { key } => {
            let valid_keys: Vec<f64> = custom_keys
                .map(|k| indices.iter().map(|&i| k[i as usize]).collect())
                .unwrap_or_default();
            sorted_groups(&shapes, *key, &valid_keys)
        }
        Strategy::Clustered(cluster) => cluster_groups(&shapes, batch_size, cluster)?,
        Strategy::Balanced(balanced) => {
            balanced_groups(&shapes, batch_size, balanced, &options.sizing)
        }
    };

    // Cut groups into batches: by count, and by tokens where a budget is set.
    let mut scratch = SizingScratch::default();
    let (mut batches, over_budget) = match &options.tokens {
        None => (
            groups
                .iter()
                .flat_map(|g| g.chunks(batch_size).map(<[u32]>::to_vec))
                .collect(),
            Vec::new(),
        ),
        Some(budget) => {
            let mut cutter = TokenCutter {
                shapes: &shapes,
                budget,
                cap: options.batch_size.unwrap_or(usize::MAX),
                sizing: &options.sizing,
                scratch: SizingScratch::default(),
                batches: Vec::new(),
                over: Vec::new(),
            };
            groups.iter().for_each(|g| cutter.cut(g));
            (cutter.batches, cutter.over)
        }
    };
    if !over_budget.is_empty() {
        let budget = options.tokens.expect("only a budget sets samples apart");
        let mut rejects: Vec<Reject> = over_budget
            .iter()
            .map(|&p| Reject {
                index: indices[p as usize] as usize,
                code: ErrorCode::OverTokenBudget,
                message: format!(
                    "needs {} tokens at its own size, above maxTokens {}; lower maxPixels",
                    budget.tokens(resize_size(&shapes, &[p], &options.sizing, &mut scratch)),
                    budget.max_tokens
                ),
            })
            .collect();
        rejects.sort_by_key(|r| r.index);
        if !options.skip_invalid {
            return Err(PlanError::Sample(rejects.swap_remove(0)));
        }
        plan_rejects.extend(rejects);
        plan_rejects.sort_by_key(|r| r.index);
    }

    let mut sizes: Vec<(u32, u32)> = batches
        .iter()
        .map(|b| resize_size(&shapes, b, &options.sizing, &mut scratch))
        .collect();
    if let Some(max_shapes) = options.max_shapes {
        (batches, sizes) = limit_shapes(
            &shapes,
            batches,
            sizes,
            max_shapes,
            options.batch_size.unwrap_or(usize::MAX),
            &options.sizing,
            options.tokens.as_ref(),
        );
    }

    let mut plan = Plan {
        order: Vec::with_capacity(shapes.len()),
        offsets: vec![0],
        sizes,
        rejects: plan_rejects,
    };
    for batch in &batches {
        plan.order
            .extend(batch.iter().map(|&p| indices[p as usize]));
        plan.offsets.push(plan.order.len() as u32);
    }
    Ok(plan)
}
