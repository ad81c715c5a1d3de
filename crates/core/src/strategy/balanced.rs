//! Full batches without losing quality. Every batch holds exactly `batchSize` samples except one,
//! and the samples of a batch are close in (ln aspect, ln area) under the L1 distance, which is
//! exactly `ln r` (resize waste) to the batch's size: `ln r_i = |la_i - LA| + |lp_i - LP|`.
//!
//! 1. Balanced bisection: a set that must fill `t` batches is cut in two, along ln width or ln
//!    height, into halves that fill `t / 2` and `t - t / 2` batches, choosing the direction and
//!    the share of spare slots that leave the halves least waste. The number of batches is the
//!    most `minFill` allows, so spare slots land where samples are sparse; with `minFill: 1`
//!    only one batch in the plan is partial. Sets of four batches or fewer are split
//!    exhaustively (both directions, every split of the count).
//! 2. Swap refinement: batches close to each other trade samples pairwise when the trade lowers
//!    the summed `(ln r)^2` against the batches' current sizes; batch lengths never change, and
//!    sizes are recomputed after each pass.

use crate::shape::Shape;
use crate::error::PlanError;
use crate::options::OptionReader;

pub(super) const OPTIONS: &[&str] = &["minFill", "refinePasses"];

/// Full batches: balanced bisection, then `refine_passes` passes of pairwise swaps.
#[derive(Debug, Clone, PartialEq)]
pub struct BalancedOptions {
    /// Least share of slots that hold a sample, in (0, 1]. Default 0.95.
    pub min_fill: f64,
    pub refine_passes: usize,
}

pub const DEFAULT_MIN_FILL: f64 = 0.95;
pub const DEFAULT_REFINE_PASSES: usize = 8;

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
use crate::sizing::median;

/// Neighbouring batches each batch trades with during refinement.
const NEIGHBOURS: usize = 6;

pub fn balanced_groups(
    shapes: &[Shape],
    batch_size: usize,
    options: &BalancedOptions,
) -> Vec<Vec<u32>> {
    let n = shapes.len();
    if n == 0 {
        return Vec::new();
    }
    let points: Vec<[f64; 2]> = shapes.iter().map(|s| [s.ln_aspect, s.ln_area]).collect();
    let mut all: Vec<u32> = (0..n as u32).collect();
    // As many batches as `minFill` allows: the spare slots go where samples are sparse.
    let fewest = n.div_ceil(batch_size);
    let batches =
        ((n as f64 / (options.min_fill * batch_size as f64)).floor() as usize).clamp(fewest, n);
    let mut groups = Vec::with_capacity(batches);
    bisect(
        &points,
        &mut all,
        batches,
        batch_size,
        &mut groups,
        &mut Scratch::default(),
    );
    refine(&points, &mut groups, options.refine_passes);

    let mut keyed: Vec<([f64; 2], Vec<u32>)> = groups
        .into_iter()
        .map(|g| (target(&points, &g), g))
        .collect();
    keyed.sort_by(|a, b| {
        a.0[0]
            .total_cmp(&b.0[0])
            .then(a.0[1].total_cmp(&b.0[1]))
            .then(a.1[0].cmp(&b.1[0]))
    });
    keyed
        .into_iter()
        .map(|(_, mut g)| {
            g.sort_unstable();
            g
        })
        .collect()
}

