//! The rehome pass: the worst-served samples move to the batch whose size suits them best, into
//! a free slot or in exchange for one of its members, where the guard allows it.

use crate::search::geometry::l1;

use super::guard::SizedPlan;

/// The worst-served samples (those above the p95), worst first: each moves to the batch whose
/// size suits it best, into a free slot or in exchange for the member of that batch that suits
/// the sample's own batch best, where the guard allows it. One outlier in a batch of ordinary
/// images is sized for the ordinary ones (median sizing); this finds it a better home.
pub(super) fn shorten_tail(
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
    let p95 = crate::math::ln(plan.measured.0);
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
