//! Total orders as integer keys: sorting by `(u64, u64, u64)` keys gives the same order as
//! comparing `f64`s with `total_cmp`, at a fraction of the cost in wasm, and one sort instance for
//! every ordering of the crate keeps the module small.

/// An integer that orders as [`f64::total_cmp`] orders `x`: negative numbers' bits inverted,
/// the others' sign bit set.
pub(crate) fn total_order(x: f64) -> u64 {
    let bits = x.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

/// An integer that orders as a value `v` that is never negative: its bits. Every `ln r` of a
/// plan and every L1 distance in the plane is a sum of absolute values, so `+0` or more (never
/// `-0`), where the bits of floats order as the floats; comparing them costs nothing, where
/// [`f64::total_cmp`] (or [`total_order`]) transforms both sides of every comparison.
#[inline]
pub(crate) fn nonnegative_order(v: f64) -> u64 {
    debug_assert!(v.is_sign_positive() && v.is_finite());
    v.to_bits()
}

/// Sorts by a key of three `u64`s (keys must be unique: the order is then total).
pub(crate) fn sort_by_keys<T: Copy>(items: &mut [T], key: impl Fn(T) -> (u64, u64, u64)) {
    let mut keyed: Vec<((u64, u64, u64), T)> = items.iter().map(|&t| (key(t), t)).collect();
    keyed.sort_unstable_by_key(|&(k, _)| k);
    for (slot, (_, t)) in items.iter_mut().zip(keyed) {
        *slot = t;
    }
}

/// Puts the `cut` items first that come first in the order of a two-`u64` key, then the item
/// itself (in no particular order within each side): the same sets as a sort would give, in
/// linear time. The keys are gathered first, so the selection compares contiguous values (far
/// fewer cache misses on large buffers than looking every item up through its index).
pub(crate) fn select_first(items: &mut [u32], cut: usize, key: impl Fn(u32) -> (u64, u64)) {
    if cut == 0 || cut >= items.len() {
        return;
    }
    let mut keyed: Vec<(u64, u64, u32)> = items
        .iter()
        .map(|&i| {
            let (a, b) = key(i);
            (a, b, i)
        })
        .collect();
    keyed.select_nth_unstable(cut);
    for (item, k) in items.iter_mut().zip(&keyed) {
        *item = k.2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_keys_order_as_total_cmp() {
        let values = [
            f64::NEG_INFINITY,
            -1e300,
            -2.5,
            -0.0,
            0.0,
            1e-300,
            0.5,
            2.5,
            f64::INFINITY,
            f64::NAN,
            -f64::NAN,
        ];
        for a in values {
            for b in values {
                assert_eq!(
                    total_order(a).cmp(&total_order(b)),
                    a.total_cmp(&b),
                    "{a} {b}"
                );
            }
        }
    }
}
