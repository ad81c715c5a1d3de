//! The plane the search works in: a sample, or a batch's size, as a point in (ln aspect, ln
//! area), where a sample's `ln r` in a batch is the L1 distance from its point to the size's.

use crate::sizing::median;

/// A `(height, width)` as a point in (ln aspect, ln area).
pub(crate) fn log_point((h, w): (u32, u32)) -> [f64; 2] {
    let (h, w) = (crate::math::ln(f64::from(h)), crate::math::ln(f64::from(w)));
    [w - h, w + h]
}

/// The batch's median point: (ln aspect, ln area) of its `resizeSize` before rounding.
pub(crate) fn target(points: &[[f64; 2]], members: &[u32]) -> [f64; 2] {
    // Called for every batch of every pass and search candidate: one buffer, reused.
    thread_local! {
        static KEYS: std::cell::RefCell<Vec<i64>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    KEYS.with_borrow_mut(|keys| {
        [0, 1].map(|axis| median(members.iter().map(|&i| points[i as usize][axis]), keys))
    })
}

/// `ln r` of a sample at `p` in a batch whose size is at `t`.
pub(crate) fn l1(p: [f64; 2], t: [f64; 2]) -> f64 {
    (p[0] - t[0]).abs() + (p[1] - t[1]).abs()
}
