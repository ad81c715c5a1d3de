//! Planning one buffer: check samples, group them with the chosen strategy, cut groups into
//! batches and size each batch.

use crate::error::{ErrorCode, PlanError, Reject};
use crate::features::Shape;
use crate::options::{PlanOptions, SortKey, Strategy};
use crate::sizing::{resize_size, SizingScratch};
use crate::strategy::{balanced_groups, cluster_groups, simple_groups, sorted_groups};

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
        rejects,
    } = Samples {
        keys: custom_keys,
        ..samples
    }
    .check()?;
    if !options.skip_invalid {
        if let Some(first) = rejects.first() {
            return Err(PlanError::Sample(first.clone()));
        }
    }

    let groups = match &options.strategy {
        Strategy::Simple => simple_groups(shapes.len()),
        Strategy::Sorted { key } => {
            let valid_keys: Vec<f64> = custom_keys
                .map(|k| indices.iter().map(|&i| k[i as usize]).collect())
                .unwrap_or_default();
            sorted_groups(&shapes, *key, &valid_keys)
        }
        Strategy::Clustered(cluster) => cluster_groups(&shapes, options.batch_size, cluster)?,
        Strategy::Balanced(balanced) => balanced_groups(&shapes, options.batch_size, balanced),
    };

    let mut plan = Plan {
        order: Vec::with_capacity(shapes.len()),
        offsets: vec![0],
        sizes: Vec::new(),
        rejects,
    };
    let mut scratch = SizingScratch::default();
    for group in &groups {
        for batch in group.chunks(options.batch_size) {
            plan.sizes
                .push(resize_size(&shapes, batch, &options.sizing, &mut scratch));
            plan.order
                .extend(batch.iter().map(|&p| indices[p as usize]));
            plan.offsets.push(plan.order.len() as u32);
        }
    }
    Ok(plan)
}
