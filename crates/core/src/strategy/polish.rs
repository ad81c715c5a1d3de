//! Last passes over a plan, at the sizes its batches will really get, each guarded so that
//! neither the p95 nor the max of `r` can rise:
//!
//! - dissolving partial batches into batches with room (fill goes up);
//! - rehoming the worst-served samples to the batch that suits them, alone or in exchange for one
//!   of its members (the worst case goes down);
//! - dissolving again the partial batches whose neighbourhood rehoming changed.
//!
//! [`polish`] runs the passes a strategy asks for over one scoring of the plan.
//!
//! The guard: a change is kept only if the plan's p95 and max of `r`, recomputed exactly (the
//! SPEC's interpolated p95), do not rise. Sizes are recomputed only for the batches a change
//! touches. The p95 and max come from one selection over the plan per trial, or, in plans of
//! more than `SELECT_UP_TO` samples, from the plan's upper tail kept sorted (`UpperTail`).
//!
//! Large plans are polished region by region (consecutive batches holding at most `REGION`
//! samples; callers pass batches in an order where neighbours are alike), so a trial costs at
//! most `REGION` and the passes stay linear in the buffer. There the guard holds per region.

use std::cmp::Reverse;

use crate::order::nonnegative_order;
use crate::shape::Shape;
use crate::sizing::{resize_size, resize_sizes, Sizing, SizingScratch};

use super::nearest_sizes::NearestSizes;
use super::refine::{l1, log_point};
use super::upper_tail::{by_selection, TrialScratch, UpperTail};

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
/// at least two batches), the plan's (p95, max) of `r`, exactly as [`super::refine::tail`]
/// gives it (tested), so that a caller comparing plans need not score it again.
pub(super) struct Polished {
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
pub(super) struct Passes {
    /// Dissolve partial batches (Clustered: clusters cut into batches leave remainders).
    pub dissolve: bool,
    /// Rehome the worst-served samples.
    pub rehome: bool,
}

/// The `passes`, in that order, over one scoring of the plan, region by region (callers pass
/// batches in an order where neighbours are alike); emptied batches are removed. Returns each
/// batch's `resizeSize` and, where it has it, the plan's tail (see [`Polished`]).
pub(super) fn polish(
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

/// A plan with each batch's size (as a point in ln aspect, ln area), each sample's `ln r`, and
/// the plan's (p95, max) of `r`.
struct SizedPlan<'a> {
    shapes: &'a [Shape],
    sizing: &'a Sizing,
    scratch: SizingScratch,
    sizes: Vec<[f64; 2]>,
    /// The same sizes as `(height, width)`.
    hw: Vec<(u32, u32)>,
    size_index: NearestSizes,
    /// Indexed by sample (lent by [`polish`]); only the plan's own entries are meaningful.
    ln_r: Vec<f64>,
    /// Every sample in the plan (samples move between batches, never in or out).
    members: Vec<u32>,
    values: Vec<f64>,
    /// Plans above `SELECT_UP_TO` samples only.
    upper_tail: Option<UpperTail>,
    trial: TrialScratch,
    stash: Vec<(u32, f64)>,
    /// The stash's `(old, new)` values of one trial.
    changes: Vec<(f64, f64)>,
    /// The plan's (p95, max) of `r`.
    measured: (f64, f64),
    /// New sizes of the batches a trial touched (reused across trials).
    touched_sizes: Vec<(usize, [f64; 2], (u32, u32))>,
    /// Changes kept so far, and per batch the count when a kept change last touched it.
    kept: u64,
    changed_at: Vec<u64>,
}

impl<'a> SizedPlan<'a> {
    fn new(
        shapes: &'a [Shape],
        groups: &[Vec<u32>],
        sizing: &'a Sizing,
        keep_upper_tail: bool,
        ln_r: Vec<f64>,
    ) -> Self {
        let mut plan = SizedPlan {
            shapes,
            sizing,
            scratch: SizingScratch::default(),
            sizes: Vec::with_capacity(groups.len()),
            hw: Vec::with_capacity(groups.len()),
            size_index: NearestSizes::default(),
            ln_r,
            members: groups.iter().flatten().copied().collect(),
            values: Vec::new(),
            upper_tail: keep_upper_tail.then(UpperTail::default),
            trial: TrialScratch::default(),
            stash: Vec::new(),
            changes: Vec::new(),
            measured: (0.0, 0.0),
            touched_sizes: Vec::new(),
            kept: 0,
            changed_at: vec![0; groups.len()],
        };
        for g in groups {
            let (hw, size) = plan.size_of(g);
            plan.hw.push(hw);
            plan.sizes.push(size);
            for &i in g {
                plan.ln_r[i as usize] = l1(plan.point(i), size);
            }
        }
        plan.size_index = NearestSizes::new(&plan.sizes);
        plan.measured = plan.measure_all();
        plan
    }

