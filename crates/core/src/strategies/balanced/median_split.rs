//! The recursive median split: a set is split at the median of whichever of ln aspect and ln area
//! spans more, the left part holding a whole number of batches (the count of batches halved,
//! rounded up), recursively, until a set fits one batch. Simple and full (only the last batch is
//! partial), and never far off: Balanced keeps it as its floor (see `floor.rs`), and the
//! benchmark measures every full-fill plan against it (`bench/peers/median-split.ts`).

use crate::order::{select_first, total_order};
use crate::shape::Shape;

/// The groups (sample positions) of the recursive median split, each at most `batch_size`.
pub fn median_split_groups(shapes: &[Shape], batch_size: usize) -> Vec<Vec<u32>> {
    let mut all: Vec<u32> = (0..shapes.len() as u32).collect();
    let mut out = Vec::with_capacity(shapes.len().div_ceil(batch_size.max(1)));
    split(shapes, &mut all, batch_size.max(1), &mut out);
    out
}

fn split(shapes: &[Shape], members: &mut [u32], batch_size: usize, out: &mut Vec<Vec<u32>>) {
    if members.len() <= batch_size {
        if !members.is_empty() {
            out.push(members.to_vec());
        }
        return;
    }
    let span = |f: fn(&Shape) -> f64| {
        let (lo, hi) = members
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |acc, &i| {
                let v = f(&shapes[i as usize]);
                (acc.0.min(v), acc.1.max(v))
            });
        hi - lo
    };
    let on_aspect = span(|s| s.ln_aspect) >= span(|s| s.ln_area);
    // The left part: the `cut` first in (wider coordinate, the other, position), a total order.
    let cut = members.len().div_ceil(batch_size).div_ceil(2) * batch_size;
    select_first(members, cut, |i| {
        let s = &shapes[i as usize];
        let (first, second) = if on_aspect {
            (s.ln_aspect, s.ln_area)
        } else {
            (s.ln_area, s.ln_aspect)
        };
        (total_order(first), total_order(second))
    });
    let (left, right) = members.split_at_mut(cut);
    split(shapes, left, batch_size, out);
    split(shapes, right, batch_size, out);
}
