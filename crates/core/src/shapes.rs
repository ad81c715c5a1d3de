//! `maxShapes`: compiled models (torch.compile, TensorRT, ONNX graphs, WebGPU pipelines) pay for
//! every new input shape, so a plan may be limited to a few `resizeSize` values, chosen from the
//! data. Batches keep their members; only their sizes are shared.
//!
//! Shapes are picked like k-medians over batches: start from the buffer's own size and add the
//! size of the batch that the chosen shapes serve worst, then alternate (a) each batch takes the
//! shape with the least summed `ln r` over its images, (b) each shape becomes the size (by the
//! sizing rule) of all images of its batches.

use crate::features::Shape;
use crate::options::{Sizing, TokenBudget};
use crate::sizing::{resize_size, SizingScratch};

const MAX_ROUNDS: usize = 20;

/// Summed `ln r` of `members` at `(height, width)`.
pub fn batch_waste(shapes: &[Shape], members: &[u32], (height, width): (u32, u32)) -> f64 {
    let (h, w) = (f64::from(height).ln(), f64::from(width).ln());
    let (la, lp) = (w - h, w + h);
    members
        .iter()
        .map(|&i| {
            let s = &shapes[i as usize];
            (s.ln_aspect - la).abs() + (s.ln_area - lp).abs()
        })
        .sum()
}

/// Rewrites `sizes` (one per batch) to use at most `max_shapes` distinct values. With a token
/// budget, a batch only takes a shape at which one of its images fits the budget; `plan` then
/// re-cuts batches whose new shape makes them too long.
pub fn limit_shapes(
    shapes: &[Shape],
    batches: &[Vec<u32>],
    sizes: &mut [(u32, u32)],
    max_shapes: usize,
    sizing: &Sizing,
    budget: Option<&TokenBudget>,
) {
    let mut distinct: Vec<(u32, u32)> = sizes.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() <= max_shapes {
        return;
    }
    let mut scratch = SizingScratch::default();
    let everyone: Vec<u32> = batches.concat();
    let mut centres = vec![resize_size(shapes, &everyone, sizing, &mut scratch)];
    let allowed = |size: (u32, u32)| budget.is_none_or(|b| b.tokens(size) <= b.max_tokens);
    let best_centre = |members: &[u32], centres: &[(u32, u32)]| {
        centres
            .iter()
            .enumerate()
            .filter(|&(_, &c)| allowed(c))
            .map(|(k, &c)| (batch_waste(shapes, members, c), k))
            .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
    };
    while centres.len() < max_shapes {
        // The batch the current shapes serve worst lends its own size.
        let worst = (0..batches.len())
            .filter(|&b| !centres.contains(&sizes[b]))
            .map(|b| {
                (
                    best_centre(&batches[b], &centres).map_or(f64::INFINITY, |(w, _)| w),
                    b,
                )
            })
            .max_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)));
        match worst {
            Some((_, b)) => centres.push(sizes[b]),
            None => break,
        }
    }

    let mut assignment: Vec<Option<usize>> = vec![None; batches.len()];
    for _ in 0..MAX_ROUNDS {
        let next: Vec<Option<usize>> = batches
            .iter()
            .map(|m| best_centre(m, &centres).map(|(_, k)| k))
            .collect();
        if next == assignment {
            break;
        }
        assignment = next;
        for (k, centre) in centres.iter_mut().enumerate() {
            let members: Vec<u32> = batches
                .iter()
                .zip(&assignment)
                .filter(|(_, a)| **a == Some(k))
                .flat_map(|(m, _)| m.iter().copied())
                .collect();
            if !members.is_empty() {
                let size = resize_size(shapes, &members, sizing, &mut scratch);
                if allowed(size) {
                    *centre = size;
                }
            }
        }
    }
    for (size, a) in sizes.iter_mut().zip(&assignment) {
        // No allowed shape (every chosen one is over budget for a single image): keep its own.
        if let Some(k) = a {
            *size = centres[*k];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::seed_benchmark_sizes;

    #[test]
    fn limits_distinct_sizes_and_keeps_the_best_fit() {
        let shapes: Vec<Shape> = seed_benchmark_sizes(640, 1)
            .iter()
            .enumerate()
            .map(|(i, &(h, w))| Shape::new(i, f64::from(w), f64::from(h)).unwrap())
            .collect();
        let batches: Vec<Vec<u32>> = (0..20).map(|b| (b * 32..(b + 1) * 32).collect()).collect();
        let sizing = Sizing::default();
        let mut scratch = SizingScratch::default();
        let own: Vec<(u32, u32)> = batches
            .iter()
            .map(|b| resize_size(&shapes, b, &sizing, &mut scratch))
            .collect();
        for max in [1, 3, 8] {
            let mut sizes = own.clone();
            limit_shapes(&shapes, &batches, &mut sizes, max, &sizing, None);
            let mut distinct = sizes.clone();
            distinct.sort_unstable();
            distinct.dedup();
            assert!(distinct.len() <= max);
            // Each batch took the best of the shapes that remain.
            for (b, &size) in sizes.iter().enumerate() {
                let mine = batch_waste(&shapes, &batches[b], size);
                assert!(distinct
                    .iter()
                    .all(|&other| mine <= batch_waste(&shapes, &batches[b], other) + 1e-9));
            }
        }
        let mut sizes = own.clone();
        limit_shapes(&shapes, &batches, &mut sizes, 100, &sizing, None);
        assert_eq!(sizes, own, "under the cap, nothing changes");
    }
}
