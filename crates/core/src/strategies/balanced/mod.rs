//! Full batches without losing quality. Every batch holds at most `batchSize` samples, and the
//! samples of a batch are close in (ln aspect, ln area) under the L1 distance, which is exactly
//! `ln r` (resize waste) to the batch's size: `ln r_i = |la_i - LA| + |lp_i - LP|`.
//!
//! 0. Full batches of one exact size are set apart first (real collections repeat sizes;
//!    `strategies/exact_groups.rs`).
//! 1. Balanced bisection of the rest (`bisect.rs`): a set that must fill `t` batches is cut in
//!    two, along ln width or ln height, into halves that fill `t / 2` and `t - t / 2` batches,
//!    choosing the direction and the share of spare slots that leave the halves least waste.
//!    Pairs of batches are split exhaustively.
//! 2. Refinement: neighbouring batches (found through a quantile grid, near-linear) move samples
//!    into spare slots and swap samples pairwise when that lowers the summed `(ln r)^3`; then the
//!    worst-served samples move where neither the p95 nor the max of `r` rises (`search/refine.rs`,
//!    `search/polish/`).
//! 3. `minFill` in steps of 0.05 (`fill_steps.rs`): a plan is made at every step from 1 down to
//!    `minFill`, and the one with the least p95 `r` (the SPEC metric, at the sizes `sizing`
//!    gives) wins (`candidates.rs`), so a lower `minFill` never raises a buffer's p95. With
//!    `minFill: 1` only one batch is partial. Below a `minFill` of 0.85, k-means plans whose fill
//!    reaches `minFill` compete too (`kmeans_plans.rs`).
//! 4. The floor (`floor.rs`): the recursive median split (`median_split.rs`). No plan whose max
//!    `r` exceeds the split's may win. Where the fullest plan serves an outlier worse than the
//!    split does, the split's batches around it are taken into the plan (the batches they draw
//!    from cut again; `repair.rs`); the split itself competes unless the fullest plan, or that
//!    repair, already beats it well: a buffer's p95 and max of `r` are never above the split's.

mod bisect;
mod candidates;
mod fill_steps;
mod floor;
mod kmeans_plans;
mod median_split;
mod repair;

pub use median_split::median_split_groups;

use super::Grouped;
use crate::error::PlanError;
use crate::options::OptionReader;
use crate::search::geometry::target;
use crate::shape::Shape;
use crate::sizing::Sizing;

use candidates::Candidates;
use fill_steps::offer_fill_steps;
use floor::Floor;
use kmeans_plans::offer_kmeans_plans;

pub(super) const OPTIONS: &[&str] = &["minFill", "refinePasses"];

/// Full batches: exact-size batches, balanced bisection, then `refine_passes` refinement passes.
#[derive(Debug, Clone, PartialEq)]
pub struct BalancedOptions {
    /// Least share of slots that hold a sample, in (0, 1]. Default 0.95.
    pub min_fill: f64,
    pub refine_passes: usize,
}

pub const DEFAULT_MIN_FILL: f64 = 0.95;
pub const DEFAULT_REFINE_PASSES: usize = 4;

impl BalancedOptions {
    pub(super) fn read(options: &OptionReader) -> Result<Self, PlanError> {
        Ok(BalancedOptions {
            min_fill: options.fraction("minFill")?.unwrap_or(DEFAULT_MIN_FILL),
            refine_passes: options
                .integer("refinePasses", 0.0, 1000.0)?
                .map_or(DEFAULT_REFINE_PASSES, |n| n as usize),
        })
    }
}

/// What every step reads: the buffer's shapes, each as a point in (ln aspect, ln area), the batch
/// size, the sizing plans are scored at, and the refinement passes.
struct Input<'a> {
    shapes: &'a [Shape],
    points: Vec<[f64; 2]>,
    batch_size: usize,
    sizing: &'a Sizing,
    refine_passes: usize,
}

impl<'a> Input<'a> {
    fn new(
        shapes: &'a [Shape],
        batch_size: usize,
        sizing: &'a Sizing,
        refine_passes: usize,
    ) -> Self {
        Input {
            shapes,
            points: shapes.iter().map(|s| [s.ln_aspect, s.ln_area]).collect(),
            batch_size,
            sizing,
            refine_passes,
        }
    }

