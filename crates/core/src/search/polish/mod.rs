//! Last passes over a plan, at the sizes its batches will really get, each guarded so that
//! neither the p95 nor the max of `r` can rise (the guard: `guard.rs`):
//!
//! - dissolving partial batches into batches with room (fill goes up; `dissolve.rs`);
//! - rehoming the worst-served samples to the batch that suits them, alone or in exchange for one
//!   of its members (the worst case goes down; `rehome.rs`);
//! - dissolving again the partial batches whose neighbourhood rehoming changed.
//!
//! [`polish`] runs the passes a strategy asks for over one scoring of the plan.
//!
//! Large plans are polished region by region (consecutive batches holding at most `REGION`
//! samples; callers pass batches in an order where neighbours are alike), so a trial costs at
//! most `REGION` and the passes stay linear in the buffer. There the guard holds per region.

mod dissolve;
mod guard;
mod rehome;

use crate::shape::Shape;
use crate::sizing::{resize_sizes, Sizing};

use dissolve::absorb_partial;
use guard::SizedPlan;
use rehome::shorten_tail;

/// Plans up to this many samples read a trial's p95 by one selection over all of them; larger
/// ones merge the trial's changes into their upper tail (the same plans either way). On the seed
/// data the two cost the same up to about 1,000 samples, but on real sets, where more trials get
/// past the max, the merge is cheaper from 512 on: Clustered on MathVista at 1,000 and COCO at
/// 1,024 plans 11% faster with it, at 512 2-4% (wasm, interleaved A/B). At 256 the two cost the
/// same on the seed data, and selection wins at 128, where there is little tail to keep (the
/// sizes between were not measured one by one).
const SELECT_UP_TO: usize = 256;

/// Most samples a pass looks at together (whole plans up to this size).
const REGION: usize = 8192;

/// Runs `pass` on consecutive runs of `groups` holding at most `REGION` samples each (a run is
/// at least one batch), in order, and puts the results back in order, with the sizes `pass`
/// gives each region's batches (and the plan's tail where it was one region; see [`Polished`]).
fn by_region(
    groups: &mut Vec<Vec<u32>>,
    mut pass: impl FnMut(&mut Vec<Vec<u32>>) -> Polished,
) -> Polished {
    let total: usize = groups.iter().map(Vec::len).sum();
    if total <= REGION {
        return pass(groups);
    }
    let mut out = Vec::with_capacity(groups.len());
    let mut sizes = Vec::with_capacity(groups.len());
    let mut region: Vec<Vec<u32>> = Vec::new();
    let mut held = 0;
    for g in groups.drain(..) {
        if held + g.len() > REGION && !region.is_empty() {
            sizes.extend(pass(&mut region).sizes);
            out.append(&mut region);
            held = 0;
        }
        held += g.len();
        region.push(g);
    }
    sizes.extend(pass(&mut region).sizes);
    out.append(&mut region);
    *groups = out;
    Polished { sizes, tail: None }
}

/// What [`polish`] knows of the plan it leaves: each batch's `resizeSize` (the guard sized them
/// all, so the plan need not again) and, where it scored the whole plan at once (one region of
/// at least two batches), the plan's (p95, max) of `r`, exactly as [`crate::search::score::tail`]
/// gives it (tested), so that a caller comparing plans need not score it again.
pub(crate) struct Polished {
    pub sizes: Vec<(u32, u32)>,
    pub tail: Option<(f64, f64)>,
}

/// Arrays indexed by sample, made once per [`polish`] and lent to each region (a region reads
/// only the entries of its own samples, after writing them), so that polishing stays linear in
/// the buffer.
struct BySample {
    ln_r: Vec<f64>,
    batch_of: Vec<u32>,
}

impl BySample {
    fn new(n: usize) -> Self {
        BySample {
            ln_r: vec![0.0; n],
            batch_of: vec![u32::MAX; n],
        }
    }
}

/// Which passes [`polish`] runs.
#[derive(Clone, Copy)]
pub(crate) struct Passes {
    /// Dissolve partial batches (Clustered: clusters cut into batches leave remainders).
    pub dissolve: bool,
    /// Rehome the worst-served samples.
    pub rehome: bool,
}

/// The `passes`, in that order, over one scoring of the plan, region by region (callers pass
/// batches in an order where neighbours are alike); emptied batches are removed. Returns each
/// batch's `resizeSize` and, where it has it, the plan's tail (see [`Polished`]).
pub(crate) fn polish(
    shapes: &[Shape],
    groups: &mut Vec<Vec<u32>>,
    cap: usize,
    sizing: &Sizing,
    passes: Passes,
) -> Polished {
    let mut by_sample = BySample::new(shapes.len());
    by_region(groups, |region| {
        let upper_tail = region.iter().map(Vec::len).sum::<usize>() > SELECT_UP_TO;
        polish_region(
            shapes,
            region,
            cap,
            sizing,
            passes,
            upper_tail,
            &mut by_sample,
        )
    })
}

