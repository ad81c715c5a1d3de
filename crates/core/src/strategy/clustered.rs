use linfa::traits::{Fit, Predict};
use linfa::DatasetBase;
use linfa_clustering::{KMeans, KMeansInit};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256Plus;

use super::sort_by_shape;
use crate::error::PlanError;
use crate::shape::Shape;
use crate::options::{OptionReader, MAX_COUNT, MAX_SAFE_INTEGER};

pub(super) const OPTIONS: &[&str] = &["numClusters", "seed", "maxIterations"];

/// Defaults are documented in the README's options table.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterOptions {
    /// `None`: `max(1, floor(n / batchSize))`, the seed's choice.
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

/// k-means (linfa, k-means++ start, one seeded run) on standardised (ln aspect, ln area).
/// Groups come ordered by centroid, members by shape, so batches cut from a group are as alike
/// as the group allows.
pub fn cluster_groups(
    shapes: &[Shape],
    batch_size: usize,
    options: &ClusterOptions,
) -> Result<Vec<Vec<u32>>, PlanError> {
    let n = shapes.len();
    if n == 0 {
        return Ok(Vec::new());
    }
    let wanted = options.num_clusters.unwrap_or((n / batch_size).max(1));
    // More centres than distinct points leaves k-means++ nothing to pick from.
    let k = wanted.min(distinct_shapes(shapes));
    let mut all: Vec<u32> = (0..n as u32).collect();
    if k <= 1 {
        sort_by_shape(&mut all, shapes);
        return Ok(vec![all]);
    }

    let records = standardised_features(shapes);
    let mut rng = Xoshiro256Plus::seed_from_u64(options.seed);
    let start = stratified_centres(&records, k, &mut rng);
    let model = KMeans::params_with_rng(k, rng)
        .init_method(KMeansInit::Precomputed(start))
        .n_runs(1)
        .max_n_iterations(options.max_iterations)
        .tolerance(TOLERANCE)
        .fit(&DatasetBase::from(records.clone()))
        .map_err(|e| PlanError::Input {
            message: format!("k-means failed: {e}"),
        })?;
    let labels = model.predict(&records);

    let mut groups: Vec<Vec<u32>> = vec![Vec::new(); k];
    for (i, &label) in labels.iter().enumerate() {
        groups[label].push(i as u32);
    }
    let centroids = model.centroids();
    let mut cluster_order: Vec<usize> = (0..k).filter(|&c| !groups[c].is_empty()).collect();
    cluster_order.sort_unstable_by(|&a, &b| {
        centroids[[a, 0]]
            .total_cmp(&centroids[[b, 0]])
            .then(centroids[[a, 1]].total_cmp(&centroids[[b, 1]]))
            .then(a.cmp(&b))
    });
    Ok(cluster_order
        .into_iter()
        .map(|c| {
            let mut members = std::mem::take(&mut groups[c]);
            sort_by_shape(&mut members, shapes);
            members
        })
        .collect())
}

/// Rows of (ln aspect, ln area), each column scaled to mean 0 and standard deviation 1 (a
/// constant column is only centred), so neither feature dominates the distance.
fn standardised_features(shapes: &[Shape]) -> Array2<f64> {
    let n = shapes.len() as f64;
    let column = |f: fn(&Shape) -> f64| {
        let mean = shapes.iter().map(f).sum::<f64>() / n;
        let var = shapes.iter().map(|s| (f(s) - mean).powi(2)).sum::<f64>() / n;
        let sd = if var > 0.0 { var.sqrt() } else { 1.0 };
        (mean, sd)
    };
    let (ma, sa) = column(|s| s.ln_aspect);
    let (mp, sp) = column(|s| s.ln_area);
    Array2::from_shape_fn((shapes.len(), 2), |(i, j)| {
        let s = &shapes[i];
        if j == 0 {
            (s.ln_aspect - ma) / sa
        } else {
            (s.ln_area - mp) / sp
        }
    })
}

fn distinct_shapes(shapes: &[Shape]) -> usize {
    let mut sides: Vec<(u64, u64)> = shapes
        .iter()
        .map(|s| (s.width as u64, s.height as u64))
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
