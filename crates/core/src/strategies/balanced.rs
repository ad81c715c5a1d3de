//! Full batches without losing quality. Every batch holds at most `batchSize` samples, and the
//! samples of a batch are close in (ln aspect, ln area) under the L1 distance, which is exactly
//! `ln r` (resize waste) to the batch's size: `ln r_i = |la_i - LA| + |lp_i - LP|`.
//!
//! 0. Full batches of one exact size are set apart first (real collections repeat sizes).
//! 1. Balanced bisection of the rest: a set that must fill `t` batches is cut in two, along ln
//!    width or ln height, into halves that fill `t / 2` and `t - t / 2` batches, choosing the
//!    direction and the share of spare slots that leave the halves least waste. Pairs of batches
//!    are split exhaustively.
//! 2. Refinement: neighbouring batches (found through a quantile grid, near-linear) move samples
//!    into spare slots and swap samples pairwise when that lowers the summed `(ln r)^3`; then the
//!    worst-served samples move where neither the p95 nor the max of `r` rises (`polish`).
//! 3. `minFill` in steps of 0.05: a plan is made at every step from 1 down to `minFill`, and the
//!    one with the least p95 `r` (the SPEC metric, at the sizes `sizing` gives) wins, so a lower
//!    `minFill` never raises a buffer's p95. With `minFill: 1` only one batch is partial. Below
//!    a `minFill` of 0.85, k-means plans whose fill reaches `minFill` compete too.
//! 4. The floor: the recursive median split (`median_split.rs`). No plan whose max `r` exceeds
//!    the split's may win. Where the fullest plan serves an outlier worse than the split does,
//!    the split's batches around it are taken into the plan (the batches they draw from cut
//!    again); the split itself competes unless the fullest plan, or that repair, already beats it
//!    well: a buffer's p95 and max of `r` are never above the split's.

use super::clustered::{kmeans_batches, ClusterOptions, DEFAULT_MAX_ITERATIONS};
use super::exact_groups::{exact_groups, ExactGroups};
use super::median_split::median_split_groups;
use super::Grouped;
use crate::error::PlanError;
use crate::options::OptionReader;
use crate::order::{select_first, sort_by_keys, total_order};
use crate::search::geometry::{l1, log_point, target};
use crate::search::polish::{polish, Passes, Polished};
use crate::search::refine::refine;
use crate::search::score::tail;
use crate::shape::Shape;
use crate::sizing::{from_key, median, Sizing, SizingScratch};

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

/// `minFill` is honoured in steps of `1 / LEVELS` (0.05): the plan at a `minFill` is the best
/// (least p95 `r`, ties to the fuller plan) of the plans at every step from 1 down to the
/// `minFill` (rounded up to a step). The candidates at a lower `minFill` include those at a
/// higher one, so lowering `minFill` never raises the p95 of a buffer: monotone by construction.
const LEVELS: usize = 20;

/// (p95, max) of `r`.
type Tail = (f64, f64);

/// At a `minFill` this low, k-means plans (`k` = these multiples of the fewest batches) join the
/// candidates, each where its own fill reaches `minFill`. Many partial batches are what k-means
/// does well: on repeated-size photo sets it beats the bisection below a fill of about 0.65.
/// (Whether a plan is a candidate depends only on its fill, so `minFill` stays monotone.)
const CLUSTER_CANDIDATES_BELOW: f64 = 0.85;
const CLUSTER_FACTORS: [f64; 7] = [1.0, 1.05, 1.1, 1.2, 1.35, 1.5, 2.0];

/// Balanced's plans have no partial batches to spare: only the worst-served samples are rehomed.
const REHOME: Passes = Passes {
    dissolve: false,
    rehome: true,
};

