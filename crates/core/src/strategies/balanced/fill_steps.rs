//! One bisection plan at every `minFill` step from 1 down to `minFill`: the exact-size batches,
//! and the rest bisected into as many batches as the step allows (the spare slots go where
//! samples are sparse), refined and polished.

use super::bisect::bisect_and_refine;
use super::candidates::{Candidates, Tail};
use super::floor::Floor;
use super::repair::with_split_batches;
use super::Input;
use crate::strategies::exact_groups::{exact_groups, ExactGroups};

/// `minFill` is honoured in steps of `1 / LEVELS` (0.05): the plan at a `minFill` is the best
/// (least p95 `r`, ties to the fuller plan) of the plans at every step from 1 down to the
/// `minFill` (rounded up to a step). The candidates at a lower `minFill` include those at a
/// higher one, so lowering `minFill` never raises the p95 of a buffer: monotone by construction.
const LEVELS: usize = 20;

/// What the fullest plan tells the floor: its score, and its repair where it serves a sample
/// worse than the floor allows.
pub(super) struct Fullest {
    pub tail: Tail,
    pub repair: Option<Vec<Vec<u32>>>,
}

/// Offers the plan at every step, fullest first. (Only the fullest plan is read, and repaired,
/// a candidate at every `minFill`: the candidates at a lower `minFill` still include those at
/// a higher one.)
pub(super) fn offer_fill_steps(
    input: &Input<'_>,
    min_fill: f64,
    floor: &Floor,
    candidates: &mut Candidates,
) -> Fullest {
    // Full batches of one exact size first (real collections repeat a few sizes heavily): they
    // waste nothing, and they leave the bisection only the samples that need grouping.
    let ExactGroups {
        full: exact, rest, ..
    } = exact_groups(input.shapes, input.batch_size);
    let mut fullest = None;
    for batches in batch_counts(input, min_fill) {
        let mut groups = exact.clone();
        groups.extend(bisect_and_refine(
            input,
            &mut rest.clone(),
            batches - exact.len(),
        ));
        let (plan, tail) = candidates.polished(input, groups);
        if fullest.is_none() {
            let repair = if tail.1 > floor.bound {
                with_split_batches(input, &plan, &floor.groups, floor.bound)
            } else {
                None
            };
            fullest = Some(Fullest { tail, repair });
        }
        candidates.offer(tail, plan);
    }
    fullest.expect("at least one count")
}

/// The number of batches at each step, fullest first, each count once.
fn batch_counts(input: &Input<'_>, min_fill: f64) -> Vec<usize> {
    let (n, batch_size) = (input.shapes.len(), input.batch_size);
    let fewest = input.fewest_batches();
    // As many batches as `minFill` allows.
    let count =
        |fill: f64| ((n as f64 / (fill * batch_size as f64)).floor() as usize).clamp(fewest, n);
    // The lowest step at or above minFill (a hair of tolerance for 0.95 written as a float).
    let lowest = ((min_fill * LEVELS as f64) - 1e-9).ceil().max(1.0) as usize;
    let mut counts: Vec<usize> = (lowest..=LEVELS)
        .rev()
        .map(|step| count(step as f64 / LEVELS as f64))
        .collect();
    counts.dedup();
    counts
}
