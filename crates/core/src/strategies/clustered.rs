use linfa::traits::Fit;
use linfa::DatasetBase;
use linfa_clustering::{KMeans, KMeansInit};
use linfa_nn::distance::{Distance, L2Dist};
use ndarray::{Array2, ArrayView, Dimension};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256Plus;

use super::exact_groups::{exact_groups, ExactGroups};
use super::Grouped;
use crate::error::PlanError;
use crate::options::{OptionReader, MAX_COUNT, MAX_SAFE_INTEGER};
use crate::order::{sort_by_keys, total_order};
use crate::search::polish::{polish, Passes, Polished};
use crate::search::refine::refine;
use crate::shape::Shape;
use crate::sizing::Sizing;

pub(super) const OPTIONS: &[&str] = &["numClusters", "seed", "maxIterations"];

/// Defaults are documented in the README's options table.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterOptions {
    /// `None`: `ceil(n / batchSize)`, for the samples left after full batches of one exact size.
    pub num_clusters: Option<usize>,
    pub seed: u64,
    pub max_iterations: u64,
}

/// Lloyd iterations from a k-means++ start: against 10, p95 differs by -1.3% to +3.2% per
/// real-data cell (+0.3% on average) at about 70% of the cost; k-means dominates planning time.
pub const DEFAULT_MAX_ITERATIONS: u64 = 5;

impl ClusterOptions {
    pub(super) fn read(options: &OptionReader) -> Result<Self, PlanError> {
        Ok(ClusterOptions {
            num_clusters: options
                .integer("numClusters", 1.0, MAX_COUNT)?
                .map(|k| k as usize),
            seed: options
                .integer("seed", 0.0, MAX_SAFE_INTEGER)?
                .unwrap_or(0.0) as u64,
            max_iterations: options
                .integer("maxIterations", 1.0, 10_000.0)?
                .map_or(DEFAULT_MAX_ITERATIONS, |n| n as u64),
        })
    }
}

const TOLERANCE: f64 = 1e-4;

/// Most samples k-means sees at once. k-means with `k = n / batchSize` costs `n * k` per
/// iteration, quadratic in the buffer: larger buffers are first cut into cells (recursive 2-means
/// splits, so cells follow the gaps in the data), and each cell runs its own k-means. (Cells of
/// 1024 cost 2-3% p95 on a 5,000-photo set against one k-means over the buffer; 2048 cost none.)
const CELL: usize = 2048;

/// Passes of the local refinement (moves into spare slots, swaps) after cutting clusters.
const REFINE_PASSES: usize = 2;

/// k-means (linfa, seeded k-means++ start) on standardised (ln aspect, ln area), after full
/// batches of one exact size are set apart; see [`kmeans_batches`]. Batches come ordered by shape.
pub fn cluster_groups(
    shapes: &[Shape],
    batch_size: usize,
    options: &ClusterOptions,
    sizing: &Sizing,
) -> Result<Grouped, PlanError> {
    let (mut plan, _) = kmeans_batches(shapes, batch_size, options, sizing)?;
    for b in &mut plan.groups {
        sort_by_shape(b, shapes);
    }
    let first = |b: usize| &shapes[plan.groups[b][0] as usize];
    let mut order: Vec<usize> = (0..plan.groups.len()).collect();
    order.sort_by(|&ia, &ib| {
        let (sa, sb) = (first(ia), first(ib));
        sa.ln_aspect
            .total_cmp(&sb.ln_aspect)
            .then(sa.ln_area.total_cmp(&sb.ln_area))
            .then(ia.cmp(&ib))
    });
    Ok(plan.reordered(&order))
}

