//! Token budgets: cutting an ordered group into batches that each fit `maxTokens` at their own
//! `resizeSize`, and the batch size a budget implies for strategies that plan by count.

use crate::features::Shape;
use crate::options::{Sizing, TokenBudget};
use crate::sizing::{fit_size, median, resize_size, SizingScratch};

/// Cuts `group` (already ordered so that neighbours are alike) into consecutive batches, each as
/// long as its size's token cost allows: `len * tokens(resize_size(batch)) <= maxTokens`, and at
/// most `cap` long. A sample whose own size alone costs more than the budget comes back in
/// `over`, not in a batch.
pub fn cut_by_tokens(
    shapes: &[Shape],
    group: &[u32],
    budget: &TokenBudget,
    cap: usize,
    sizing: &Sizing,
    scratch: &mut SizingScratch,
    batches: &mut Vec<Vec<u32>>,
    over: &mut Vec<u32>,
) {
    let mut current: Vec<u32> = Vec::new();
    for &i in group {
        if budget.tokens(resize_size(shapes, &[i], sizing, scratch)) > budget.max_tokens {
            over.push(i);
            continue;
        }
        current.push(i);
        let fits = current.len() <= cap
            && current.len() as u64 * budget.tokens(resize_size(shapes, &current, sizing, scratch))
                <= budget.max_tokens;
        if !fits {
            current.pop();
            batches.push(std::mem::replace(&mut current, vec![i]));
        }
    }
    if !current.is_empty() {
        batches.push(current);
    }
}

/// How many images of the buffer's typical size fit the budget: the batch size that strategies
/// which plan by count (Clustered's k, Balanced's cells) aim at when only a budget is given.
pub fn typical_batch_size(shapes: &[Shape], budget: &TokenBudget, sizing: &Sizing) -> usize {
    if shapes.is_empty() {
        return 1;
    }
    let mut la: Vec<f64> = shapes.iter().map(|s| s.ln_aspect).collect();
    let mut lp: Vec<f64> = shapes.iter().map(|s| s.ln_area).collect();
    let (la, lp) = (median(&mut la), median(&mut lp));
    let typical = fit_size(((lp - la) / 2.0).exp(), ((lp + la) / 2.0).exp(), sizing);
    (budget.max_tokens / budget.tokens(typical).max(1)).max(1) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_fit_the_budget() {
        let shapes: Vec<Shape> = (0..40)
            .map(|i| Shape::new(i, 224.0 + 14.0 * i as f64, 224.0).unwrap())
            .collect();
        let budget = TokenBudget {
            max_tokens: 2048,
            patch_size: 14,
        };
        let sizing = Sizing {
            multiple_of: 14,
            ..Sizing::default()
        };
        let (mut batches, mut over) = (Vec::new(), Vec::new());
        let group: Vec<u32> = (0..40).collect();
        cut_by_tokens(
            &shapes,
            &group,
            &budget,
            usize::MAX,
            &sizing,
            &mut SizingScratch::default(),
            &mut batches,
            &mut over,
        );
        assert!(over.is_empty());
        assert_eq!(batches.concat(), group);
        for b in &batches {
            let size = resize_size(&shapes, b, &sizing, &mut SizingScratch::default());
            assert!(b.len() as u64 * budget.tokens(size) <= 2048);
        }
        // 224 x 224 is 256 tokens: the first batch takes the narrow images, about 2048 / 300.
        assert!(batches[0].len() >= 5);
    }

    #[test]
    fn a_sample_larger_than_the_budget_is_set_apart() {
        let shapes = vec![
            Shape::new(0, 224.0, 224.0).unwrap(),
            Shape::new(1, 4000.0, 4000.0).unwrap(),
        ];
        let budget = TokenBudget {
            max_tokens: 1024,
            patch_size: 14,
        };
        let sizing = Sizing {
            multiple_of: 14,
            ..Sizing::default()
        };
        let (mut batches, mut over) = (Vec::new(), Vec::new());
        cut_by_tokens(
            &shapes,
            &[0, 1],
            &budget,
            usize::MAX,
            &sizing,
            &mut SizingScratch::default(),
            &mut batches,
            &mut over,
        );
        assert_eq!((batches, over), (vec![vec![0]], vec![1]));
    }
}
