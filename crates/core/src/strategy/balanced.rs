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

use crate::features::Shape;
use crate::options::BalancedOptions;
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
    // As many batches as `minFill` allows: the spare slots go where samples are sparse.
    let fewest = n.div_ceil(batch_size);
    let batches =
        ((n as f64 / (options.min_fill * batch_size as f64)).floor() as usize).clamp(fewest, n);
    // Full batches of one exact size first (real collections repeat a few sizes heavily): they
    // waste nothing, and they leave the bisection only the samples that need grouping.
    let (mut groups, mut rest) = exact_groups(shapes, batch_size);
    let rest_batches = (batches - groups.len()).min(rest.len());
    let mut leaves = Vec::with_capacity(rest_batches);
    if !rest.is_empty() {
        bisect(
            &points,
            &mut rest,
            rest_batches,
            batch_size,
            &mut leaves,
            &mut Scratch::default(),
        );
        refine(&points, &mut leaves, batch_size, options.refine_passes);
    }
    groups.extend(leaves.into_iter().filter(|g| !g.is_empty()));

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

/// Full batches of samples of one exact size, and the positions left over (in input order).
fn exact_groups(shapes: &[Shape], batch_size: usize) -> (Vec<Vec<u32>>, Vec<u32>) {
    let mut by_size: Vec<u32> = (0..shapes.len() as u32).collect();
    let key = |i: u32| (shapes[i as usize].width, shapes[i as usize].height);
    by_size.sort_unstable_by(|&a, &b| {
        let (ka, kb) = (key(a), key(b));
        ka.0.total_cmp(&kb.0)
            .then(ka.1.total_cmp(&kb.1))
            .then(a.cmp(&b))
    });
    let mut full = Vec::new();
    let mut rest = Vec::with_capacity(shapes.len());
    for run in by_size.chunk_by(|&a, &b| key(a) == key(b)) {
        let whole = run.len() / batch_size * batch_size;
        full.extend(run[..whole].chunks(batch_size).map(<[u32]>::to_vec));
        rest.extend_from_slice(&run[whole..]);
    }
    rest.sort_unstable();
    (full, rest)
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

fn refine(points: &[[f64; 2]], groups: &mut [Vec<u32>], cap: usize, passes: usize) {
    let count = groups.len();
    if count < 2 {
        return;
    }
    let mut gains_a: Vec<(f64, usize)> = Vec::new();
    let mut gains_b: Vec<(f64, usize)> = Vec::new();
    // With less than a batch of spare slots, only one batch is partial (`minFill: 1`), and
    // stays so: lengths never change.
    let spare = count * cap - groups.iter().map(Vec::len).sum::<usize>();
    let moves = spare >= cap;
    for _ in 0..passes {
        let targets: Vec<[f64; 2]> = groups.iter().map(|g| target(points, g)).collect();
        let mut changed = false;
        for (a, b) in neighbour_pairs(&targets) {
            let (ta, tb) = (targets[a], targets[b]);
            // Moves into spare slots first (batch lengths change, the count does not), then
            // pairwise swaps.
            if moves {
                changed |= move_into(points, groups, a, b, ta, tb, cap, &mut gains_a);
                changed |= move_into(points, groups, b, a, tb, ta, cap, &mut gains_a);
            }
            changed |= swap(points, groups, a, b, ta, tb, &mut gains_a, &mut gains_b);
        }
        if !changed {
            break;
        }
    }
}

/// Change in cost of moving each member of `from` (target `tf`) to target `tt`, sorted, most
/// negative (best) first.
fn gains(
    points: &[[f64; 2]],
    members: &[u32],
    tf: [f64; 2],
    tt: [f64; 2],
    out: &mut Vec<(f64, usize)>,
) {
    out.clear();
    out.extend(members.iter().enumerate().map(|(i, &p)| {
        let p = points[p as usize];
        (cost(p, tt) - cost(p, tf), i)
    }));
    out.sort_unstable_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
}

/// Moves members of batch `a` that suit batch `b` better into `b`'s free slots (never emptying
/// `a`).
#[allow(clippy::too_many_arguments)]
fn move_into(
    points: &[[f64; 2]],
    groups: &mut [Vec<u32>],
    a: usize,
    b: usize,
    ta: [f64; 2],
    tb: [f64; 2],
    cap: usize,
    scratch: &mut Vec<(f64, usize)>,
) -> bool {
    let room = cap.saturating_sub(groups[b].len());
    if room == 0 || groups[a].len() < 2 {
        return false;
    }
    gains(points, &groups[a], ta, tb, scratch);
    let take = scratch
        .iter()
        .take(room.min(groups[a].len() - 1))
        .take_while(|g| g.0 < -1e-12)
        .count();
    if take == 0 {
        return false;
    }
    let mut moving: Vec<usize> = scratch[..take].iter().map(|g| g.1).collect();
    moving.sort_unstable_by(|x, y| y.cmp(x));
    for i in moving {
        let p = groups[a].swap_remove(i);
        groups[b].push(p);
    }
    true
}

#[allow(clippy::too_many_arguments)]
fn swap(
    points: &[[f64; 2]],
    groups: &mut [Vec<u32>],
    a: usize,
    b: usize,
    ta: [f64; 2],
    tb: [f64; 2],
    gains_a: &mut Vec<(f64, usize)>,
    gains_b: &mut Vec<(f64, usize)>,
) -> bool {
    gains(points, &groups[a], ta, tb, gains_a);
    gains(points, &groups[b], tb, ta, gains_b);
    let mut swapped = false;
    for (&(ga, ia), &(gb, ib)) in gains_a.iter().zip(gains_b.iter()) {
        if ga + gb >= -1e-12 {
            break;
        }
        let (pa, pb) = (groups[a][ia], groups[b][ib]);
        groups[a][ia] = pb;
        groups[b][ib] = pa;
        swapped = true;
    }
    swapped
}

/// Each batch with its `NEIGHBOURS` nearest batches (by target, L1), as ordered unique pairs:
/// trading with far batches never helps. Targets are bucketed in a grid whose lines are
/// quantiles of each coordinate, and each batch searches rings of cells outwards until no
/// nearer batch can remain: near-linear in the number of batches, whatever their spread.
fn neighbour_pairs(targets: &[[f64; 2]]) -> Vec<(usize, usize)> {
    let count = targets.len();
    let k = NEIGHBOURS.min(count - 1);
    let mut pairs = Vec::with_capacity(count * k);
    let mut near: Vec<(f64, usize)> = Vec::new();
    let by_distance = |x: &(f64, usize), y: &(f64, usize)| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1));
    if count <= 4 * GRID_CELL {
        for a in 0..count {
            near.clear();
            near.extend(
                (0..count)
                    .filter(|&b| b != a)
                    .map(|b| (l1(targets[a], targets[b]), b)),
            );
            near.select_nth_unstable_by(k - 1, by_distance);
            pairs.extend(near[..k].iter().map(|&(_, b)| (a.min(b), a.max(b))));
        }
    } else {
        let grid = Grid::new(targets);
        for a in 0..count {
            grid.nearest(targets, a, k, &mut near);
            pairs.extend(near[..k].iter().map(|&(_, b)| (a.min(b), a.max(b))));
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    pairs
}

/// Targets per grid cell, on average.
const GRID_CELL: usize = 4;

struct Grid {
    side: usize,
    /// Cell boundaries per axis (`side + 1` values, outer ones infinite).
    lines: [Vec<f64>; 2],
    /// Members of cell `c` are `order[starts[c]..starts[c + 1]]`.
    starts: Vec<usize>,
    order: Vec<usize>,
}

impl Grid {
    fn new(targets: &[[f64; 2]]) -> Grid {
        let count = targets.len();
        let side = ((count / GRID_CELL) as f64).sqrt().ceil().max(1.0) as usize;
        let lines = [0, 1].map(|axis| {
            let mut values: Vec<f64> = targets.iter().map(|t| t[axis]).collect();
            values.sort_unstable_by(f64::total_cmp);
            let mut lines: Vec<f64> = (1..side).map(|i| values[i * count / side]).collect();
            lines.insert(0, f64::NEG_INFINITY);
            lines.push(f64::INFINITY);
            lines
        });
        let mut grid = Grid {
            side,
            lines,
            starts: Vec::new(),
            order: Vec::new(),
        };
        let cells: Vec<usize> = targets.iter().map(|&t| grid.cell(t)).collect();
        let mut starts = vec![0usize; side * side + 1];
        for &c in &cells {
            starts[c + 1] += 1;
        }
        for c in 0..side * side {
            starts[c + 1] += starts[c];
        }
        let mut next = starts.clone();
        let mut order = vec![0; count];
        for (i, &c) in cells.iter().enumerate() {
            order[next[c]] = i;
            next[c] += 1;
        }
        grid.starts = starts;
        grid.order = order;
        grid
    }

    fn index(&self, axis: usize, v: f64) -> usize {
        // Lines are sorted; the cell is the last line at or below v.
        self.lines[axis][1..self.side].partition_point(|&l| l <= v)
    }

    fn cell(&self, t: [f64; 2]) -> usize {
        self.index(0, t[0]) * self.side + self.index(1, t[1])
    }

    /// The `k` nearest other targets of `a`, sorted, in `near[..k]`.
    fn nearest(&self, targets: &[[f64; 2]], a: usize, k: usize, near: &mut Vec<(f64, usize)>) {
        let t = targets[a];
        let (cx, cy) = (self.index(0, t[0]), self.index(1, t[1]));
        near.clear();
        let side = self.side as isize;
        for ring in 0..self.side as isize {
            let (x0, x1, y0, y1) = (
                cx as isize - ring,
                cx as isize + ring,
                cy as isize - ring,
                cy as isize + ring,
            );
            for x in x0.max(0)..=x1.min(side - 1) {
                for y in y0.max(0)..=y1.min(side - 1) {
                    if x != x0 && x != x1 && y != y0 && y != y1 {
                        continue; // inside: an earlier ring
                    }
                    let c = x as usize * self.side + y as usize;
                    for &b in &self.order[self.starts[c]..self.starts[c + 1]] {
                        if b != a {
                            near.push((l1(t, targets[b]), b));
                        }
                    }
                }
            }
            if near.len() >= k {
                near.sort_unstable_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
                near.truncate(k);
                // Anything outside this ring's box is at least this far away.
                let bound = |axis: usize, lo: isize, hi: isize, v: f64| {
                    let below = if lo <= 0 {
                        f64::INFINITY
                    } else {
                        v - self.lines[axis][lo as usize]
                    };
                    let above = if hi >= side - 1 {
                        f64::INFINITY
                    } else {
                        self.lines[axis][hi as usize + 1] - v
                    };
                    below.min(above)
                };
                let outside = bound(0, x0, x1, t[0]).min(bound(1, y0, y1, t[1]));
                if near[k - 1].0 <= outside {
                    return;
                }
            }
        }
    }
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
