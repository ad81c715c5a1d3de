//! Balanced's floor: the recursive median split (`median_split.rs`), a full plan whose worst case
//! (max `r`) no candidate may exceed (one outlier among batches of ordinary images can otherwise
//! be served worse than the plain split serves it). Where the fullest bisection plan exceeds it,
//! the plan is repaired (`repair.rs`). Unless the repair meets the floor well (the split's max at
//! most, and a p95 at most `SPLIT_NEEDED_ABOVE` times the split's), or the fullest plan meets it
//! as it is (the split's max and p95 at most), the split competes itself, as it is and polished;
//! where the max was the problem, also refined like the bisection's leaves first. So Balanced is
//! never worse than the median split in p95 or max of `r`.

use super::candidates::{Candidates, Tail};
use super::median_split::median_split_groups;
use super::Input;
use crate::search::refine::refine;
use crate::search::score::tail;
use crate::sizing::SizingScratch;
use crate::strategies::Grouped;

/// A repaired fullest plan (see `repair.rs`) whose p95 of `r` is at most this share of the
/// split's stands without the split competing. Closer to the split's p95 the split, refined and
/// polished, sometimes wins (on a generated web-photo set); below it, it never did on the real
/// and generated sets, where planning it anyway cost up to 10% more on COCO.
const SPLIT_NEEDED_ABOVE: f64 = 0.9;

/// The median split, its (p95, max) of `r`, and the bound its max sets every candidate.
pub(super) struct Floor {
    /// The median split's batches.
    pub groups: Vec<Vec<u32>>,
    score: Tail,
    /// The most a candidate's max of `r` may be.
    pub bound: f64,
}

impl Floor {
    pub(super) fn new(input: &Input<'_>) -> Self {
        let groups = median_split_groups(input.shapes, input.batch_size);
        let score = tail(
            input.shapes,
            &groups,
            input.sizing,
            &mut SizingScratch::default(),
        );
        // (A hair of tolerance: one sample's `r` at one size, computed in another order.)
        let bound = score.1 * (1.0 + 1e-9);
        Floor {
            groups,
            score,
            bound,
        }
    }

    /// Offers the split, unless the fullest plan (`fullest`) or its repair (`repaired`) meets
    /// the floor already. Offered last, as fallbacks (ties keep the first).
    pub(super) fn compete(
        self,
        input: &Input<'_>,
        fullest: Tail,
        repaired: Option<Tail>,
        candidates: &mut Candidates,
    ) {
        let (p95, max) = match repaired {
            Some(tail) if tail.1 <= self.bound && tail.0 <= SPLIT_NEEDED_ABOVE * self.score.0 => {
                tail
            }
            _ => fullest,
        };
        if max > self.bound {
            let mut refined = self.groups.clone();
            refine(
                &input.points,
                &mut refined,
                input.batch_size,
                input.refine_passes,
            );
            candidates.offer_polished(input, refined);
        }
        if max > self.bound || p95 > self.score.0 {
            candidates.offer_polished(input, self.groups.clone());
            // Polishing never raises the p95 of a plan up to 8,192 samples; larger plans are
            // polished region by region, where it can rise: the split as it is stays the fallback.
            candidates.offer(self.score, Grouped::without_sizes(self.groups));
        }
    }
}