#[derive(Default)]
struct Scratch {
    values: Vec<f64>,
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
            self.values.clear();
            self.values
                .extend(members.iter().map(|&i| points[i as usize][axis]));
            let m = median(&mut self.values);
            total += self.values.iter().map(|v| (v - m).abs()).sum::<f64>();
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
    let mut best: Option<(f64, usize, usize)> = None; // (waste, axis, cut)
    for axis in 2..AXES {
        sort_on(points, members, axis);
        for &cut in &cuts {
            let waste =
                scratch.waste(points, &members[..cut]) + scratch.waste(points, &members[cut..]);
            if best.is_none_or(|(w, _, _)| waste < w) {
                best = Some((waste, axis, cut));
            }
        }
    }
    let (_, axis, cut) = best.expect("at least one candidate cut");
    sort_on(points, members, axis);
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

/// Largest batch count searched exhaustively (about 3,000 candidate batches at 4).
const EXHAUSTIVE: usize = 4;

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
            .map(|&i| cost(points[i as usize], t).powi(2))
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

fn sort_on(points: &[[f64; 2]], members: &mut [u32], axis: usize) {
    let other = (axis + 1) % AXES;
    members.sort_unstable_by(|&a, &b| {
        let (pa, pb) = (points[a as usize], points[b as usize]);
        project(pa, axis)
            .total_cmp(&project(pb, axis))
            .then(project(pa, other).total_cmp(&project(pb, other)))
            .then(a.cmp(&b))
    });
}

/// The batch's median point: (ln aspect, ln area) of its `resizeSize` before rounding.
fn target(points: &[[f64; 2]], members: &[u32]) -> [f64; 2] {
    let mut values: Vec<f64> = members.iter().map(|&i| points[i as usize][0]).collect();
    let la = median(&mut values);
    values.clear();
    values.extend(members.iter().map(|&i| points[i as usize][1]));
    [la, median(&mut values)]
}

fn l1(p: [f64; 2], t: [f64; 2]) -> f64 {
    (p[0] - t[0]).abs() + (p[1] - t[1]).abs()
}

/// What a swap lowers: `(ln r)^2` of a sample against a batch's size, so that trades that
/// shorten the tail (the p95 users judge by) win over trades that shave the middle. (`r` itself
/// measured no better, and `exp` is a slow software call in wasm.)
fn cost(p: [f64; 2], t: [f64; 2]) -> f64 {
    l1(p, t).powi(2)
}

fn refine(points: &[[f64; 2]], groups: &mut [Vec<u32>], passes: usize) {
    let count = groups.len();
    if count < 2 {
        return;
    }
    let mut gains_a: Vec<(f64, usize)> = Vec::new();
    let mut gains_b: Vec<(f64, usize)> = Vec::new();
    let by_gain = |x: &(f64, usize), y: &(f64, usize)| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1));
    for _ in 0..passes {
        let targets: Vec<[f64; 2]> = groups.iter().map(|g| target(points, g)).collect();
        let mut swapped = false;
        for (a, b) in neighbour_pairs(&targets) {
            // Change in waste of moving each member to the other batch (negative is better).
            gains_a.clear();
            gains_a.extend(groups[a].iter().enumerate().map(|(i, &p)| {
                let p = points[p as usize];
                (cost(p, targets[b]) - cost(p, targets[a]), i)
            }));
            gains_b.clear();
            gains_b.extend(groups[b].iter().enumerate().map(|(i, &p)| {
                let p = points[p as usize];
                (cost(p, targets[a]) - cost(p, targets[b]), i)
            }));
            gains_a.sort_unstable_by(by_gain);
            gains_b.sort_unstable_by(by_gain);
            for (&(ga, ia), &(gb, ib)) in gains_a.iter().zip(gains_b.iter()) {
                if ga + gb >= -1e-12 {
                    break;
                }
                let (pa, pb) = (groups[a][ia], groups[b][ib]);
                groups[a][ia] = pb;
                groups[b][ib] = pa;
                swapped = true;
            }
        }
        if !swapped {
            break;
        }
    }
}

/// Each batch with its `NEIGHBOURS` nearest batches (by target), as ordered unique pairs:
/// trading with far batches never helps.
fn neighbour_pairs(targets: &[[f64; 2]]) -> Vec<(usize, usize)> {
    let count = targets.len();
    let k = NEIGHBOURS.min(count - 1);
    let mut pairs = Vec::with_capacity(count * k);
    let mut near: Vec<(f64, usize)> = Vec::with_capacity(count);
    for a in 0..count {
        near.clear();
        near.extend(
            (0..count)
                .filter(|&b| b != a)
                .map(|b| (l1(targets[a], targets[b]), b)),
        );
        near.select_nth_unstable_by(k - 1, |x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
        pairs.extend(near[..k].iter().map(|&(_, b)| (a.min(b), a.max(b))));
    }
    pairs.sort_unstable();
    pairs.dedup();
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::seed_benchmark_sizes;

    fn shapes(n: usize) -> Vec<Shape> {
        seed_benchmark_sizes(n, 3)
            .iter()
            .enumerate()
            .map(|(i, &(h, w))| Shape::new(i, f64::from(w), f64::from(h)).unwrap())
            .collect()
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
        );
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
            );
            let fill = 2000.0 / (groups.len() * 32) as f64;
            assert!(
                fill >= min_fill && groups.iter().all(|g| !g.is_empty() && g.len() <= 32),
                "{min_fill}: {fill}"
            );
            assert_eq!(groups.len(), (2000.0 / (min_fill * 32.0)).floor() as usize);
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
        );
        let refined = balanced_groups(
            &s,
            16,
            &BalancedOptions {
                min_fill: 1.0,
                refine_passes: 8,
            },
        );
        assert!(total(&refined) < total(&rough));
    }
}