    fn fewest_batches(&self) -> usize {
        self.shapes.len().div_ceil(self.batch_size)
    }
}

/// Balanced's batches of `shapes` (the steps above), ordered by target, each with its size.
pub fn balanced_groups(
    shapes: &[Shape],
    batch_size: usize,
    options: &BalancedOptions,
    sizing: &Sizing,
) -> Grouped {
    if shapes.is_empty() {
        return Grouped::without_sizes(Vec::new());
    }
    let input = Input::new(shapes, batch_size, sizing, options.refine_passes);
    let floor = Floor::new(&input);
    let mut candidates = Candidates::within(floor.bound);
    let fullest = offer_fill_steps(&input, options.min_fill, &floor, &mut candidates);
    offer_kmeans_plans(&input, options.min_fill, &mut candidates);
    // Offered after the k-means candidates, as the fallback plans are (ties keep the first).
    let repaired = fullest
        .repair
        .map(|groups| candidates.offer_polished(&input, groups));
    floor.compete(&input, fullest.tail, repaired, &mut candidates);
    in_target_order(&input.points, candidates.best())
}

/// Batches ordered by target, each batch's members by position.
fn in_target_order(points: &[[f64; 2]], plan: Grouped) -> Grouped {
    let targets: Vec<[f64; 2]> = plan.groups.iter().map(|g| target(points, g)).collect();
    let mut order: Vec<usize> = (0..plan.groups.len()).collect();
    order.sort_by(|&a, &b| {
        targets[a][0]
            .total_cmp(&targets[b][0])
            .then(targets[a][1].total_cmp(&targets[b][1]))
            .then(plan.groups[a][0].cmp(&plan.groups[b][0]))
    });
    let mut plan = plan.reordered(&order);
    for g in &mut plan.groups {
        g.sort_unstable();
    }
    plan
}

/// Seed-benchmark shapes, for the tests.
#[cfg(test)]
fn seed_shapes(n: usize) -> Vec<Shape> {
    crate::synthetic::seed_benchmark_sizes(n, 3)
        .iter()
        .enumerate()
        .map(|(i, &(h, w))| Shape::new(i, f64::from(w), f64::from(h)).unwrap())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::refine::cost;

    #[test]
    fn min_fill_one_leaves_one_partial_batch() {
        let groups = balanced_groups(
            &seed_shapes(1000),
            32,
            &BalancedOptions {
                min_fill: 1.0,
                refine_passes: 8,
            },
            &Sizing::default(),
        )
        .groups;
        let partial: Vec<usize> = groups.iter().map(Vec::len).filter(|&n| n < 32).collect();
        assert_eq!(partial, vec![1000 % 32]);
        assert_eq!(groups.len(), 32);
    }

    #[test]
    fn spare_batches_follow_min_fill() {
        for min_fill in [0.5, 0.8, 0.95] {
            let groups = balanced_groups(
                &seed_shapes(2000),
                32,
                &BalancedOptions {
                    min_fill,
                    refine_passes: 2,
                },
                &Sizing::default(),
            )
            .groups;
            let fill = 2000.0 / (groups.len() * 32) as f64;
            assert!(
                fill >= min_fill && groups.iter().all(|g| !g.is_empty() && g.len() <= 32),
                "{min_fill}: {fill}"
            );
            assert!(groups.len() <= (2000.0 / (min_fill * 32.0)).floor() as usize);
        }
    }

    #[test]
    fn refinement_lowers_total_waste() {
        let s = seed_shapes(800);
        let points: Vec<[f64; 2]> = s.iter().map(|s| [s.ln_aspect, s.ln_area]).collect();
        let total = |groups: &[Vec<u32>]| {
            groups
                .iter()
                .map(|g| {
                    g.iter()
                        .map(|&i| cost(points[i as usize], target(&points, g)))
                        .sum::<f64>()
                })
                .sum::<f64>()
        };
        let rough = balanced_groups(
            &s,
            16,
            &BalancedOptions {
                min_fill: 1.0,
                refine_passes: 0,
            },
            &Sizing::default(),
        )
        .groups;
        let refined = balanced_groups(
            &s,
            16,
            &BalancedOptions {
                min_fill: 1.0,
                refine_passes: 8,
            },
            &Sizing::default(),
        )
        .groups;
        assert!(total(&refined) < total(&rough));
    }
}