pub fn balanced_groups(
    shapes: &[Shape],
    batch_size: usize,
    options: &BalancedOptions,
    sizing: &Sizing,
) -> Grouped {
    let n = shapes.len();
    if n == 0 {
        return Grouped::without_sizes(Vec::new());
    }
    let points: Vec<[f64; 2]> = shapes.iter().map(|s| [s.ln_aspect, s.ln_area]).collect();
    // Full batches of one exact size first (real collections repeat a few sizes heavily): they
    // waste nothing, and they leave the bisection only the samples that need grouping.
    let ExactGroups {
        full: exact, rest, ..
    } = exact_groups(shapes, batch_size);
    // As many batches as `minFill` allows: the spare slots go where samples are sparse.
    let fewest = n.div_ceil(batch_size);
    let count =
        |fill: f64| ((n as f64 / (fill * batch_size as f64)).floor() as usize).clamp(fewest, n);
    // The lowest step at or above minFill (a hair of tolerance for 0.95 written as a float).
    let lowest = ((options.min_fill * LEVELS as f64) - 1e-9).ceil().max(1.0) as usize;
    let mut counts: Vec<usize> = (lowest..=LEVELS)
        .rev()
        .map(|step| count(step as f64 / LEVELS as f64))
        .collect();
    counts.dedup();
    let mut scratch = SizingScratch::default();
    // The floor: the recursive median split, a full plan whose worst case (max `r`) no
    // candidate may exceed (one outlier among batches of ordinary images can otherwise be served
    // worse than the plain split serves it). Where the fullest bisection plan exceeds it, the
    // plan is repaired: the split's batches around those outliers replace the batches they were
    // in (see `with_split_batches`). Unless the repair meets the floor well (the split's max at
    // most, and a p95 at most `SPLIT_NEEDED_ABOVE` times the split's), or the fullest plan meets
    // it as it is (the split's max and p95 at most), the split competes itself, as it is and
    // polished; where the max was the problem, also refined like the bisection's leaves first.
    // So Balanced is never worse than the median split in p95 or max of `r`. (Only the fullest
    // plan is read, and repaired, a candidate at every `minFill`: the candidates at a lower
    // `minFill` still include those at a higher one.)
    let floor = median_split_groups(shapes, batch_size);
    let floor_score = tail(shapes, &floor, sizing, &mut scratch);
    // (A hair of tolerance: one sample's `r` at one size, computed in another order.)
    let bound = floor_score.1 * (1.0 + 1e-9);
    let mut best: Option<(Tail, Grouped)> = None;
    // Ties keep the plan offered first (the fuller one).
    let offer = |best: &mut Option<(Tail, Grouped)>, score: Tail, plan: Grouped| {
        if score.1 <= bound && best.as_ref().is_none_or(|(b, _)| score < *b) {
            *best = Some((score, plan));
        }
    };
    let mut fullest: Option<Tail> = None;
    // The fullest plan's repair, where it serves a sample worse than the floor allows.
    let mut repair: Option<Vec<Vec<u32>>> = None;
    for batches in counts {
        let mut groups = exact.clone();
        let rest_batches = (batches - groups.len()).min(rest.len());
        let mut leaves = Vec::with_capacity(rest_batches);
        if !rest.is_empty() {
            let mut members = rest.clone();
            bisect(
                &points,
                &mut members,
                rest_batches,
                batch_size,
                &mut leaves,
                &mut Scratch::default(),
            );
            refine(&points, &mut leaves, batch_size, options.refine_passes);
        }
        groups.extend(leaves.into_iter().filter(|g| !g.is_empty()));
        let (plan, tail) = polished(shapes, groups, batch_size, sizing, &mut scratch);
        if fullest.is_none() {
            fullest = Some(tail);
            if tail.1 > bound {
                repair = with_split_batches(
                    &points,
                    &plan,
                    &floor,
                    bound,
                    batch_size,
                    options.refine_passes,
                );
            }
        }
        offer(&mut best, tail, plan);
    }
    if options.min_fill <= CLUSTER_CANDIDATES_BELOW {
        for factor in CLUSTER_FACTORS {
            let k = ((fewest as f64 * factor).round() as usize).max(1);
            let cluster_options = ClusterOptions {
                num_clusters: Some(k),
                seed: 0,
                max_iterations: DEFAULT_MAX_ITERATIONS,
            };
            let Ok((plan, known)) = kmeans_batches(shapes, batch_size, &cluster_options, sizing)
            else {
                continue;
            };
            if (n as f64) < options.min_fill * (plan.groups.len() * batch_size) as f64 - 1e-9 {
                continue; // below minFill
            }
            let scored = known.unwrap_or_else(|| tail(shapes, &plan.groups, sizing, &mut scratch));
            offer(&mut best, scored, plan);
        }
    }
    // Offered after the k-means candidates, as the fallback plans are (ties keep the first).
    let repaired = repair.map(|groups| {
        let (plan, tail) = polished(shapes, groups, batch_size, sizing, &mut scratch);
        offer(&mut best, tail, plan);
        tail
    });
    let (p95, max) = match repaired {
        Some(tail) if tail.1 <= bound && tail.0 <= SPLIT_NEEDED_ABOVE * floor_score.0 => tail,
        _ => fullest.expect("at least one count"),
    };
    if max > bound {
        let mut refined = floor.clone();
        refine(&points, &mut refined, batch_size, options.refine_passes);
        let (plan, tail) = polished(shapes, refined, batch_size, sizing, &mut scratch);
        offer(&mut best, tail, plan);
    }
    if max > bound || p95 > floor_score.0 {
        let (plan, tail) = polished(shapes, floor.clone(), batch_size, sizing, &mut scratch);
        offer(&mut best, tail, plan);
        // Polishing never raises the p95 of a plan up to 8,192 samples; larger plans are
        // polished region by region, where it can rise: the split as it is stays the fallback.
        offer(&mut best, floor_score, Grouped::without_sizes(floor));
    }
    let plan = best.expect("the split itself is always a candidate").1;

    // Batches ordered by target, each batch's members by position.
    let targets: Vec<[f64; 2]> = plan.groups.iter().map(|g| target(&points, g)).collect();
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

/// A repaired fullest plan (see [`with_split_batches`]) whose p95 of `r` is at most this share of
/// the split's stands without the split competing. Closer to the split's p95 the split, refined
/// and polished, sometimes wins (on a generated web-photo set); below it, it never did on the
/// real and generated sets, where planning it anyway cost up to 10% more on COCO.
const SPLIT_NEEDED_ABOVE: f64 = 0.9;

/// `plan` with the median split's batches around the samples it serves worse than the split
/// serves any (`r` above `bound`). Such a sample is an outlier wherever the bisection put it; the
/// split batches it with its own neighbours, cutting at medians down to single batches. Those
/// batches of the split are taken whole, the plan's batches they draw samples from are cut again
/// (bisection, then refinement) from what is left of them, and the other batches stay: the
/// number of batches does not grow. `None` where what is left cannot fit (not reached: the plan
/// has as many free slots as the split).
fn with_split_batches(
    points: &[[f64; 2]],
    plan: &Grouped,
    floor: &[Vec<u32>],
    bound: f64,
    batch_size: usize,
    refine_passes: usize,
) -> Option<Vec<Vec<u32>>> {
    let sizes = plan.sizes.as_ref()?;
    let mut marked = vec![false; points.len()];
    for (g, &hw) in plan.groups.iter().zip(sizes) {
        let size = log_point(hw);
        for &i in g {
            // As `tail` measures `r`: the exponential of the summed logarithms.
            marked[i as usize] = l1(points[i as usize], size).exp() > bound;
        }
    }
    let taken: Vec<&Vec<u32>> = floor
        .iter()
        .filter(|g| g.iter().any(|&i| marked[i as usize]))
        .collect();
    // From here on, `marked` holds the members of the taken batches.
    marked.fill(false);
    for &i in taken.iter().copied().flatten() {
        marked[i as usize] = true;
    }
    let mut drawn_from: Vec<bool> = plan
        .groups
        .iter()
        .map(|g| g.iter().any(|&i| marked[i as usize]))
        .collect();
    // Where the split's one partial batch is taken, what is left of the batches drawn from can
    // outgrow the batches left to hold it: batches of the plan with free slots are drawn from
    // too, the emptiest first. (Without this the repair gave up in about a fifth of the buffers
    // that needed it, all of them with a partial last batch.)
    let taken_samples: usize = taken.iter().map(|g| g.len()).sum();
    let (mut drawn, mut held) = (0usize, 0usize);
    for (g, _) in plan.groups.iter().zip(&drawn_from).filter(|&(_, &d)| d) {
        drawn += 1;
        held += g.len();
    }
    let mut with_room: Vec<usize> = (0..plan.groups.len())
        .filter(|&b| !drawn_from[b] && plan.groups[b].len() < batch_size)
        .collect();
    with_room.sort_by_key(|&b| (plan.groups[b].len(), b));
    let mut with_room = with_room.into_iter();
    let room = loop {
        let room = drawn.checked_sub(taken.len())?;
        if held - taken_samples <= room * batch_size {
            break room;
        }
        let b = with_room.next()?;
        drawn_from[b] = true;
        drawn += 1;
        held += plan.groups[b].len();
    };
    let mut left: Vec<u32> = plan
        .groups
        .iter()
        .zip(&drawn_from)
        .filter(|&(_, &d)| d)
        .flat_map(|(g, _)| g.iter().copied())
        .filter(|&i| !marked[i as usize])
        .collect();
    let mut leaves = Vec::with_capacity(room);
    if !left.is_empty() {
        let count = room.min(left.len());
        bisect(
            points,
            &mut left,
            count,
            batch_size,
            &mut leaves,
            &mut Scratch::default(),
        );
        refine(points, &mut leaves, batch_size, refine_passes);
    }
    let mut groups: Vec<Vec<u32>> = plan
        .groups
        .iter()
        .zip(&drawn_from)
        .filter(|&(_, &d)| !d)
        .map(|(g, _)| g.clone())
        .collect();
    groups.extend(taken.into_iter().cloned());
    groups.extend(leaves.into_iter().filter(|g| !g.is_empty()));
    Some(groups)
}

/// `groups` polished with Balanced's passes: the plan with its sizes, and its (p95, max) of `r`,
/// as the polish measured it or, where it did not (see [`Polished`]), scored here.
fn polished(
    shapes: &[Shape],
    mut groups: Vec<Vec<u32>>,
    batch_size: usize,
    sizing: &Sizing,
    scratch: &mut SizingScratch,
) -> (Grouped, Tail) {
    let Polished { sizes, tail: known } = polish(shapes, &mut groups, batch_size, sizing, REHOME);
    let scored = known.unwrap_or_else(|| tail(shapes, &groups, sizing, scratch));
    let plan = Grouped {
        groups,
        sizes: Some(sizes),
    };
    (plan, scored)
}

#[derive(Default)]
struct Scratch {
    keys: Vec<i64>,
}

impl Scratch {
    /// Sum of L1 distances of `members` to their own medians: the set's total `ln r`.
    fn waste(&mut self, points: &[[f64; 2]], members: &[u32]) -> f64 {
        if members.is_empty() {
            return 0.0;
        }
        let mut total = 0.0;
        #[allow(clippy::needless_range_loop)] // one pass per coordinate of every point
        for axis in 0..2 {
            let m = median(
                members.iter().map(|&i| points[i as usize][axis]),
                &mut self.keys,
            );
            // In the order the selection left them, as the sum always ran.
            total += self
                .keys
                .iter()
                .map(|&k| (from_key(k) - m).abs())
                .sum::<f64>();
        }
        total
    }
}

fn bisect(
    points: &[[f64; 2]],
    members: &mut [u32],
    batches: usize,
    batch_size: usize,
    out: &mut Vec<Vec<u32>>,
    scratch: &mut Scratch,
) {
    if batches <= 1 {
        out.push(members.to_vec());
        return;
    }
    if batches <= EXHAUSTIVE {
        out.extend(search(points, members, batches, batch_size).1);
        return;
    }
    let m = members.len();
    let left_batches = batches / 2;
    let right_batches = batches - left_batches;
    // Each side must fill its batches without overflowing them; within that range, try the two
    // extremes (spare slots all on one side) and the even share.
    let lowest = left_batches.max(m.saturating_sub(right_batches * batch_size));
    let highest = (left_batches * batch_size).min(m - right_batches);
    let mut cuts = vec![lowest, highest];
    if batches * batch_size - m >= batch_size {
        // Spare batches to place: a share in between too. (Less than a batch of spare slots stays
        // in one partial batch.)
        cuts.insert(1, (m * left_batches / batches).clamp(lowest, highest));
    }
    cuts.dedup();
    // Each candidate cut needs only the `cut` smallest members along the axis on one side (a
    // selection, linear), not a full sort: the sets are the same, so the plan is too, and a level
    // costs O(n) instead of O(n log n) (the whole bisection O(n log n)). Large sets score the
    // candidates on an evenly spaced sample of their members, which picks the same direction and
    // share as the whole set (it only ranks three candidates) at a fraction of the cost.
    let mut best: Option<(f64, usize, usize)> = None; // (waste, axis, cut)
    let mut scored: Vec<u32> = if m > SAMPLE {
        members.iter().step_by(m / SAMPLE).copied().collect()
    } else {
        members.to_vec()
    };
    let scale = scored.len() as f64 / m as f64;
    for axis in 2..AXES {
        for &cut in &cuts {
            let at = ((cut as f64 * scale).round() as usize).min(scored.len());
            split_on(points, &mut scored, axis, at);
            let waste = scratch.waste(points, &scored[..at]) + scratch.waste(points, &scored[at..]);
            if best.is_none_or(|(w, _, _)| waste < w) {
                best = Some((waste, axis, cut));
            }
        }
    }
    let (_, axis, cut) = best.expect("at least one candidate cut");
    split_on(points, members, axis, cut);
    let (left, right) = members.split_at_mut(cut);
    bisect(points, left, left_batches, batch_size, out, scratch);
    bisect(points, right, right_batches, batch_size, out, scratch);
}

/// Cut directions: ln aspect, ln area, and their sum and difference (2 ln width, 2 ln height).
/// `ln r` is the L1 distance in (ln aspect, ln area), which is twice the L-infinity distance in
/// (ln width, ln height): cells square in width and height are as compact as cells get.
const AXES: usize = 4;

fn project(p: [f64; 2], axis: usize) -> f64 {
    match axis {
        0 => p[0],
        1 => p[1],
        2 => p[1] + p[0],
        _ => p[1] - p[0],
    }
}

/// Largest batch count searched exhaustively: a pair of batches, both directions and every share
/// of the spare slots. (At 4 the search scored about 3,000 candidate batches per leaf and took
/// 55-70% of planning time at buffers 128-2048, for p95 r 0.8% lower on average over the
/// real-data cells, at most 3%: it made Balanced 2-3x slower than the plain-TS k-means there.)
const EXHAUSTIVE: usize = 2;

/// For a few batches (small buffers, and the leaves of large ones), both cut directions and every
/// split of the batch count, scored by the final batches' summed cost: small buffers have no
/// spare slots, so the shape of the few cells decides the quality.
fn search(
    points: &[[f64; 2]],
    members: &[u32],
    batches: usize,
    batch_size: usize,
) -> (f64, Vec<Vec<u32>>) {
    if batches == 1 {
        let t = target(points, members);
        // (ln r)^4: the search picks cells by their tails, which p95 and max are made of.
        let tails = members
            .iter()
            .map(|&i| l1(points[i as usize], t).powi(4))
            .sum();
        return (tails, vec![members.to_vec()]);
    }
    let m = members.len();
    let mut best: Option<(f64, Vec<Vec<u32>>)> = None;
    let mut sorted = members.to_vec();
    for axis in 2..AXES {
        sort_on(points, &mut sorted, axis);
        for left in 1..batches {
            let right = batches - left;
            let lowest = left.max(m.saturating_sub(right * batch_size));
            let highest = (left * batch_size).min(m - right);
            if lowest > highest {
                continue;
            }
            let mut cuts = vec![lowest, highest];
            if batches * batch_size - m >= batch_size {
                cuts.insert(1, (m * left / batches).clamp(lowest, highest));
            }
            cuts.dedup();
            for cut in cuts {
                let (c1, g1) = search(points, &sorted[..cut], left, batch_size);
                let (c2, g2) = search(points, &sorted[cut..], right, batch_size);
                if best.as_ref().is_none_or(|(c, _)| c1 + c2 < *c) {
                    best = Some((c1 + c2, g1.into_iter().chain(g2).collect()));
                }
            }
        }
    }
    best.expect("a feasible split exists")
}

/// The order along `axis`, then the next axis (then the index: ties never depend on the input
/// order), as integer keys (`order.rs`).
fn axis_key(points: &[[f64; 2]], axis: usize) -> impl Fn(u32) -> (u64, u64) + '_ {
    let other = (axis + 1) % AXES;
    move |i| {
        let p = points[i as usize];
        (
            total_order(project(p, axis)),
            total_order(project(p, other)),
        )
    }
}