/// The batches of a k-means plan, unordered:
/// 1. full batches of one exact size are set apart (real collections repeat sizes);
/// 2. k-means on the rest with `k = ceil(n / batchSize)` (`n` the whole buffer: counting the
///    exact-size batches against k starved the varied rest, 4-10% p95 on a photo set), per cell;
/// 3. each cluster is sorted by shape and cut into batches;
/// 4. neighbouring batches trade samples where that lowers `(ln r)^3`;
/// 5. partial batches are dissolved into batches with room, and the worst-served samples moved,
///    where neither lets the p95 or the max of `r` rise (see `polish`).
///
/// With the batches, their `resizeSize`s where the polish passes sized them all, and the plan's
/// (p95, max) of `r` where the polish measured it (see [`Polished`]).
pub(super) fn kmeans_batches(
    shapes: &[Shape],
    batch_size: usize,
    options: &ClusterOptions,
    sizing: &Sizing,
) -> Result<(Grouped, Option<(f64, f64)>), PlanError> {
    let n = shapes.len();
    if n == 0 {
        return Ok((Grouped::without_sizes(Vec::new()), None));
    }
    let ExactGroups {
        full: mut batches,
        rest,
        rest_sizes,
    } = exact_groups(shapes, batch_size);
    if rest.is_empty() {
        return Ok((Grouped::without_sizes(batches), None));
    }
    let wanted = options.num_clusters.unwrap_or(n.div_ceil(batch_size));
    let records = standardised_features(shapes, &rest);
    let mut cells = Vec::new();
    let mut positions: Vec<u32> = (0..rest.len() as u32).collect();
    partition(&records, &mut positions, CELL.max(batch_size), &mut cells);
    let mut rng = Xoshiro256Plus::seed_from_u64(options.seed);
    let mut leaves = Vec::new();
    let one_cell = cells.len() == 1;
    for cell in cells {
        let k = ((wanted as f64 * cell.len() as f64 / rest.len() as f64).round() as usize).max(1);
        // More centres than distinct points leaves k-means nothing to pick from.
        let distinct = if one_cell {
            rest_sizes
        } else {
            distinct_shapes(shapes, cell.iter().map(|&row| rest[row as usize]))
        };
        for group in kmeans_cell(
            shapes,
            &rest,
            &records,
            &cell,
            k.min(distinct),
            options,
            &mut rng,
        )? {
            // Room for a whole batch: refinement and polish move samples into partial ones.
            leaves.extend(group.chunks(batch_size).map(|chunk| {
                let mut batch = Vec::with_capacity(batch_size);
                batch.extend_from_slice(chunk);
                batch
            }));
        }
    }
    let points: Vec<[f64; 2]> = shapes.iter().map(|s| [s.ln_aspect, s.ln_area]).collect();
    refine(&points, &mut leaves, batch_size, REFINE_PASSES);
    batches.extend(leaves);
    let passes = Passes {
        dissolve: true,
        rehome: true,
    };
    let Polished { sizes, tail } = polish(shapes, &mut batches, batch_size, sizing, passes);
    let plan = Grouped {
        groups: batches,
        sizes: Some(sizes),
    };
    Ok((plan, tail))
}

/// Splits `positions` (rows of `records`) into cells of at most `cap` rows by recursive 2-means
/// (a cut at the widest gap of the data rather than through a dense size); a set 2-means cannot
/// split (one point repeated) is cut at its middle.
fn partition(records: &Array2<f64>, positions: &mut [u32], cap: usize, out: &mut Vec<Vec<u32>>) {
    if positions.len() <= cap {
        out.push(positions.to_vec());
        return;
    }
    let cut = two_means(records, positions).unwrap_or(positions.len() / 2);
    let (left, right) = positions.split_at_mut(cut);
    partition(records, left, cap, out);
    partition(records, right, cap, out);
}

