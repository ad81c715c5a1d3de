//! The (p95, max) of `r` plans are judged by: the SPEC's interpolated p95, as `evaluate` computes
//! it, and the max, read from the samples' `ln r`.

use crate::order::nonnegative_order;
use crate::shape::Shape;
use crate::sizing::{resize_size, Sizing, SizingScratch};

use super::geometry::{l1, log_point};

/// (p95, max) of `r` over all samples when each group is one batch at the size `sizing` gives
/// it: the SPEC metric, as `evaluate` computes it up to rounding (`ln r` is summed here and
/// exponentiated once, for the p95's two neighbours and the max only).
pub(crate) fn tail(
    shapes: &[Shape],
    groups: &[Vec<u32>],
    sizing: &Sizing,
    scratch: &mut SizingScratch,
) -> (f64, f64) {
    let mut ln_r: Vec<f64> = Vec::with_capacity(shapes.len());
    for g in groups {
        let size = size_point(shapes, g, sizing, scratch);
        ln_r.extend(g.iter().map(|&i| {
            let s = &shapes[i as usize];
            l1([s.ln_aspect, s.ln_area], size)
        }));
    }
    by_selection(&mut ln_r)
}

/// A batch's size (the one `sizing` gives it) as a point in (ln aspect, ln area).
fn size_point(
    shapes: &[Shape],
    members: &[u32],
    sizing: &Sizing,
    scratch: &mut SizingScratch,
) -> [f64; 2] {
    log_point(resize_size(shapes, members, sizing, scratch))
}

/// The interpolated p95 (the SPEC's, as `evaluate` computes it) and the max of `r`, from the
/// values at ranks `lo` and `hi` and the largest, all in `ln r`.
pub(super) fn p95_and_max(lower: f64, upper: f64, max: f64, at: f64, lo: usize) -> (f64, f64) {
    let (lower, upper) = (crate::math::exp(lower), crate::math::exp(upper));
    (
        lower + (upper - lower) * (at - lo as f64),
        crate::math::exp(max),
    )
}

/// Ranks (ascending, 0-based) of the p95's two neighbours among `n` values, and its position.
pub(super) fn p95_ranks(n: usize) -> (f64, usize, usize) {
    let at = 0.95 * (n - 1) as f64;
    (at, at.floor() as usize, at.ceil() as usize)
}

/// (p95, max) of `r` by one selection over all `values` (reordered).
pub(super) fn by_selection(values: &mut [f64]) -> (f64, f64) {
    let n = values.len();
    if n == 0 {
        return (1.0, 1.0);
    }
    let (at, lo, hi) = p95_ranks(n);
    let (below, &mut upper, above) =
        values.select_nth_unstable_by_key(hi, |v| nonnegative_order(*v));
    let max = above.iter().copied().fold(upper, f64::max);
    let lower = if lo == hi {
        upper
    } else {
        below.iter().copied().fold(f64::NEG_INFINITY, f64::max)
    };
    p95_and_max(lower, upper, max, at, lo)
}
