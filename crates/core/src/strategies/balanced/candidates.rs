//! How Balanced's candidate plans compete: each is polished and scored by its (p95, max) of `r`
//! at the sizes `sizing` gives, and the least wins among those whose max stays within the
//! floor's bound (`floor.rs`).

use super::Input;
use crate::search::polish::{polish, Passes, Polished};
use crate::search::score::tail;
use crate::sizing::SizingScratch;
use crate::strategies::Grouped;

/// (p95, max) of `r`.
pub(super) type Tail = (f64, f64);

/// Balanced's plans have no partial batches to spare: only the worst-served samples are rehomed.
const REHOME: Passes = Passes {
    dissolve: false,
    rehome: true,
};

/// The best plan offered so far: the least (p95, max) of `r` among plans whose max is at most
/// `bound`. Ties keep the plan offered first (the fuller one).
pub(super) struct Candidates {
    bound: f64,
    best: Option<(Tail, Grouped)>,
    scratch: SizingScratch,
}

impl Candidates {
    pub(super) fn within(bound: f64) -> Self {
        Candidates {
            bound,
            best: None,
            scratch: SizingScratch::default(),
        }
    }

    pub(super) fn offer(&mut self, score: Tail, plan: Grouped) {
        if score.1 <= self.bound && self.best.as_ref().is_none_or(|(b, _)| score < *b) {
            self.best = Some((score, plan));
        }
    }

    /// Offers `groups` polished (see [`Self::polished`]); returns its score.
    pub(super) fn offer_polished(&mut self, input: &Input<'_>, groups: Vec<Vec<u32>>) -> Tail {
        let (plan, tail) = self.polished(input, groups);
        self.offer(tail, plan);
        tail
    }

    /// `groups` polished with Balanced's passes: the plan with its sizes, and its (p95, max) of
    /// `r`, as the polish measured it or, where it did not (see [`Polished`]), scored here.
    pub(super) fn polished(
        &mut self,
        input: &Input<'_>,
        mut groups: Vec<Vec<u32>>,
    ) -> (Grouped, Tail) {
        let Polished { sizes, tail: known } = polish(
            input.shapes,
            &mut groups,
            input.batch_size,
            input.sizing,
            REHOME,
        );
        let scored = self.scored(input, &groups, known);
        let plan = Grouped {
            groups,
            sizes: Some(sizes),
        };
        (plan, scored)
    }

    /// The (p95, max) of `r` of `groups`: `known`, where what made the plan measured it.
    pub(super) fn scored(
        &mut self,
        input: &Input<'_>,
        groups: &[Vec<u32>],
        known: Option<Tail>,
    ) -> Tail {
        known.unwrap_or_else(|| tail(input.shapes, groups, input.sizing, &mut self.scratch))
    }

    pub(super) fn best(self) -> Grouped {
        self.best.expect("the split itself is always a candidate").1
    }
}