    fn point(&self, i: u32) -> [f64; 2] {
        let s = &self.shapes[i as usize];
        [s.ln_aspect, s.ln_area]
    }

    /// A batch's `(height, width)`, and as a point in (ln aspect, ln area).
    fn size_of(&mut self, members: &[u32]) -> ((u32, u32), [f64; 2]) {
        let hw = resize_size(self.shapes, members, self.sizing, &mut self.scratch);
        (hw, log_point(hw))
    }

    /// (p95, max) of `r` over the plan, as `evaluate` computes them, from every sample's value
    /// (the upper tail, if kept, rebuilt).
    fn measure_all(&mut self) -> (f64, f64) {
        self.values.clear();
        self.values
            .extend(self.members.iter().map(|&i| self.ln_r[i as usize]));
        match &mut self.upper_tail {
            Some(upper) => upper.rebuild(&mut self.values),
            None => by_selection(&mut self.values),
        }
    }

    /// Keeps a change already made to the `touched` batches of `groups` if the plan's p95 and max
    /// do not rise (and `improves` holds afterwards); else reports `false` and leaves the scores
    /// as they were (the caller undoes `groups`).
    fn try_keep(
        &mut self,
        groups: &[Vec<u32>],
        touched: &[usize],
        improves: impl Fn(&Self) -> bool,
    ) -> bool {
        self.stash.clear();
        self.changes.clear();
        let mut sizes = std::mem::take(&mut self.touched_sizes);
        sizes.clear();
        for &b in touched {
            if groups[b].is_empty() {
                continue;
            }
            let (hw, size) = self.size_of(&groups[b]);
            let mut changed_max = f64::NEG_INFINITY;
            for &i in &groups[b] {
                let (old, new) = (self.ln_r[i as usize], l1(self.point(i), size));
                self.stash.push((i, old));
                self.changes.push((old, new));
                self.ln_r[i as usize] = new;
                changed_max = changed_max.max(new);
            }
            sizes.push((b, size, hw));
            // A changed value above the plan's max fails the guard whatever the rest: no need
            // to size the other batches or measure the plan (most rehoming trials end here).
            if changed_max.exp() > self.measured.1 + 1e-12 {
                self.undo(sizes);
                return false;
            }
        }
        // The upper tail is read as the change would leave it, and changed only if the change
        // is kept; when the p95 would fall through its floor, every value is measured instead
        // (the tail rebuilt with the change in it, and undone below if the change is not kept).
        let read = match &self.upper_tail {
            Some(upper) => upper.with_changes(&self.changes, &mut self.trial),
            None => None,
        };
        let rebuilt = read.is_none();
        let tail = read.unwrap_or_else(|| self.measure_all());
        if tail.0 <= self.measured.0 + 1e-12 && tail.1 <= self.measured.1 + 1e-12 && improves(self)
        {
            if let (false, Some(upper)) = (rebuilt, &mut self.upper_tail) {
                for &(old, new) in &self.changes {
                    upper.replace(old, new);
                }
            }
            self.measured = tail;
            self.kept += 1;
            for &b in touched {
                self.changed_at[b] = self.kept;
            }
            for &(b, size, hw) in &sizes {
                self.size_index.update(b, size);
                self.sizes[b] = size;
                self.hw[b] = hw;
            }
            self.touched_sizes = sizes;
            true
        } else {
            if let (true, Some(upper)) = (rebuilt, &mut self.upper_tail) {
                for &(old, new) in self.changes.iter().rev() {
                    upper.replace(new, old);
                }
            }
            self.undo(sizes);
            false
        }
    }

