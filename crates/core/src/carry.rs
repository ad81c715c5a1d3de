//! Carry-over: a buffer's partial batches (fewer than `batchSize` samples) are held back and
//! planned again with the next buffer, so they fill up instead of leaving slots empty. Streams use
//! it between buffers. A sample is carried at most once (`pinned` marks those already carried), so
//! it is emitted at most one buffer late, and at most `max_samples` samples are held per buffer,
//! smallest batches first.

use crate::error::PlanError;
use crate::options::{OptionReader, MAX_COUNT};

/// The buffer options of carry-over: `carry` turns it on, `maxCarry` bounds it.
pub const CARRY_OPTIONS: &[&str] = &["carry", "maxCarry"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CarryOptions {
    /// Most samples held back from one buffer.
    pub max_samples: usize,
}

impl CarryOptions {
    pub fn read(options: &OptionReader) -> Result<Self, PlanError> {
        Ok(CarryOptions {
            max_samples: options
                .integer("maxCarry", 0.0, MAX_COUNT)?
                .map_or(usize::MAX, |n| n as usize),
        })
    }
}

/// Splits `batches` into those kept and the samples held back. Returns the kept batches' numbers
/// (ascending) and the held positions (ascending).
pub fn hold_partial(
    batches: &[Vec<u32>],
    batch_size: usize,
    pinned: &[bool],
    options: &CarryOptions,
) -> (Vec<usize>, Vec<u32>) {
    let is_pinned = |p: u32| pinned.get(p as usize).copied().unwrap_or(false);
    let mut partial: Vec<usize> = (0..batches.len())
        .filter(|&b| batches[b].len() < batch_size && !batches[b].iter().any(|&p| is_pinned(p)))
        .collect();
    partial.sort_by_key(|&b| (batches[b].len(), b));
    let mut budget = options.max_samples;
    let mut is_held = vec![false; batches.len()];
    let mut held = Vec::new();
    for b in partial {
        if batches[b].len() > budget {
            break;
        }
        budget -= batches[b].len();
        is_held[b] = true;
        held.extend(&batches[b]);
    }
    held.sort_unstable();
    let kept = (0..batches.len()).filter(|&b| !is_held[b]).collect();
    (kept, held)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_small_batches_first_within_the_budget() {
        let batches = vec![vec![0, 1, 2, 3], vec![4, 5], vec![6], vec![7, 8, 9]];
        let (kept, held) = hold_partial(&batches, 4, &[], &CarryOptions { max_samples: 3 });
        assert_eq!(kept, vec![0, 3]);
        assert_eq!(held, vec![4, 5, 6]);
    }

    #[test]
    fn never_holds_a_pinned_sample_again() {
        let batches = vec![vec![0, 1], vec![2]];
        let pinned = [false, true, false];
        let (kept, held) = hold_partial(&batches, 4, &pinned, &CarryOptions { max_samples: 10 });
        assert_eq!((kept, held), (vec![0], vec![2]));
    }
}
