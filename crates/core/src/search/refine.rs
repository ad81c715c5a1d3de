//! The local refinement Balanced and Clustered run over their batches: neighbouring batches move
//! samples into spare slots and swap samples pairwise where that lowers the summed `(ln r)^3`
//! against the batches' targets.

use super::geometry::{l1, target};
use super::nearest_sizes::NearestSizes;

/// Neighbouring batches each batch trades with during refinement.
const NEIGHBOURS: usize = 6;

/// What a trade lowers: `(ln r)^3` of a sample against a batch's size, so that trades that
/// shorten the tail (the p95 users judge by) win over trades that shave the middle. (Powers 1,
/// 2 and 4 measured worse p95 on the real sets; `exp` is a slow software call in wasm.)
pub(crate) fn cost(p: [f64; 2], t: [f64; 2]) -> f64 {
    l1(p, t).powi(3)
}

/// Up to `passes` rounds of trades between neighbouring batches of at most `cap` samples; stops
/// at a round that trades nothing.
pub(crate) fn refine(points: &[[f64; 2]], groups: &mut [Vec<u32>], cap: usize, passes: usize) {
    let count = groups.len();
    if count < 2 {
        return;
    }
    let (mut side_a, mut side_b) = (Side::default(), Side::default());
    // With less than a batch of spare slots, only one batch is partial (`minFill: 1`), and
    // stays so: lengths never change.
    let spare = count * cap - groups.iter().map(Vec::len).sum::<usize>();
    let moves = spare >= cap;
    // Each pass trades against the targets as the pass begins; only the batches the last pass
    // changed need theirs again.
    let mut targets: Vec<[f64; 2]> = groups.iter().map(|g| target(points, g)).collect();
    // Batches traded in this pass so far, and in the last one.
    let mut changed = vec![false; count];
    let mut dirty = vec![false; count];
    let mut last_pairs: Vec<(usize, usize)> = Vec::new();
    for pass in 0..passes {
        if pass > 0 {
            std::mem::swap(&mut changed, &mut dirty);
            changed.fill(false);
            for (b, &d) in dirty.iter().enumerate() {
                if d {
                    targets[b] = target(points, &groups[b]);
                }
            }
        }
        let mut any = false;
        let pairs = neighbour_pairs(&targets);
        for &(a, b) in &pairs {
            // A pair the last pass looked at traded nothing if neither batch changed then, and
            // would trade nothing again while neither has changed since: the same members
            // against the same targets give the same gains.
            let same = |x: usize| !dirty[x] && !changed[x];
            if pass > 0 && same(a) && same(b) && last_pairs.binary_search(&(a, b)).is_ok() {
                continue;
            }
            let pair = Pair {
                a,
                b,
                ta: targets[a],
                tb: targets[b],
            };
            // Moves into spare slots first (batch lengths change, the count does not), then
            // pairwise swaps.
            let mut traded = false;
            (side_a.best, side_b.best) = (None, None);
            if moves {
                traded |= move_into(points, groups, &pair, cap, &mut side_a);
                if move_into(points, groups, &pair.reversed(), cap, &mut side_b) {
                    traded = true;
                    side_a.best = None; // `a` gained members
                }
            }
            traded |= swap(points, groups, &pair, &mut side_a, &mut side_b);
            if traded {
                (changed[a], changed[b], any) = (true, true, true);
            }
        }
        if !any {
            break;
        }
        last_pairs = pairs;
    }
}

/// Change in cost of moving each member of `from` (target `tf`) to target `tt`, unsorted;
/// returns the best (most negative). Callers sort (`best_gains`) only when a trade can pay,
/// which in a good plan most pairs of neighbours cannot.
fn gains(
    points: &[[f64; 2]],
    members: &[u32],
    tf: [f64; 2],
    tt: [f64; 2],
    out: &mut Vec<(f64, usize)>,
) -> f64 {
    out.clear();
    out.extend(members.iter().enumerate().map(|(i, &p)| {
        let p = points[p as usize];
        (cost(p, tt) - cost(p, tf), i)
    }));
    out.iter().map(|g| g.0).fold(f64::INFINITY, f64::min)
}

/// One batch's gains toward the other batch of a pair, kept from a move that did not happen to
/// the swap (the members are the same, so are the gains: each is scored once per pair).
#[derive(Default)]
struct Side {
    gains: Vec<(f64, usize)>,
    /// The best gain, while `gains` holds every member's, unsorted.
    best: Option<f64>,
}

