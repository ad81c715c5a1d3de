//! At a low `minFill`, k-means plans join Balanced's candidates: many partial batches are what
//! k-means does well.

use super::candidates::Candidates;
use super::Input;
use crate::strategies::clustered::{kmeans_batches, ClusterOptions, DEFAULT_MAX_ITERATIONS};

/// At a `minFill` this low, k-means plans (`k` = these multiples of the fewest batches) join the
/// candidates, each where its own fill reaches `minFill`. Many partial batches are what k-means
/// does well: on repeated-size photo sets it beats the bisection below a fill of about 0.65.
/// (Whether a plan is a candidate depends only on its fill, so `minFill` stays monotone.)
const CLUSTER_CANDIDATES_BELOW: f64 = 0.85;
const CLUSTER_FACTORS: [f64; 7] = [1.0, 1.05, 1.1, 1.2, 1.35, 1.5, 2.0];

/// Offers the k-means plans whose fill reaches `min_fill`, at a `min_fill` this low.
pub(super) fn offer_kmeans_plans(input: &Input<'_>, min_fill: f64, candidates: &mut Candidates) {
    if min_fill > CLUSTER_CANDIDATES_BELOW {
        return;
    }
    let n = input.shapes.len();
    for factor in CLUSTER_FACTORS {
        let k = ((input.fewest_batches() as f64 * factor).round() as usize).max(1);
        let cluster_options = ClusterOptions {
            num_clusters: Some(k),
            seed: 0,
            max_iterations: DEFAULT_MAX_ITERATIONS,
        };
        let Ok((plan, known)) = kmeans_batches(
            input.shapes,
            input.batch_size,
            &cluster_options,
            input.sizing,
        ) else {
            continue;
        };
        if (n as f64) < min_fill * (plan.groups.len() * input.batch_size) as f64 - 1e-9 {
            continue; // below minFill
        }
        let score = candidates.scored(input, &plan.groups, known);
        candidates.offer(score, plan);
    }
}
