//! Balanced bisection: a set that must fill `t` batches is cut in two, along ln width or ln
//! height, into halves that fill `t / 2` and `t - t / 2` batches, choosing the direction and the
//! share of spare slots that leave the halves least waste; pairs of batches are split
//! exhaustively. The batches are then refined (`search/refine.rs`).

use super::Input;
use crate::order::{select_first, sort_by_keys, total_order};
use crate::search::geometry::{l1, target};
use crate::search::refine::refine;
use crate::sizing::{from_key, median};

/// `members` bisected into `batches` (at most one per member), then refined: the batches that
/// hold samples.
pub(super) fn bisect_and_refine(
    input: &Input<'_>,
    members: &mut [u32],
    batches: usize,
) -> Vec<Vec<u32>> {
    let mut leaves = Vec::with_capacity(batches);
    if !members.is_empty() {
        let count = batches.min(members.len());
        let points = &input.points;
        bisect(
            points,
            members,
            count,
            input.batch_size,
            &mut leaves,
            &mut Scratch::default(),
        );
        refine(points, &mut leaves, input.batch_size, input.refine_passes);
    }
    leaves.retain(|g| !g.is_empty());
    leaves
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