impl Side {
    fn best(&mut self, points: &[[f64; 2]], members: &[u32], tf: [f64; 2], tt: [f64; 2]) -> f64 {
        let Side { gains: out, best } = self;
        *best.get_or_insert_with(|| gains(points, members, tf, tt, out))
    }
}

/// Keeps the gains `pays` accepts, at most `limit` of them, best first (ties by position): the
/// same as the first of all gains sorted, without sorting the many that cannot pay.
fn best_gains(gains: &mut Vec<(f64, usize)>, pays: impl Fn(f64) -> bool, limit: usize) {
    let by_gain = |x: &(f64, usize), y: &(f64, usize)| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1));
    gains.retain(|g| pays(g.0));
    if gains.len() > limit {
        if limit == 0 {
            gains.clear();
            return;
        }
        gains.select_nth_unstable_by(limit - 1, by_gain);
        gains.truncate(limit);
    }
    gains.sort_unstable_by(by_gain);
}

/// Two neighbouring batches and their targets, as a refinement pass trades between them.
struct Pair {
    a: usize,
    b: usize,
    ta: [f64; 2],
    tb: [f64; 2],
}

impl Pair {
    /// The same pair seen from `b`.
    fn reversed(&self) -> Pair {
        Pair {
            a: self.b,
            b: self.a,
            ta: self.tb,
            tb: self.ta,
        }
    }
}

/// Moves members of batch `a` that suit batch `b` better into `b`'s free slots (never emptying
/// `a`).
fn move_into(
    points: &[[f64; 2]],
    groups: &mut [Vec<u32>],
    &Pair { a, b, ta, tb }: &Pair,
    cap: usize,
    side: &mut Side,
) -> bool {
    let room = cap.saturating_sub(groups[b].len());
    if room == 0 || groups[a].len() < 2 {
        return false;
    }
    if side.best(points, &groups[a], ta, tb) >= -1e-12 {
        return false;
    }
    side.best = None;
    best_gains(
        &mut side.gains,
        |g| g < -1e-12,
        room.min(groups[a].len() - 1),
    );
    let mut moving: Vec<usize> = side.gains.iter().map(|g| g.1).collect();
    moving.sort_unstable_by(|x, y| y.cmp(x));
    for i in moving {
        let p = groups[a].swap_remove(i);
        groups[b].push(p);
    }
    true
}

fn swap(
    points: &[[f64; 2]],
    groups: &mut [Vec<u32>],
    &Pair { a, b, ta, tb }: &Pair,
    side_a: &mut Side,
    side_b: &mut Side,
) -> bool {
    // A swap pays only if the best gains of both sides sum below zero.
    let (best_a, best_b) = (
        side_a.best(points, &groups[a], ta, tb),
        side_b.best(points, &groups[b], tb, ta),
    );
    if best_a + best_b >= -1e-12 {
        return false;
    }
    let (gains_a, gains_b) = (&mut side_a.gains, &mut side_b.gains);
    // A gain that does not pay even with the other side's best is never reached in the walk
    // below (sums only grow along it).
    best_gains(gains_a, |g| g + best_b < -1e-12, usize::MAX);
    best_gains(gains_b, |g| best_a + g < -1e-12, usize::MAX);
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
/// trading with far batches never helps. Near-linear in the number of batches, whatever their
/// spread (see `NearestSizes`).
fn neighbour_pairs(targets: &[[f64; 2]]) -> Vec<(usize, usize)> {
    let count = targets.len();
    if count <= NEIGHBOURS + 1 {
        // Every batch is every other's neighbour.
        return (0..count)
            .flat_map(|a| (a + 1..count).map(move |b| (a, b)))
            .collect();
    }
    let k = NEIGHBOURS;
    let mut pairs = Vec::with_capacity(count * k);
    let mut near: Vec<(f64, usize)> = Vec::new();
    let grid = NearestSizes::new(targets);
    for (a, &target) in targets.iter().enumerate() {
        grid.nearest(targets, target, k, f64::INFINITY, |b| b != a, &mut near);
        pairs.extend(near.iter().map(|&(_, b)| (a.min(b), a.max(b))));
    }
    pairs.sort_unstable();
    pairs.dedup();
    pairs
}