/// [`polish`] on one region, with the trials' p95 read from an upper tail (`upper_tail`) or by
/// selection: the same plan either way (tested), at different costs.
fn polish_region(
    shapes: &[Shape],
    groups: &mut Vec<Vec<u32>>,
    cap: usize,
    sizing: &Sizing,
    passes: Passes,
    upper_tail: bool,
    by_sample: &mut BySample,
) -> Polished {
    if groups.len() < 2 {
        return Polished {
            sizes: resize_sizes(shapes, groups.iter().filter(|g| !g.is_empty()), sizing),
            tail: None,
        };
    }
    let ln_r = std::mem::take(&mut by_sample.ln_r);
    let mut plan = SizedPlan::new(shapes, groups, sizing, upper_tail, ln_r);
    let mut refused = Vec::new();
    if passes.dissolve {
        refused = absorb_partial(&mut plan, groups, cap, |_| true);
    }
    if passes.rehome {
        let before = plan.kept;
        shorten_tail(&mut plan, groups, cap, &mut by_sample.batch_of);
        // Rehoming changes batches' members and sizes, and a partial batch refused before may
        // now dissolve: it is offered again if it or a batch its samples were sent to changed
        // (fill up on four of ten real-data cells; offering every partial batch again found
        // little more at twice the cost).
        if passes.dissolve {
            let changed = |b: usize| plan.changed_at[b] > before;
            let retry: Vec<bool> = (0..groups.len())
                .map(|g| changed(g) || refused[g].iter().any(|&b| changed(b)))
                .collect();
            absorb_partial(&mut plan, groups, cap, |g| retry[g]);
        }
    }
    by_sample.ln_r = plan.ln_r;
    let sizes = groups
        .iter()
        .zip(plan.hw)
        .filter(|(g, _)| !g.is_empty())
        .map(|(_, hw)| hw)
        .collect();
    groups.retain(|g| !g.is_empty());
    Polished {
        sizes,
        tail: Some(plan.measured),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::score::tail;
    use crate::sizing::SizeMode;
    use crate::sizing::SizingScratch;
    use crate::synthetic::seed_benchmark_sizes;
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256Plus;

    const DISSOLVE: Passes = Passes {
        dissolve: true,
        rehome: false,
    };
    const REHOME: Passes = Passes {
        dissolve: false,
        rehome: true,
    };

    /// Random plans of seed-benchmark sizes: batches of random lengths up to `cap`.
    fn random_plan(seed: u64, n: usize, cap: usize) -> (Vec<Shape>, Vec<Vec<u32>>) {
        let shapes: Vec<Shape> = seed_benchmark_sizes(n, seed)
            .iter()
            .enumerate()
            .map(|(i, &(h, w))| Shape::new(i, f64::from(w), f64::from(h)).unwrap())
            .collect();
        let mut rng = Xoshiro256Plus::seed_from_u64(seed);
        let mut order: Vec<u32> = (0..n as u32).collect();
        for i in (1..n).rev() {
            order.swap(i, rng.gen_range(0..=i));
        }
        let mut groups = Vec::new();
        let mut rest = &order[..];
        while !rest.is_empty() {
            let len = rng.gen_range(1..=cap).min(rest.len());
            groups.push(rest[..len].to_vec());
            rest = &rest[len..];
        }
        (shapes, groups)
    }

    fn sizings() -> [Sizing; 2] {
        [
            Sizing::default(),
            Sizing {
                mode: SizeMode::Minimax,
                multiple_of: 28,
                min_pixels: None,
                max_pixels: None,
            },
        ]
    }

    fn check(
        shapes: &[Shape],
        before: &[Vec<u32>],
        after: &[Vec<u32>],
        cap: usize,
        sizing: &Sizing,
    ) {
        let mut seen: Vec<u32> = after.iter().flatten().copied().collect();
        seen.sort_unstable();
        assert_eq!(
            seen,
            (0..shapes.len() as u32).collect::<Vec<_>>(),
            "every sample once"
        );
        assert!(after.iter().all(|g| !g.is_empty() && g.len() <= cap));
        assert!(after.len() <= before.len());
        let mut scratch = SizingScratch::default();
        let (p95, max) = tail(shapes, before, sizing, &mut scratch);
        let (p95_after, max_after) = tail(shapes, after, sizing, &mut scratch);
        assert!(p95_after <= p95 + 1e-9, "p95 {p95} -> {p95_after}");
        assert!(max_after <= max + 1e-9, "max {max} -> {max_after}");
    }

    /// What `polish` reports is the plan it leaves: each batch's size as the plan would size it,
    /// and its tail exactly (to the bit) as `tail` scores it.
    fn reports_the_plan(shapes: &[Shape], groups: &[Vec<u32>], result: &Polished, sizing: &Sizing) {
        assert_eq!(result.sizes, resize_sizes(shapes, groups, sizing));
        let scored = tail(shapes, groups, sizing, &mut SizingScratch::default());
        assert_eq!(
            result.tail.map(|(p95, max)| (p95.to_bits(), max.to_bits())),
            Some((scored.0.to_bits(), scored.1.to_bits()))
        );
    }

    /// `pass` on random plans (20 seeds, two sizings): every sample kept once, caps honoured, no
    /// more batches, and neither the p95 nor the max of `r` higher.
    fn never_raises_the_tail(passes: Passes) {
        for seed in 0..20 {
            for sizing in sizings() {
                let (shapes, before) = random_plan(seed, 300, 16);
                let mut after = before.clone();
                let result = polish(&shapes, &mut after, 16, &sizing, passes);
                check(&shapes, &before, &after, 16, &sizing);
                reports_the_plan(&shapes, &after, &result, &sizing);
            }
        }
    }

    #[test]
    fn no_tail_is_reported_without_one_scoring_of_the_whole_plan() {
        // One batch: nothing to polish, nothing scored.
        let (shapes, _) = random_plan(1, 300, 16);
        let mut one = vec![(0..10).collect::<Vec<u32>>()];
        let result = polish(&shapes, &mut one, 16, &Sizing::default(), REHOME);
        assert_eq!(result.tail, None);
        assert_eq!(result.sizes.len(), 1);
        // More than a region: each region is scored on its own, the whole plan never.
        let (shapes, mut groups) = random_plan(2, REGION + 100, 32);
        let result = polish(&shapes, &mut groups, 32, &Sizing::default(), REHOME);
        assert_eq!(result.tail, None);
        assert_eq!(
            result.sizes,
            resize_sizes(&shapes, &groups, &Sizing::default())
        );
    }

    #[test]
    fn the_upper_tail_and_the_selection_give_the_same_plans() {
        // Plans large enough that trials cross the tail's floor (rebuilds and undos included).
        for seed in 0..4 {
            for sizing in sizings() {
                for passes in [DISSOLVE, REHOME] {
                    let (shapes, before) = random_plan(seed, 3000, 32);
                    let (mut by_tail, mut by_select) = (before.clone(), before.clone());
                    let mut by_sample = BySample::new(shapes.len());
                    let tail_result = polish_region(
                        &shapes,
                        &mut by_tail,
                        32,
                        &sizing,
                        passes,
                        true,
                        &mut by_sample,
                    );
                    let mut by_sample = BySample::new(shapes.len());
                    let select_result = polish_region(
                        &shapes,
                        &mut by_select,
                        32,
                        &sizing,
                        passes,
                        false,
                        &mut by_sample,
                    );
                    assert_eq!(by_tail, by_select, "seed {seed}");
                    check(&shapes, &before, &by_tail, 32, &sizing);
                    reports_the_plan(&shapes, &by_tail, &tail_result, &sizing);
                    reports_the_plan(&shapes, &by_select, &select_result, &sizing);
                }
            }
        }
    }

    #[test]
    fn absorbing_partial_batches_never_raises_p95_or_max() {
        never_raises_the_tail(DISSOLVE);
    }

    #[test]
    fn absorbing_raises_fill_where_it_is_free() {
        // Two batches of one exact size, one of them a single sample: it joins the other.
        let shapes: Vec<Shape> = (0..5)
            .map(|i| Shape::new(i, 640.0, 480.0).unwrap())
            .collect();
        let mut groups = vec![vec![0, 1, 2, 3], vec![4]];
        polish(&shapes, &mut groups, 8, &Sizing::default(), DISSOLVE);
        assert_eq!(groups.len(), 1);
    }

    #[test]
    fn shortening_the_tail_never_raises_p95_or_max() {
        never_raises_the_tail(REHOME);
    }

    #[test]
    fn an_outlier_moves_to_the_batch_that_suits_it() {
        // A wide banner among photos, and a batch of banners with room: it moves there.
        let mut shapes: Vec<Shape> = (0..4)
            .map(|i| Shape::new(i, 640.0, 480.0).unwrap())
            .collect();
        shapes.push(Shape::new(4, 4000.0, 400.0).unwrap());
        shapes.extend((5..8).map(|i| Shape::new(i, 4100.0, 410.0).unwrap()));
        let mut groups = vec![vec![0, 1, 2, 3, 4], vec![5, 6, 7]];
        polish(&shapes, &mut groups, 8, &Sizing::default(), REHOME);
        assert!(groups[1].contains(&4), "{groups:?}");
    }
}
