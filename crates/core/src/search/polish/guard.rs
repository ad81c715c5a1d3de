//! The guard every polish pass goes through: a plan sized and scored ([`SizedPlan`]), and
//! [`SizedPlan::try_keep`], which keeps a change only if the plan's p95 and max of `r`,
//! recomputed exactly (the SPEC's interpolated p95), do not rise. Sizes are recomputed only for
//! the batches a change touches. The p95 and max come from one selection over the plan per
//! trial, or, in plans of more than `SELECT_UP_TO` samples, from the plan's upper tail kept
//! sorted (`UpperTail`).

use crate::search::geometry::{l1, log_point};
use crate::search::nearest_sizes::NearestSizes;
use crate::search::score::by_selection;
use crate::search::upper_tail::{TrialScratch, UpperTail};
use crate::shape::Shape;
use crate::sizing::{resize_size, Sizing, SizingScratch};

/// A plan with each batch's size (as a point in ln aspect, ln area), each sample's `ln r`, and
/// the plan's (p95, max) of `r`.
pub(super) struct SizedPlan<'a> {
    shapes: &'a [Shape],
    sizing: &'a Sizing,
    scratch: SizingScratch,
    pub(super) sizes: Vec<[f64; 2]>,
    /// The same sizes as `(height, width)`.
    pub(super) hw: Vec<(u32, u32)>,
    pub(super) size_index: NearestSizes,
    /// Indexed by sample (lent by [`polish`](super::polish)); only the plan's own entries are
    /// meaningful.
    pub(super) ln_r: Vec<f64>,
    /// Every sample in the plan (samples move between batches, never in or out).
    pub(super) members: Vec<u32>,
    values: Vec<f64>,
    /// Plans above `SELECT_UP_TO` samples only.
    upper_tail: Option<UpperTail>,
    trial: TrialScratch,
    stash: Vec<(u32, f64)>,
    /// The stash's `(old, new)` values of one trial.
    changes: Vec<(f64, f64)>,
    /// The plan's (p95, max) of `r`.
    pub(super) measured: (f64, f64),
    /// New sizes of the batches a trial touched (reused across trials).
    touched_sizes: Vec<(usize, [f64; 2], (u32, u32))>,
    /// Changes kept so far, and per batch the count when a kept change last touched it.
    pub(super) kept: u64,
    pub(super) changed_at: Vec<u64>,
}

impl<'a> SizedPlan<'a> {
    pub(super) fn new(
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

    pub(super) fn point(&self, i: u32) -> [f64; 2] {
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
    pub(super) fn try_keep(
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
            if crate::math::exp(changed_max) > self.measured.1 + 1e-12 {
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
    pub(super) fn nearest(
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
