//! Batches' sizes as points in (ln aspect, ln area), ordered by ln aspect, so that the polish
//! passes find the batches nearest a sample (L1 distance, ties to the lower batch index) without
//! scanning every batch: a scan outward from the sample's ln aspect stops once the aspect gap
//! alone exceeds the best distance found. Exact: the same batches as a full scan (that scan was
//! about 40% of Clustered's planning time at buffer 5,000).

use super::refine::l1;

#[derive(Debug, Default)]
pub(super) struct NearestSizes {
    /// `(ln aspect of the size, batch)`, ascending.
    order: Vec<(f64, u32)>,
}

impl NearestSizes {
    /// `sizes` are finite; the same array (as it changes, through [`Self::update`]) is passed to
    /// every query.
    pub(super) fn new(sizes: &[[f64; 2]]) -> Self {
        debug_assert!(sizes.iter().flatten().all(|v| v.is_finite()));
        let mut order: Vec<(f64, u32)> = sizes
            .iter()
            .enumerate()
            .map(|(b, s)| (s[0], b as u32))
            .collect();
        order.sort_unstable_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
        NearestSizes { order }
    }

    fn position(&self, key: (f64, u32)) -> usize {
        self.order
            .partition_point(|x| x.0.total_cmp(&key.0).then(x.1.cmp(&key.1)).is_lt())
    }

    /// Batch `b`'s size moves from `old` to `new`.
    pub(super) fn update(&mut self, b: usize, old: [f64; 2], new: [f64; 2]) {
        debug_assert!(new[0].is_finite());
        if old[0] == new[0] {
            return;
        }
        let at = self.position((old[0], b as u32));
        debug_assert_eq!(self.order.get(at), Some(&(old[0], b as u32)));
        self.order.remove(at);
        let at = self.position((new[0], b as u32));
        self.order.insert(at, (new[0], b as u32));
    }

    /// The `count` batches nearest `point` (by `(distance, batch)`) among those `eligible`
    /// accepts, at distance below `below`, nearest first, into `out`.
    pub(super) fn nearest(
        &self,
        sizes: &[[f64; 2]],
        point: [f64; 2],
        count: usize,
        below: f64,
        eligible: impl Fn(usize) -> bool,
        out: &mut Vec<(f64, usize)>,
    ) {
        out.clear();
        if count == 0 {
            return;
        }
        let start = self.order.partition_point(|x| x.0 < point[0]);
        let (mut left, mut right) = (start, start);
        // The aspect gap never exceeds the distance (`l1` adds a non-negative term to it).
        let gap = |k: usize| (point[0] - self.order[k].0).abs();
        loop {
            let bound = if out.len() == count {
                out[count - 1].0.min(below)
            } else {
                below
            };
            let next_left = (left > 0).then(|| gap(left - 1)).filter(|&g| g <= bound);
            let next_right = (right < self.order.len())
                .then(|| gap(right))
                .filter(|&g| g <= bound);
            let k = match (next_left, next_right) {
                (None, None) => break,
                (Some(l), Some(r)) if l < r => {
                    left -= 1;
                    left
                }
                (Some(_), None) => {
                    left -= 1;
                    left
                }
                _ => {
                    right += 1;
                    right - 1
                }
            };
            let b = self.order[k].1 as usize;
            if !eligible(b) {
                continue;
            }
            let d = l1(point, sizes[b]);
            if d >= below {
                continue;
            }
            let at = out.partition_point(|&(e, c)| e.total_cmp(&d).then(c.cmp(&b)).is_lt());
            if at < count {
                out.insert(at, (d, b));
                out.truncate(count);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256Plus;

    /// The definition: every eligible batch below the bound, sorted, the first `count`.
    fn by_scanning(
        sizes: &[[f64; 2]],
        point: [f64; 2],
        count: usize,
        below: f64,
        eligible: impl Fn(usize) -> bool,
    ) -> Vec<(f64, usize)> {
        let mut all: Vec<(f64, usize)> = (0..sizes.len())
            .filter(|&b| eligible(b))
            .map(|b| (l1(point, sizes[b]), b))
            .filter(|&(d, _)| d < below)
            .collect();
        all.sort_unstable_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
        all.truncate(count);
        all
    }

    #[test]
    fn finds_the_same_batches_as_a_full_scan_as_sizes_move() {
        for seed in 0..20 {
            let mut rng = Xoshiro256Plus::seed_from_u64(seed);
            // Coarse coordinates in some seeds, so that distances tie.
            let grid = if seed % 2 == 0 { 4.0 } else { 1e6 };
            let draw = |rng: &mut Xoshiro256Plus| {
                [0, 1].map(|_| (rng.gen::<f64>() * 4.0 * grid).floor() / grid - 2.0)
            };
            let n = rng.gen_range(1..60);
            let mut sizes: Vec<[f64; 2]> = (0..n).map(|_| draw(&mut rng)).collect();
            let mut index = NearestSizes::new(&sizes);
            let mut out = Vec::new();
            for _ in 0..300 {
                let b = rng.gen_range(0..n);
                let new = draw(&mut rng);
                index.update(b, sizes[b], new);
                sizes[b] = new;
                let point = draw(&mut rng);
                let count = rng.gen_range(1..4);
                let below = if rng.gen_bool(0.5) {
                    f64::INFINITY
                } else {
                    rng.gen::<f64>() * 3.0
                };
                let skip = rng.gen_range(0..n);
                let eligible = |c: usize| c != skip && c % 5 != 3;
                index.nearest(&sizes, point, count, below, eligible, &mut out);
                assert_eq!(
                    out,
                    by_scanning(&sizes, point, count, below, eligible),
                    "seed {seed}"
                );
            }
        }
    }
}