/// Lloyd iterations of 2-means from the quartiles of the coordinate that spans more, on
/// `positions`; reorders them so that the first `cut` form one cluster. `None` if one cluster is
/// empty.
fn two_means(records: &Array2<f64>, positions: &mut [u32]) -> Option<usize> {
    let n = positions.len();
    let row = |p: u32| [records[[p as usize, 0]], records[[p as usize, 1]]];
    let span = |axis: usize| {
        let (lo, hi) = positions
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &p| {
                let v = records[[p as usize, axis]];
                (lo.min(v), hi.max(v))
            });
        hi - lo
    };
    let axis = usize::from(span(1) > span(0));
    let mut quartile = |q: usize| {
        positions.select_nth_unstable_by(q, |&a, &b| {
            records[[a as usize, axis]]
                .total_cmp(&records[[b as usize, axis]])
                .then(a.cmp(&b))
        });
        row(positions[q])
    };
    let mut centres = [quartile(n / 4), quartile(3 * n / 4)];
    let d = |p: [f64; 2], c: [f64; 2]| (p[0] - c[0]).powi(2) + (p[1] - c[1]).powi(2);
    let side = |p: [f64; 2], c: &[[f64; 2]; 2]| usize::from(d(p, c[1]) < d(p, c[0]));
    for _ in 0..TWO_MEANS_ITERATIONS {
        let mut sums = [[0.0f64; 3]; 2];
        for &p in positions.iter() {
            let x = row(p);
            let s = &mut sums[side(x, &centres)];
            s[0] += x[0];
            s[1] += x[1];
            s[2] += 1.0;
        }
        if sums[0][2] == 0.0 || sums[1][2] == 0.0 {
            return None;
        }
        let next = [0, 1].map(|k| [sums[k][0] / sums[k][2], sums[k][1] / sums[k][2]]);
        if next == centres {
            break;
        }
        centres = next;
    }
    let mut cut = 0;
    for i in 0..n {
        if side(row(positions[i]), &centres) == 0 {
            positions.swap(i, cut);
            cut += 1;
        }
    }
    (cut > 0 && cut < n).then_some(cut)
}

const TWO_MEANS_ITERATIONS: usize = 20;

/// k-means with `k` centres (no more than the cell has distinct sizes) on one cell (`cell` holds
/// rows of `records`; `rest[row]` is the sample). Returns the clusters as sample positions, each
/// sorted by shape.
fn kmeans_cell(
    shapes: &[Shape],
    rest: &[u32],
    records: &Array2<f64>,
    cell: &[u32],
    k: usize,
    options: &ClusterOptions,
    rng: &mut Xoshiro256Plus,
) -> Result<Vec<Vec<u32>>, PlanError> {
    let mut members: Vec<u32> = cell.iter().map(|&row| rest[row as usize]).collect();
    if k <= 1 {
        sort_by_shape(&mut members, shapes);
        return Ok(vec![members]);
    }
    let data = Array2::from_shape_fn((cell.len(), 2), |(i, j)| records[[cell[i] as usize, j]]);
    // One seeded start: three starts (least inertia kept) changed p95 by under 1.5% either way on
    // the real-data cells, at twice the cost.
    let start = plus_plus_centres(&data, k, rng);
    let model = KMeans::params_with(k, Xoshiro256Plus::seed_from_u64(rng.gen()), PlaneL2)
        .init_method(KMeansInit::Precomputed(start))
        .n_runs(1)
        .max_n_iterations(options.max_iterations)
        .tolerance(TOLERANCE)
        .fit(&DatasetBase::from(data.clone()))
        .map_err(|e| PlanError::Input {
            message: format!("k-means failed: {e}"),
        })?;
    let labels = nearest_centres(&data, model.centroids());
    let mut counts = vec![0; k];
    for &label in &labels {
        counts[label] += 1;
    }
    let mut groups: Vec<Vec<u32>> = counts.into_iter().map(Vec::with_capacity).collect();
    for (i, &label) in labels.iter().enumerate() {
        groups[label].push(members[i]);
    }
    groups.retain(|g| !g.is_empty());
    for g in &mut groups {
        sort_by_shape(g, shapes);
    }
    Ok(groups)
}

/// Each row's nearest centre (the first of equal ones), as linfa's `predict` assigns them: the
/// same distances compared in the same order, in one loop over flat pairs where `predict` walks
/// ndarray views for every (row, centre) pair (a sixth of the k-means time).
fn nearest_centres(data: &Array2<f64>, centres: &Array2<f64>) -> Vec<usize> {
    let centres: Vec<[f64; 2]> = centres.rows().into_iter().map(|c| [c[0], c[1]]).collect();
    data.rows()
        .into_iter()
        .map(|x| {
            let d = |c: &[f64; 2]| {
                let (d0, d1) = (c[0] - x[0], c[1] - x[1]);
                d0 * d0 + d1 * d1
            };
            let mut best = (0, d(&centres[0]));
            for (k, c) in centres.iter().enumerate().skip(1) {
                let dk = d(c);
                if dk < best.1 {
                    best = (k, dk);
                }
            }
            best.0
        })
        .collect()
}

