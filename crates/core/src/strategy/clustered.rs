use linfa::traits::{Fit, Predict};
use linfa::DatasetBase;
use linfa_clustering::{KMeans, KMeansInit};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256Plus;

use super::refine::{exact_groups, refine};
use super::sort_by_shape;
use crate::error::PlanError;
use crate::shape::Shape;
use crate::options::{OptionReader, MAX_COUNT, MAX_SAFE_INTEGER};

pub(super) const OPTIONS: &[&str] = &["numClusters", "seed", "maxIterations"];

/// Defaults are documented in the README's options table.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterOptions {
    /// `None`: `ceil(n / batchSize)` (after full batches of one exact size are set apart).
    pub num_clusters: Option<usize>,
    pub seed: u64,
    pub max_iterations: u64,
}

pub const DEFAULT_MAX_ITERATIONS: u64 = 3;

impl ClusterOptions {
    pub(super) fn read(options: &OptionReader) -> Result<Self, PlanError> {
        Ok(ClusterOptions {
            num_clusters: options
                .integer("numClusters", 1.0, MAX_COUNT)?
                .map(|k| k as usize),
            seed: options.integer("seed", 0.0, MAX_SAFE_INTEGER)?.unwrap_or(0.0) as u64,
            max_iterations: options
                .integer("maxIterations", 1.0, 10_000.0)?
                .map_or(DEFAULT_MAX_ITERATIONS, |n| n as u64),
        })
    }
}

const TOLERANCE: f64 = 1e-4;

/// Most samples k-means sees at once. k-means with `k = n / batchSize` costs `n * k` per
/// iteration, quadratic in the buffer: larger buffers are first cut into cells of whole batches
/// (recursive median splits of the wider coordinate), and each cell runs its own k-means.
const CELL: usize = 1024;

/// Passes of the local refinement (moves into spare slots, swaps) after cutting clusters.
const REFINE_PASSES: usize = 2;

/// k-means (linfa, seeded) on standardised (ln aspect, ln area), after full batches of one exact
/// size are set apart. `k = ceil(n / batchSize)` by default; each cluster is sorted by shape and
/// cut into batches, then neighbouring batches trade samples where that lowers `(ln r)^3`
/// (lengths may change, the number of batches never grows). Batches come ordered by shape.
pub fn cluster_groups(
    shapes: &[Shape],
    batch_size: usize,
    options: &ClusterOptions,
) -> Result<Vec<Vec<u32>>, PlanError> {
    let n = shapes.len();
    if n == 0 {
        return Ok(Vec::new());
    }
    let (mut batches, rest, exact_sizes) = exact_groups(shapes, batch_size);
    if !rest.is_empty() {
        // k counts clusters over the whole buffer; each exact size set apart is one of them.
        let k = options.num_clusters.unwrap_or(n.div_ceil(batch_size));
        // (Measured: giving the rest only ceil(rest / batchSize) clusters cost COCO 3-4% p95.)
        let wanted = k.saturating_sub(exact_sizes).max(1);
        let records = standardised_features(shapes, &rest);
        let cell_cap = (CELL / batch_size).max(1) * batch_size;
        let mut cells = Vec::new();
        let mut positions: Vec<u32> = (0..rest.len() as u32).collect();
        partition(&records, &mut positions, cell_cap, batch_size, &mut cells);
        let mut rng = Xoshiro256Plus::seed_from_u64(options.seed);
        let mut leaves = Vec::new();
        for cell in cells {
            let k = ((wanted as f64 * cell.len() as f64 / rest.len() as f64).round() as usize)
                .max(1);
            for group in kmeans_cell(shapes, &rest, &records, &cell, k, options, &mut rng)? {
                leaves.extend(group.chunks(batch_size).map(<[u32]>::to_vec));
            }
        }
        let points: Vec<[f64; 2]> = shapes.iter().map(|s| [s.ln_aspect, s.ln_area]).collect();
        refine(&points, &mut leaves, batch_size, REFINE_PASSES);
        batches.extend(leaves);
    }
    let mut keyed: Vec<(usize, Vec<u32>)> = batches.into_iter().enumerate().collect();
    for (_, b) in &mut keyed {
        sort_by_shape(b, shapes);
    }
    keyed.sort_by(|(ia, a), (ib, b)| {
        let (sa, sb) = (&shapes[a[0] as usize], &shapes[b[0] as usize]);
        sa.ln_aspect
            .total_cmp(&sb.ln_aspect)
            .then(sa.ln_area.total_cmp(&sb.ln_area))
            .then(ia.cmp(ib))
    });
    Ok(keyed.into_iter().map(|(_, b)| b).collect())
}

