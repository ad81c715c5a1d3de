//! `maxShapes`: compiled models (torch.compile, TensorRT, ONNX graphs, WebGPU pipelines) pay for
//! every new input shape, so a plan may be limited to a few `resizeSize` values, chosen from the
//! data. Images move to the shape that suits them, then are batched per shape.

use crate::shape::Shape;
use crate::sizing::Sizing;
use crate::sizing::{resize_size, SizingScratch};
use crate::tokens::TokenBudget;

const MAX_ROUNDS: usize = 20;

/// Summed `ln r` of `members` at `(height, width)`.
pub fn batch_waste(shapes: &[Shape], members: &[u32], (height, width): (u32, u32)) -> f64 {
    let (h, w) = (
        crate::math::ln(f64::from(height)),
        crate::math::ln(f64::from(width)),
    );
    let (la, lp) = (w - h, w + h);
    members
        .iter()
        .map(|&i| {
            let s = &shapes[i as usize];
            (s.ln_aspect - la).abs() + (s.ln_area - lp).abs()
        })
        .sum()
}

/// Limits a plan to at most `max_shapes` distinct sizes. Returns the new batches and sizes.
///
/// Shapes are chosen like k-medians over images: start from the buffer's own size and add the
/// size of the batch the chosen shapes serve worst; then alternate (a) each image takes the shape
/// with the least `ln r` for it, (b) each shape becomes the size (by the sizing rule) of its
/// images. Finally every shape's images, in the strategy's order, are cut into batches of at most
/// `cap` images (and, with a budget, as many as fit it at that shape), so at most `max_shapes`
/// batches are partial.
pub fn limit_shapes(
    shapes: &[Shape],
    batches: Vec<Vec<u32>>,
    sizes: Vec<(u32, u32)>,
    max_shapes: usize,
    cap: usize,
    sizing: &Sizing,
    budget: Option<&TokenBudget>,
) -> (Vec<Vec<u32>>, Vec<(u32, u32)>) {
    let mut distinct: Vec<(u32, u32)> = sizes.clone();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() <= max_shapes {
        return (batches, sizes);
    }
    let allowed = |size: (u32, u32)| budget.is_none_or(|b| b.tokens(size) <= b.max_tokens);
    let nearest = |members: &[u32], centres: &[(u32, u32)]| {
        centres
            .iter()
            .enumerate()
            .filter(|&(_, &c)| allowed(c))
            .map(|(k, &c)| (batch_waste(shapes, members, c), k))
            .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
    };
    let mut scratch = SizingScratch::default();
    let order: Vec<u32> = batches.concat();
    let mut centres = vec![resize_size(shapes, &order, sizing, &mut scratch)];
    while centres.len() < max_shapes {
        // The batch the current shapes serve worst lends its own size.
        let worst = (0..batches.len())
            .filter(|&b| !centres.contains(&sizes[b]) && allowed(sizes[b]))
            .map(|b| {
                (
                    nearest(&batches[b], &centres).map_or(f64::INFINITY, |(w, _)| w),
                    b,
                )
            })
            .max_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)));
        match worst {
            Some((_, b)) => centres.push(sizes[b]),
            None => break,
        }
    }

    // Per image: its shape (None only if no shape is within the budget for it alone).
    let mut assignment: Vec<Option<usize>> = vec![None; order.len()];
    for _ in 0..MAX_ROUNDS {
        let next: Vec<Option<usize>> = order
            .iter()
            .map(|&i| nearest(&[i], &centres).map(|(_, k)| k))
            .collect();
        if next == assignment {
            break;
        }
        assignment = next;
        for (k, centre) in centres.iter_mut().enumerate() {
            let members: Vec<u32> = order
                .iter()
                .zip(&assignment)
                .filter(|(_, a)| **a == Some(k))
                .map(|(&i, _)| i)
                .collect();
            if !members.is_empty() {
                let size = resize_size(shapes, &members, sizing, &mut scratch);
                if allowed(size) {
                    *centre = size;
                }
            }
        }
    }

    // Shapes may have moved in the last round: each image takes its best of the final ones.
    assignment = order
        .iter()
        .map(|&i| nearest(&[i], &centres).map(|(_, k)| k))
        .collect();
    let mut pools: Vec<Vec<u32>> = vec![Vec::new(); centres.len()];
    let mut kept: Vec<(Vec<u32>, (u32, u32))> = Vec::new();
    let mut position = 0;
    for (b, batch) in batches.iter().enumerate() {
        let mut own = Vec::new();
        for &i in batch {
            match assignment[position] {
                Some(k) => pools[k].push(i),
                None => own.push(i),
            }
            position += 1;
        }
        // Images no shape serves within the budget keep their batch's own size.
        if !own.is_empty() {
            kept.push((own, sizes[b]));
        }
    }
    let mut out_batches = Vec::with_capacity(batches.len() + max_shapes);
    let mut out_sizes = Vec::with_capacity(batches.len() + max_shapes);
    for (pool, &size) in pools.iter().zip(&centres) {
        let fit = budget.map_or(cap, |b| {
            ((b.max_tokens / b.tokens(size).max(1)) as usize).clamp(1, cap)
        });
        for part in pool.chunks(fit) {
            out_batches.push(part.to_vec());
            out_sizes.push(size);
        }
    }
    for (batch, size) in kept {
        out_batches.push(batch);
        out_sizes.push(size);
    }
    (out_batches, out_sizes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sizing::resize_sizes;
    use crate::synthetic::seed_benchmark_sizes;

    #[test]
    fn limits_distinct_sizes_keeps_every_image_and_gives_each_its_best_shape() {
        let shapes: Vec<Shape> = seed_benchmark_sizes(640, 1)
            .iter()
            .enumerate()
            .map(|(i, &(h, w))| Shape::new(i, f64::from(w), f64::from(h)).unwrap())
            .collect();
        let batches: Vec<Vec<u32>> = (0..20).map(|b| (b * 32..(b + 1) * 32).collect()).collect();
        let sizing = Sizing::default();
        let own = resize_sizes(&shapes, &batches, &sizing);
        for max in [1, 3, 8] {
            let (new_batches, sizes) = limit_shapes(
                &shapes,
                batches.clone(),
                own.clone(),
                max,
                32,
                &sizing,
                None,
            );
            let mut distinct = sizes.clone();
            distinct.sort_unstable();
            distinct.dedup();
            assert!(distinct.len() <= max);
            let mut all = new_batches.concat();
            all.sort_unstable();
            assert_eq!(all, (0..640).collect::<Vec<u32>>());
            assert!(new_batches.iter().all(|b| !b.is_empty() && b.len() <= 32));
            assert!(new_batches.iter().filter(|b| b.len() < 32).count() <= max);
            // Each image sits at the shape that wastes least on it, of those in the plan.
            for (batch, &size) in new_batches.iter().zip(&sizes) {
                for &i in batch {
                    let mine = batch_waste(&shapes, &[i], size);
                    assert!(distinct
                        .iter()
                        .all(|&other| mine <= batch_waste(&shapes, &[i], other) + 1e-9));
                }
            }
        }
        let (same, sizes) = limit_shapes(
            &shapes,
            batches.clone(),
            own.clone(),
            100,
            32,
            &sizing,
            None,
        );
        assert_eq!(
            (same, sizes),
            (batches, own),
            "under the cap, nothing changes"
        );
    }
}