/// linfa's squared L2 distance with a direct path for points in the plane (every k-means here
/// runs on two features). The generic path checks shapes and walks ndarray iterators per pair
/// of points, which was about half of linfa's time; this gives the same value to the bit
/// (`0 + d0^2 + d1^2`, in that order), so plans do not change. Rows are read as slices (a
/// layout check) rather than converted to 1-D views (a dimension conversion per pair): 2-7%
/// of Clustered's planning time from buffer 512 on, in wasm.
#[derive(Debug, Clone, Copy)]
struct PlaneL2;

impl Distance<f64> for PlaneL2 {
    fn distance<D: Dimension>(&self, a: ArrayView<f64, D>, b: ArrayView<f64, D>) -> f64 {
        L2Dist.distance(a, b)
    }

    #[inline(always)]
    fn rdistance<D: Dimension>(&self, a: ArrayView<f64, D>, b: ArrayView<f64, D>) -> f64 {
        if a.ndim() == 1 && b.ndim() == 1 {
            if let (Some(&[a0, a1]), Some(&[b0, b1])) = (a.as_slice(), b.as_slice()) {
                let (d0, d1) = (a0 - b0, a1 - b1);
                return d0 * d0 + d1 * d1;
            }
        }
        L2Dist.rdistance(a, b)
    }

    fn rdist_to_dist(&self, rdist: f64) -> f64 {
        rdist.sqrt()
    }

    fn dist_to_rdist(&self, dist: f64) -> f64 {
        dist * dist
    }
}

/// Rows of (ln aspect, ln area), each column scaled to mean 0 and standard deviation 1 (a
/// constant column is only centred), so neither feature dominates the distance.
fn standardised_features(shapes: &[Shape], members: &[u32]) -> Array2<f64> {
    let n = members.len() as f64;
    let column = |f: fn(&Shape) -> f64| {
        let mean = members.iter().map(|&i| f(&shapes[i as usize])).sum::<f64>() / n;
        let var = members
            .iter()
            .map(|&i| (f(&shapes[i as usize]) - mean).powi(2))
            .sum::<f64>()
            / n;
        let sd = if var > 0.0 { var.sqrt() } else { 1.0 };
        (mean, sd)
    };
    let (ma, sa) = column(|s| s.ln_aspect);
    let (mp, sp) = column(|s| s.ln_area);
    Array2::from_shape_fn((members.len(), 2), |(i, j)| {
        let s = &shapes[members[i] as usize];
        if j == 0 {
            (s.ln_aspect - ma) / sa
        } else {
            (s.ln_area - mp) / sp
        }
    })
}

fn distinct_shapes(shapes: &[Shape], members: impl Iterator<Item = u32>) -> usize {
    let mut sides: Vec<(u64, u64)> = members
        .map(|i| {
            (
                shapes[i as usize].width as u64,
                shapes[i as usize].height as u64,
            )
        })
        .collect();
    sides.sort_unstable();
    sides.dedup();
    sides.len()
}

/// Sort positions by shape: ln aspect, then ln area, then position (a total, stable order).
fn sort_by_shape(positions: &mut [u32], shapes: &[Shape]) {
    sort_by_keys(positions, |i| {
        let s = &shapes[i as usize];
        (
            total_order(s.ln_aspect),
            total_order(s.ln_area),
            u64::from(i),
        )
    });
}

