//! The dissolve pass: partial batches (clusters cut into batches leave remainders) are emptied
//! into batches with room, where the guard allows it.

use std::cmp::Reverse;

use crate::order::nonnegative_order;
use crate::search::geometry::l1;

use super::guard::SizedPlan;

/// Dissolves partial batches, emptiest first: each member moves to the batch with room whose size
/// suits it best, and the change is kept if the guard allows it. Clusters cut into batches leave
/// such remainders (a cluster of 33 is a batch of 32 and a batch of 1). Emptied batches are
/// removed. Only the partial batches `offer` accepts are tried; returns, for each one refused,
/// the batches its samples were sent to in the trial.
pub(super) fn absorb_partial(
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

/// Most batches with room that dissolving scans rather than searching the grid.
const SCAN_UP_TO: usize = 64;
