//! Batches' sizes (or targets) as points in (ln aspect, ln area), bucketed in a grid whose lines
//! are quantiles of each coordinate, so that the batches nearest a point (L1 distance, ties to
//! the lower batch index) are found by searching rings of cells outwards until no nearer batch
//! can remain, rather than by scanning every batch. Exact: the same batches as a full scan,
//! whatever the spread of the points, and still after points move (the lines stay where they
//! were drawn; the outer cells reach to infinity). Used by the refinement (each batch's
//! neighbours) and the polish passes (a home for a sample, sizes changing as samples move).

use crate::order::nonnegative_order;

use super::geometry::l1;

/// Points per grid cell, on average, when the grid is drawn.
const PER_CELL: usize = 4;

#[derive(Debug, Default)]
pub(super) struct NearestSizes {
    /// Cells per axis.
    side: usize,
    /// Cell boundaries per axis (`side + 1` values, outer ones infinite).
    lines: [Vec<f64>; 2],
    /// The batches in each cell, in no particular order.
    cells: Vec<Vec<u32>>,
    cell_of: Vec<u32>,
}

impl NearestSizes {
    /// `sizes` are finite; the same array (as it changes, through [`Self::update`]) is passed to
    /// every query.
    pub(super) fn new(sizes: &[[f64; 2]]) -> Self {
        debug_assert!(sizes.iter().flatten().all(|v| v.is_finite()));
        let count = sizes.len();
        let side = ((count / PER_CELL) as f64).sqrt().ceil().max(1.0) as usize;
        let lines = [0, 1].map(|axis| {
            let mut values: Vec<f64> = sizes.iter().map(|t| t[axis]).collect();
            values.sort_unstable_by(f64::total_cmp);
            let mut lines: Vec<f64> = (1..side).map(|i| values[i * count / side]).collect();
            lines.insert(0, f64::NEG_INFINITY);
            lines.push(f64::INFINITY);
            lines
        });
        let mut grid = NearestSizes {
            side,
            lines,
            cells: vec![Vec::new(); side * side],
            cell_of: Vec::with_capacity(count),
        };
        for (b, &size) in sizes.iter().enumerate() {
            let c = grid.cell(size);
            grid.cells[c].push(b as u32);
            grid.cell_of.push(c as u32);
        }
        grid
    }

    fn index(&self, axis: usize, v: f64) -> usize {
        // Lines are sorted; the cell is the last line at or below v.
        self.lines[axis][1..self.side].partition_point(|&l| l <= v)
    }

    fn cell(&self, t: [f64; 2]) -> usize {
        self.index(0, t[0]) * self.side + self.index(1, t[1])
    }

    /// Batch `b`'s size moves to `new`.
    pub(super) fn update(&mut self, b: usize, new: [f64; 2]) {
        debug_assert!(new.iter().all(|v| v.is_finite()));
        let (old, c) = (self.cell_of[b] as usize, self.cell(new));
        if old == c {
            return;
        }
        let members = &mut self.cells[old];
        let at = members.iter().position(|&m| m as usize == b);
        members.swap_remove(at.expect("a batch is in its cell"));
        self.cells[c].push(b as u32);
        self.cell_of[b] = c as u32;
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
        if count == 0 || self.side == 0 {
            return;
        }
        let side = self.side as isize;
        let (cx, cy) = (
            self.index(0, point[0]) as isize,
            self.index(1, point[1]) as isize,
        );
        for ring in 0..side {
            let (x0, x1, y0, y1) = (cx - ring, cx + ring, cy - ring, cy + ring);
            for x in x0.max(0)..=x1.min(side - 1) {
                // Inner columns hold only the ring's top and bottom cells.
                let step = if x == x0 || x == x1 {
                    1
                } else {
                    (2 * ring).max(1)
                };
                let mut y = y0;
                while y <= y1 {
                    if (0..side).contains(&y) {
                        let c = (x * side + y) as usize;
                        for &b in &self.cells[c] {
                            let b = b as usize;
                            if !eligible(b) {
                                continue;
                            }
                            let d = l1(point, sizes[b]);
                            if d >= below {
                                continue;
                            }
                            let at = out.partition_point(|&(e, c)| {
                                (nonnegative_order(e), c) < (nonnegative_order(d), b)
                            });
                            if at < count {
                                out.insert(at, (d, b));
                                out.truncate(count);
                            }
                        }
                    }
                    y += step;
                }
            }
            // Anything outside this ring's box is at least `outside` away (along the axis where
            // it lies beyond the box); a tie might still win on its index, hence the strict test.
            let gap = |axis: usize, lo: isize, hi: isize, v: f64| {
                let below = if lo <= 0 {
                    f64::INFINITY
                } else {
                    v - self.lines[axis][lo as usize]
                };
                let above = if hi >= side - 1 {
                    f64::INFINITY
                } else {
                    self.lines[axis][hi as usize + 1] - v
                };
                below.min(above)
            };
            let outside = gap(0, x0, x1, point[0]).min(gap(1, y0, y1, point[1]));
            let full = out.len() == count && out[count - 1].0 < outside;
            if full || below <= outside {
                return;
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
                index.update(b, new);
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