/// k-means++ seeding in O(n k): each next centre is drawn with probability proportional to the
/// squared distance to the nearest centre so far, keeping those distances up to date
/// incrementally (linfa's own seeding recomputes them all for every centre, O(n k^2)).
fn plus_plus_centres(records: &Array2<f64>, k: usize, rng: &mut impl Rng) -> Array2<f64> {
    let n = records.nrows();
    let dist = |a: usize, c: &[f64; 2]| {
        (records[[a, 0]] - c[0]).powi(2) + (records[[a, 1]] - c[1]).powi(2)
    };
    let first = rng.gen_range(0..n);
    let mut centres = vec![[records[[first, 0]], records[[first, 1]]]];
    let mut nearest: Vec<f64> = (0..n).map(|i| dist(i, &centres[0])).collect();
    while centres.len() < k {
        let total: f64 = nearest.iter().sum();
        let pick = if total <= 0.0 {
            rng.gen_range(0..n)
        } else {
            let mut x = rng.gen::<f64>() * total;
            nearest
                .iter()
                .position(|&d| {
                    x -= d;
                    x < 0.0
                })
                .unwrap_or(n - 1)
        };
        let c = [records[[pick, 0]], records[[pick, 1]]];
        for (i, d) in nearest.iter_mut().enumerate() {
            *d = d.min(dist(i, &c));
        }
        centres.push(c);
    }
    Array2::from_shape_fn((k, 2), |(i, j)| centres[i][j])
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn nearest_centres_are_linfas_predictions() {
        use linfa::traits::Predict;
        for seed in 0..20 {
            let mut rng = Xoshiro256Plus::seed_from_u64(seed);
            // Coarse coordinates in even seeds, so that distances tie.
            let grain = if seed % 2 == 0 { 2.0 } else { 1e9 };
            let n = rng.gen_range(2..300);
            let data = Array2::from_shape_fn((n, 2), |_| {
                (rng.gen::<f64>() * 6.0 * grain).floor() / grain - 3.0
            });
            let k = rng.gen_range(1..=n.min(12));
            // One point repeated in some seeds: every centre lands on it, and every row ties.
            let data = if seed % 4 == 0 {
                Array2::from_shape_fn((n, 2), |(_, j)| data[[0, j]])
            } else {
                data
            };
            let start = plus_plus_centres(&data, k, &mut rng);
            let model = KMeans::params_with(k, Xoshiro256Plus::seed_from_u64(seed), PlaneL2)
                .init_method(KMeansInit::Precomputed(start))
                .n_runs(1)
                .max_n_iterations(2)
                .fit(&DatasetBase::from(data.clone()))
                .expect("a model");
            let linfa: Vec<usize> = model.predict(&data).to_vec();
            assert_eq!(
                nearest_centres(&data, model.centroids()),
                linfa,
                "seed {seed}"
            );
        }
    }

    #[test]
    fn the_plane_distance_is_linfas_to_the_bit() {
        let mut rng = Xoshiro256Plus::seed_from_u64(1);
        let mut draw =
            || [0, 1].map(|_| (rng.gen::<f64>() - 0.5) * 10f64.powi(rng.gen_range(-3..4)));
        for _ in 0..10_000 {
            let (a, b) = (draw(), draw());
            let (a, b) = (array![a[0], a[1]], array![b[0], b[1]]);
            let ours = PlaneL2.rdistance(a.view(), b.view());
            assert_eq!(
                ours.to_bits(),
                L2Dist.rdistance(a.view(), b.view()).to_bits()
            );
        }
        let zero = array![0.0, -0.0];
        assert_eq!(
            PlaneL2.rdistance(zero.view(), zero.view()).to_bits(),
            L2Dist.rdistance(zero.view(), zero.view()).to_bits()
        );
        // Rows of a matrix (as k-means passes them), and other shapes through linfa's path.
        let m = array![[1.5, -2.0], [0.25, 4.0]];
        assert_eq!(
            PlaneL2.rdistance(m.row(0), m.row(1)).to_bits(),
            L2Dist.rdistance(m.row(0), m.row(1)).to_bits()
        );
        let (p, q) = (array![1.0, 2.0, 3.0], array![0.0, 0.0, 0.0]);
        assert_eq!(PlaneL2.rdistance(p.view(), q.view()), 14.0);
    }
}