fn sort_on(points: &[[f64; 2]], members: &mut [u32], axis: usize) {
    let key = axis_key(points, axis);
    sort_by_keys(members, |i| {
        let (a, b) = key(i);
        (a, b, u64::from(i))
    });
}

/// Puts the `cut` first members along `axis` first (in no particular order).
fn split_on(points: &[[f64; 2]], members: &mut [u32], axis: usize, cut: usize) {
    select_first(members, cut, axis_key(points, axis));
}

/// Members a large set's candidate cuts are scored on (see `bisect`).
const SAMPLE: usize = 4096;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::refine::cost;
    use crate::sizing::resize_sizes;
    use crate::synthetic::seed_benchmark_sizes;

    fn shapes(n: usize) -> Vec<Shape> {
        seed_benchmark_sizes(n, 3)
            .iter()
            .enumerate()
            .map(|(i, &(h, w))| Shape::new(i, f64::from(w), f64::from(h)).unwrap())
            .collect()
    }

    /// Four panoramas among 96 photos: the split batches them alone, in its one partial batch.
    /// A plan that holds them in two full batches, its free slots in a third, is repaired (the
    /// third drawn from too) with no more batches: the panoramas together, every sample once,
    /// no batch over 32. (Without drawing from the third, what is left did not fit.)
    #[test]
    fn outliers_in_the_splits_partial_batch_are_batched_together() {
        let mut all = shapes(96);
        all.extend((96..100).map(|i| Shape::new(i, 4000.0, 500.0).unwrap()));
        let points: Vec<[f64; 2]> = all.iter().map(|s| [s.ln_aspect, s.ln_area]).collect();
        let panoramas: Vec<u32> = (96..100).collect();
        let floor = median_split_groups(&all, 32);
        assert!(
            floor.contains(&panoramas),
            "the split's partial batch: {floor:?}"
        );
        // The split's photo batches, two panoramas swapped into each of two of them for two
        // photos, which make the plan's last batch (its 28 free slots).
        let mut groups: Vec<Vec<u32>> =
            floor.iter().filter(|g| **g != panoramas).cloned().collect();
        let mut last = Vec::new();
        for (b, pair) in [(0, [96, 97]), (1, [98, 99])] {
            let at = groups[b].len() - 2;
            last.extend(groups[b].drain(at..));
            groups[b].extend(pair);
        }
        groups.push(last);
        let sizing = Sizing::default();
        let plan = Grouped {
            sizes: Some(resize_sizes(&all, &groups, &sizing)),
            groups,
        };
        // A bound only the panoramas exceed, so that only the split's partial batch is taken.
        let r = |i: u32, b: usize| {
            let size = log_point(plan.sizes.as_ref().unwrap()[b]);
            l1(points[i as usize], size).exp()
        };
        let served = |pick: &dyn Fn(u32) -> bool| {
            (0..4)
                .flat_map(|b| plan.groups[b].iter().map(move |&i| (i, b)))
                .filter(|&(i, _)| pick(i))
                .map(|(i, b)| r(i, b))
                .collect::<Vec<f64>>()
        };
        let bound = served(&|i| i < 96).into_iter().fold(0.0, f64::max);
        assert!(served(&|i| i >= 96).iter().all(|&x| x > bound));
        let repaired = with_split_batches(&points, &plan, &floor, bound, 32, 4)
            .expect("what is left fits once the batch with free slots is drawn from too");
        assert!(repaired.len() <= 4 && repaired.iter().all(|g| !g.is_empty() && g.len() <= 32));
        let mut seen: Vec<u32> = repaired.iter().flatten().copied().collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..100).collect::<Vec<u32>>());
        assert!(repaired.contains(&panoramas));
    }

    #[test]
    fn min_fill_one_leaves_one_partial_batch() {
        let groups = balanced_groups(
            &shapes(1000),
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
                &shapes(2000),
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
        let s = shapes(800);
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
