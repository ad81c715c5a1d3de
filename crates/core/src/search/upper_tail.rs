//! The upper tail of a plan's `ln r` values, kept sorted, so that the polish passes' guard reads
//! the exact p95 and max a trial change would give by merging the changed values into the top
//! ranks, without a selection over every value per trial (that selection was about a third of
//! Clustered's planning time at buffer 5,000). The tail changes only for a change that is kept,
//! or when the caller rebuilds it. Values are finite and not negative (`ln r` of valid shapes).

use crate::order::nonnegative_order;

use super::score::{p95_and_max, p95_ranks};

/// Every value at or above `floor`, ascending, and how many lie below it. The p95 reads from
/// `top` while its rank stays at or above `below`; when a change would drop it below the floor,
/// the caller rebuilds the tail (rare: the floor sits a margin under the p95).
#[derive(Debug, Default)]
pub(super) struct UpperTail {
    floor: f64,
    top: Vec<f64>,
    below: usize,
}

impl UpperTail {
    /// Rebuilds from all values (`scratch` is reordered). Returns the (p95, max) of `r`.
    pub(super) fn rebuild(&mut self, scratch: &mut [f64]) -> (f64, f64) {
        debug_assert!(scratch.iter().all(|v| v.is_finite()));
        let n = scratch.len();
        self.top.clear();
        if n == 0 {
            self.below = 0;
            self.floor = f64::NEG_INFINITY;
            return (1.0, 1.0);
        }
        let (at, lo, hi) = p95_ranks(n);
        // A margin of ranks under the p95, so that most trials never reach the floor.
        let cut = lo.saturating_sub(n / 20 + 8);
        let (_, &mut floor, _) = scratch.select_nth_unstable_by_key(cut, |v| nonnegative_order(*v));
        self.floor = floor;
        self.top.extend(
            scratch
                .iter()
                .copied()
                .filter(|&v| nonnegative_order(v) >= nonnegative_order(floor)),
        );
        self.top.sort_unstable_by_key(|&v| nonnegative_order(v));
        self.below = n - self.top.len();
        let at_rank = |r: usize| self.top[r - self.below];
        p95_and_max(
            at_rank(lo),
            at_rank(hi),
            *self.top.last().expect("n > 0"),
            at,
            lo,
        )
    }

    /// One value changes from `old` to `new`.
    #[inline]
    pub(super) fn replace(&mut self, old: f64, new: f64) {
        let low = |v: f64| nonnegative_order(v) < nonnegative_order(self.floor);
        match (low(old), low(new)) {
            // Most values of a trial stay under the floor: nothing to move.
            (true, true) => {}
            (true, false) => {
                self.below -= 1;
                self.insert(new);
            }
            (false, true) => {
                self.remove(old);
                self.below += 1;
            }
            (false, false) => {
                self.remove(old);
                self.insert(new);
            }
        }
    }

    fn remove(&mut self, old: f64) {
        let at = self
            .top
            .partition_point(|&v| nonnegative_order(v) < nonnegative_order(old));
        debug_assert!(nonnegative_order(self.top[at]) == nonnegative_order(old));
        self.top.remove(at);
    }

    fn insert(&mut self, new: f64) {
        let at = self
            .top
            .partition_point(|&v| nonnegative_order(v) < nonnegative_order(new));
        self.top.insert(at, new);
    }

    /// The (p95, max) of `r`, or `None` when the p95's rank has fallen below the floor.
    #[cfg(test)]
    pub(super) fn read(&self) -> Option<(f64, f64)> {
        self.with_changes(&[], &mut TrialScratch::default())
    }