    /// Puts back the values a trial changed (the trial's `sizes` buffer is kept for reuse).
    fn undo(&mut self, sizes: Vec<(usize, [f64; 2], (u32, u32))>) {
        for &(i, r) in self.stash.iter().rev() {
            self.ln_r[i as usize] = r;
        }
        self.touched_sizes = sizes;
    }

    /// The batch other than `not` whose size suits `point` best (and has room, if `cap` is given).
    fn nearest(
        &self,
        groups: &[Vec<u32>],
        point: [f64; 2],
        not: usize,
        cap: Option<usize>,
        found: &mut Vec<(f64, usize)>,
    ) -> Option<usize> {
        let eligible =
            |b: usize| b != not && !groups[b].is_empty() && cap.is_none_or(|c| groups[b].len() < c);
        self.size_index
            .nearest(&self.sizes, point, 1, f64::INFINITY, eligible, found);
        found.first().map(|&(_, b)| b)
    }
}

/// Dissolves partial batches, emptiest first: each member moves to the batch with room whose size
/// suits it best, and the change is kept if the guard allows it. Clusters cut into batches leave
/// such remainders (a cluster of 33 is a batch of 32 and a batch of 1). Emptied batches are
/// removed. Only the partial batches `offer` accepts are tried; returns, for each one refused,
/// the batches its samples were sent to in the trial.
fn absorb_partial(
    plan: &mut SizedPlan<'_>,
    groups: &mut [Vec<u32>],
    cap: usize,
    offer: impl Fn(usize) -> bool,
) -> Vec<Vec<usize>> {
    let mut refused = vec![Vec::new(); groups.len()];
    let mut order: Vec<usize> = (0..groups.len())
        .filter(|&g| !groups[g].is_empty() && groups[g].len() < cap && offer(g))
        .collect();
    order.sort_by_key(|&g| (groups[g].len(), g));
    let (mut receivers, mut touched): (Vec<usize>, Vec<usize>) = (Vec::new(), Vec::new());
    let mut found = Vec::new();
    // While few batches have room, scanning them finds a sample's receiver faster than the grid,
    // which visits full batches too (the same receiver: the nearest, ties to the lower index).
    // The list follows batches as they fill, empty and get their room back.
    let mut with_room: Vec<usize> = (0..groups.len())
        .filter(|&b| !groups[b].is_empty() && groups[b].len() < cap)
        .collect();
    let scan = with_room.len() <= SCAN_UP_TO;
    let mut far: Vec<(f64, usize)> = Vec::new();
    for g in order {
        let members = std::mem::take(&mut groups[g]);
        receivers.clear();
        far.clear();
        for &p in &members {
            let point = plan.point(p);
            let nearest = if scan {
                with_room
                    .iter()
                    .filter(|&&b| b != g)
                    .map(|&b| (nonnegative_order(l1(point, plan.sizes[b])), b))
                    .min()
                    .map(|(_, b)| b)
            } else {
                plan.nearest(groups, point, g, Some(cap), &mut found)
            };
            let Some(b) = nearest else {
                break;
            };
            far.push((l1(point, plan.sizes[b]), b));
            groups[b].push(p);
            receivers.push(b);
            if scan && groups[b].len() == cap {
                with_room.retain(|&x| x != b);
            }
        }
        // Receivers in order of the farthest sample each took: a trial the plan's max refuses
        // nearly always fails on that batch, and the guard stops sizing at the first that fails.
        far.sort_unstable_by_key(|&(d, b)| (Reverse(nonnegative_order(d)), b));
        touched.clear();
        for &(_, b) in &far {
            if !touched.contains(&b) {
                touched.push(b);
            }
        }
        let kept = receivers.len() == members.len() && plan.try_keep(groups, &touched, |_| true);
        if !kept {
            // Each member was pushed last onto its receiver: undo in reverse.
            for &b in receivers.iter().rev() {
                if scan && groups[b].len() == cap {
                    with_room.push(b);
                }
                groups[b].pop();
            }
            groups[g] = members;
            refused[g].clone_from(&touched);
        } else if scan {
            with_room.retain(|&x| x != g);
        }
    }
    refused
}

/// The worst-served samples (those above the p95), worst first: each moves to the batch whose
/// size suits it best, into a free slot or in exchange for the member of that batch that suits
/// the sample's own batch best, where the guard allows it. One outlier in a batch of ordinary
/// images is sized for the ordinary ones (median sizing); this finds it a better home.
fn shorten_tail(
    plan: &mut SizedPlan<'_>,
    groups: &mut [Vec<u32>],
    cap: usize,
    batch_of: &mut [u32],
) {
    // With less than a batch of spare slots only one batch is partial (Balanced's `minFill: 1`)
    // and stays so: exchanges only. (Batches emptied by an earlier pass do not count.)
    let batches = groups.iter().filter(|g| !g.is_empty()).count();
    let moves = batches * cap - plan.members.len() >= cap;
    for (b, g) in groups.iter().enumerate() {
        for &i in g {
            batch_of[i as usize] = b as u32;
        }
    }
    let p95 = plan.measured.0.ln();
    let mut worst: Vec<u32> = groups
        .iter()
        .flatten()
        .copied()
        .filter(|&i| plan.ln_r[i as usize] > p95)
        .collect();
    worst.sort_by(|&a, &b| {
        plan.ln_r[b as usize]
            .total_cmp(&plan.ln_r[a as usize])
            .then(a.cmp(&b))
    });
    let mut near: Vec<(f64, usize)> = Vec::new();
    for o in worst {
        let a = batch_of[o as usize] as usize;
        let here = plan.ln_r[o as usize];
        let point = plan.point(o);
        // The batches whose size would serve `o` better, nearest first.
        let eligible = |b: usize| b != a && !groups[b].is_empty();
        plan.size_index
            .nearest(&plan.sizes, point, HOMES, here - 1e-12, eligible, &mut near);
        for &(_, b) in near.iter() {
            if rehome(plan, groups, batch_of, o, a, b, cap, moves) {
                break;
            }
        }
    }
}

/// Most batches with room that dissolving scans rather than searching the grid.
const SCAN_UP_TO: usize = 64;

/// Batches tried as a new home for each worst-served sample.
const HOMES: usize = 3;

/// Moves `o` from batch `a` to batch `b`: into a free slot (if `moves`), else in exchange for the
/// member of `b` that suits `a` best or the one that loses least by going there. Keeps the first
/// change the guard allows that serves `o` better; reports whether one was kept.
#[allow(clippy::too_many_arguments)]
fn rehome(
    plan: &mut SizedPlan<'_>,
    groups: &mut [Vec<u32>],
    batch_of: &mut [u32],
    o: u32,
    a: usize,
    b: usize,
    cap: usize,
    moves: bool,
) -> bool {
    let here = plan.ln_r[o as usize];
    let better = |p: &SizedPlan<'_>| p.ln_r[o as usize] < here - 1e-12;
    let at = groups[a]
        .iter()
        .position(|&i| i == o)
        .expect("o is in its batch");
    if moves && groups[b].len() < cap && groups[a].len() > 1 {
        groups[a].swap_remove(at);
        groups[b].push(o);
        if plan.try_keep(groups, &[a, b], better) {
            batch_of[o as usize] = b as u32;
            return true;
        }
        groups[b].pop();
        groups[a].push(o);
        let last = groups[a].len() - 1;
        groups[a].swap(at, last);
    }
    let size_a = plan.sizes[a];
    let fit = |i: u32| l1(plan.point(i), size_a);
    let by = |key: &dyn Fn(u32) -> f64| {
        (0..groups[b].len()).min_by(|&x, &y| {
            key(groups[b][x])
                .total_cmp(&key(groups[b][y]))
                .then(x.cmp(&y))
        })
    };
    let best_fit = by(&fit);
    let least_loss = by(&|i| fit(i) - plan.ln_r[i as usize]);
    let mut partners = [best_fit, least_loss];
    if partners[0] == partners[1] {
        partners[1] = None;
    }
    for at_b in partners.into_iter().flatten() {
        let s = groups[b][at_b];
        groups[a][at] = s;
        groups[b][at_b] = o;
        if plan.try_keep(groups, &[a, b], better) {
            batch_of[o as usize] = b as u32;
            batch_of[s as usize] = a as u32;
            return true;
        }
        groups[a][at] = o;
        groups[b][at_b] = s;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sizing::SizeMode;
    use crate::strategy::refine::tail;
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