/// Splits `positions` (rows of `records`) into cells of at most `cap` rows, each a whole number
/// of batches but the last: at the middle batch boundary of the coordinate that spans more.
fn partition(
    records: &Array2<f64>,
    positions: &mut [u32],
    cap: usize,
    batch_size: usize,
    out: &mut Vec<Vec<u32>>,
) {
    if positions.len() <= cap {
        out.push(positions.to_vec());
        return;
    }
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
    let batches = positions.len().div_ceil(batch_size);
    let cut = batches / 2 * batch_size;
    positions.select_nth_unstable_by(cut, |&a, &b| {
        records[[a as usize, axis]]
            .total_cmp(&records[[b as usize, axis]])
            .then(a.cmp(&b))
    });
    let (left, right) = positions.split_at_mut(cut);
    partition(records, left, cap, batch_size, out);
    partition(records, right, cap, batch_size, out);
}

/// k-means on one cell (`cell` holds rows of `records`; `rest[row]` is the sample). Returns the
/// clusters as sample positions, each sorted by shape.
fn kmeans_cell(
    shapes: &[Shape],
    rest: &[u32],
    records: &Array2<f64>,
    cell: &[u32],
    wanted: usize,
    options: &ClusterOptions,
    rng: &mut Xoshiro256Plus,
) -> Result<Vec<Vec<u32>>, PlanError> {
    let mut members: Vec<u32> = cell.iter().map(|&row| rest[row as usize]).collect();
    // More centres than distinct points leaves k-means nothing to pick from.
    let k = wanted.min(distinct_shapes(shapes, &members));
    if k <= 1 {
        sort_by_shape(&mut members, shapes);
        return Ok(vec![members]);
    }
    let data = Array2::from_shape_fn((cell.len(), 2), |(i, j)| records[[cell[i] as usize, j]]);
    let start = stratified_centres(&data, k, rng);
    let model = KMeans::params_with_rng(k, Xoshiro256Plus::seed_from_u64(rng.gen()))
        .init_method(KMeansInit::Precomputed(start))
        .n_runs(1)
        .max_n_iterations(options.max_iterations)
        .tolerance(TOLERANCE)
        .fit(&DatasetBase::from(data.clone()))
        .map_err(|e| PlanError::Input {
            message: format!("k-means failed: {e}"),
        })?;
    let labels = model.predict(&data);
    let mut groups: Vec<Vec<u32>> = vec![Vec::new(); k];
    for (i, &label) in labels.iter().enumerate() {
        groups[label].push(members[i]);
    }
    groups.retain(|g| !g.is_empty());
    for g in &mut groups {
        sort_by_shape(g, shapes);
    }
    Ok(groups)
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

fn distinct_shapes(shapes: &[Shape], members: &[u32]) -> usize {
    let mut sides: Vec<(u64, u64)> = members
        .iter()
        .map(|&i| (shapes[i as usize].width as u64, shapes[i as usize].height as u64))
        .collect();
    sides.sort_unstable();
    sides.dedup();
    sides.len()
}

/// Starting centres in O(n log n): cut the feature plane into `k` cells holding equal numbers of
/// samples (strips of ln aspect, each cut by ln area) and start one centre at a seeded random
/// member of each cell. linfa's k-means++ start costs O(n k^2) (it recomputes every distance
/// for each new centre), which dominated planning time; this start also leaves Lloyd's
/// iterations less to do, as centres begin where the samples are dense.
fn stratified_centres(records: &Array2<f64>, k: usize, rng: &mut impl Rng) -> Array2<f64> {
    let n = records.nrows();
    let strips = ((k as f64).sqrt().round() as usize).clamp(1, k);
    let mut by_aspect: Vec<usize> = (0..n).collect();
    by_aspect
        .sort_unstable_by(|&a, &b| records[[a, 0]].total_cmp(&records[[b, 0]]).then(a.cmp(&b)));
    let mut centres = Array2::zeros((k, 2));
    let mut centre = 0;
    for s in 0..strips {
        let strip = &mut by_aspect[s * n / strips..(s + 1) * n / strips];
        strip
            .sort_unstable_by(|&a, &b| records[[a, 1]].total_cmp(&records[[b, 1]]).then(a.cmp(&b)));
        let cells = k / strips + usize::from(s < k % strips);
        for c in 0..cells {
            let cell = &strip[c * strip.len() / cells..(c + 1) * strip.len() / cells];
            // n >= k, but a strip may hold fewer samples than cells: reuse its nearest sample.
            let pick = if cell.is_empty() {
                strip[(c * strip.len() / cells).min(strip.len() - 1)]
            } else {
                cell[rng.gen_range(0..cell.len())]
            };
            centres.row_mut(centre).assign(&records.row(pick));
            centre += 1;
        }
    }
    centres
}