    /// The (p95, max) of `r` if each `(old, new)` of `changes` replaced one value `old`, or `None`
    /// when the p95's rank would fall below the floor (then apply the changes and rebuild).
    /// `scratch` holds the changed values at or above the floor.
    pub(super) fn with_changes(
        &self,
        changes: &[(f64, f64)],
        scratch: &mut TrialScratch,
    ) -> Option<(f64, f64)> {
        let low = |v: f64| nonnegative_order(v) < nonnegative_order(self.floor);
        let n = self.below + self.top.len();
        if n == 0 {
            return Some((1.0, 1.0));
        }
        let (olds, news) = (&mut scratch.olds, &mut scratch.news);
        olds.clear();
        news.clear();
        let mut below = self.below;
        for &(old, new) in changes {
            if low(old) {
                below -= 1;
            } else {
                olds.push(old);
            }
            if low(new) {
                below += 1;
            } else {
                news.push(new);
            }
        }
        let (at, lo, hi) = p95_ranks(n);
        if lo < below {
            return None;
        }
        let descending = |&v: &f64| std::cmp::Reverse(nonnegative_order(v));
        olds.sort_unstable_by_key(descending);
        news.sort_unstable_by_key(descending);
        // Walk the changed tail from its largest value down to rank `lo`: the kept values of
        // `top` (an old value is skipped once where it stands) merged with the new values.
        let (mut t, mut o, mut w) = (self.top.len(), 0, 0);
        let (mut max, mut upper) = (f64::NAN, f64::NAN);
        for rank in (lo..n).rev() {
            while t > 0
                && o < olds.len()
                && nonnegative_order(self.top[t - 1]) == nonnegative_order(olds[o])
            {
                t -= 1;
                o += 1;
            }
            let kept = (t > 0).then(|| self.top[t - 1]);
            let value = match (kept, news.get(w)) {
                (Some(k), Some(&v)) if nonnegative_order(k) < nonnegative_order(v) => {
                    w += 1;
                    v
                }
                (Some(k), _) => {
                    t -= 1;
                    k
                }
                (None, Some(&v)) => {
                    w += 1;
                    v
                }
                (None, None) => unreachable!("ranks at or above `below` lie in the tail"),
            };
            if rank == n - 1 {
                max = value;
            }
            if rank == hi {
                upper = value;
            }
            if rank == lo {
                return Some(p95_and_max(value, upper, max, at, lo));
            }
        }
        unreachable!("the walk ends at rank lo")
    }
}

/// Buffers reused across trials.
#[derive(Debug, Default)]
pub(super) struct TrialScratch {
    olds: Vec<f64>,
    news: Vec<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::score::by_selection;
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256Plus;

    /// The p95 and max by a full sort (the definition).
    fn by_sorting(values: &[f64]) -> (f64, f64) {
        let mut v = values.to_vec();
        v.sort_unstable_by(f64::total_cmp);
        let (at, lo, hi) = p95_ranks(v.len());
        p95_and_max(v[lo], v[hi], v[v.len() - 1], at, lo)
    }

    #[test]
    fn reads_the_same_p95_and_max_as_a_full_sort_under_any_changes() {
        let mut scratch = TrialScratch::default();
        for seed in 0..20 {
            let mut rng = Xoshiro256Plus::seed_from_u64(seed);
            let n = rng.gen_range(1..400);
            // Few distinct values in some seeds, so ties sit on the floor.
            let levels = if seed % 2 == 0 { 5.0 } else { 1e6 };
            // Values in [1, 2), and 0 as the bottom: `ln r` is never negative.
            let draw =
                |rng: &mut Xoshiro256Plus| 1.0 + (rng.gen::<f64>() * levels).floor() / levels;
            let mut values: Vec<f64> = (0..n).map(|_| draw(&mut rng)).collect();
            let mut tail = UpperTail::default();
            assert_eq!(tail.rebuild(&mut values.clone()), by_sorting(&values));
            assert_eq!(by_selection(&mut values.clone()), by_sorting(&values));
            for _ in 0..300 {
                // A trial changes a few distinct values; some drop to the bottom (forcing rebuilds).
                let mut changed = values.clone();
                let mut changes = Vec::new();
                for i in 0..n {
                    if rng.gen_bool(0.1) {
                        let new = if rng.gen_bool(0.2) {
                            0.0
                        } else {
                            draw(&mut rng)
                        };
                        changes.push((values[i], new));
                        changed[i] = new;
                    }
                }
                let expected = by_sorting(&changed);
                let read = tail.with_changes(&changes, &mut scratch);
                let applied = read.is_none();
                if applied {
                    // As the guard does: rebuild with the change in it.
                    assert_eq!(tail.rebuild(&mut changed.clone()), expected);
                } else {
                    assert_eq!(read, Some(expected), "seed {seed}");
                }
                // Keep about half the trials, undo the others, as the guard does.
                if rng.gen_bool(0.5) {
                    if !applied {
                        for &(old, new) in &changes {
                            tail.replace(old, new);
                        }
                    }
                    values = changed;
                } else if applied {
                    for &(old, new) in changes.iter().rev() {
                        tail.replace(new, old);
                    }
                }
                let now = tail
                    .read()
                    .unwrap_or_else(|| tail.rebuild(&mut values.clone()));
                assert_eq!(now, by_sorting(&values), "seed {seed}");
            }
        }
    }
}
