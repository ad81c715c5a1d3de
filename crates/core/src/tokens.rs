//! Token budgets: cutting an ordered group into batches that each fit `maxTokens` at their own
//! `resizeSize`, and the batch size a budget implies for strategies that plan by count.

use crate::error::PlanError;
use crate::options::{OptionReader, MAX_SAFE_INTEGER};
use crate::shape::Shape;
use crate::sizing::Sizing;

/// A token budget per batch, as packed vision encoders are fed: a batch of `count` images at
/// `(H, W)` costs `count * (H / patch_size) * (W / patch_size)` tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TokenBudget {
    pub max_tokens: u64,
    pub patch_size: u32,
}

impl TokenBudget {
    /// Tokens one image costs at `(height, width)` (sides are multiples of the patch size).
    pub fn tokens(&self, (height, width): (u32, u32)) -> u64 {
        u64::from(height / self.patch_size) * u64::from(width / self.patch_size)
    }

    /// `maxTokens` with `patchSize`: `None` when neither is given. `required` makes both required.
    pub fn read(options: &OptionReader, required: bool) -> Result<Option<TokenBudget>, PlanError> {
        let patch_size = options.multiple("patchSize")?.map(f64::from);
        let max_tokens = options.integer("maxTokens", 1.0, MAX_SAFE_INTEGER)?;
        if required && patch_size.is_none() {
            return Err(PlanError::option("patchSize", "is required"));
        }
        match (max_tokens, patch_size) {
            (Some(max_tokens), Some(patch_size)) => Ok(Some(TokenBudget {
                max_tokens: max_tokens as u64,
                patch_size: patch_size as u32,
            })),
            (Some(_), None) => Err(PlanError::option(
                "maxTokens",
                "needs `patchSize` to count tokens",
            )),
            (None, _) if required => Err(PlanError::option("maxTokens", "is required")),
            (None, _) => Ok(None),
        }
    }
}

/// `patchSize` alone (sides default to whole patches even without a budget).
pub fn read_patch_size(options: &OptionReader) -> Result<Option<u32>, PlanError> {
    Ok(options.multiple("patchSize")?)
}

/// Refuses a `multipleOf` that is not whole patches.
pub fn check_multiple_of_patch(multiple_of: u32, patch: Option<u32>) -> Result<(), PlanError> {
    match patch {
        Some(patch) if multiple_of % patch != 0 => Err(PlanError::option(
            "multipleOf",
            format!("is {multiple_of}; with `patchSize` {patch} it must be a multiple of it"),
        )),
        _ => Ok(()),
    }
}
use crate::sizing::{fit_size, median, resize_size, SizingScratch};

/// Cuts ordered groups (neighbours alike) into consecutive batches, each as long as its size's
/// token cost allows: `len * tokens(resize_size(batch)) <= maxTokens`, and at most `cap` long.
/// A sample whose own size alone costs more than the budget goes to `over`, not to a batch.
pub struct TokenCutter<'a> {
    pub shapes: &'a [Shape],
    pub budget: &'a TokenBudget,
    pub cap: usize,
    pub sizing: &'a Sizing,
    pub scratch: SizingScratch,
    pub batches: Vec<Vec<u32>>,
    pub over: Vec<u32>,
}

impl TokenCutter<'_> {
    pub fn cut(&mut self, group: &[u32]) {
        let (shapes, budget, sizing) = (self.shapes, self.budget, self.sizing);
        let mut current: Vec<u32> = Vec::new();
        for &i in group {
            if budget.tokens(resize_size(shapes, &[i], sizing, &mut self.scratch))
                > budget.max_tokens
            {
                self.over.push(i);
                continue;
            }
            current.push(i);
            let fits = current.len() <= self.cap
                && current.len() as u64
                    * budget.tokens(resize_size(shapes, &current, sizing, &mut self.scratch))
                    <= budget.max_tokens;
            if !fits {
                current.pop();
                self.batches.push(std::mem::replace(&mut current, vec![i]));
            }
        }
        if !current.is_empty() {
            self.batches.push(current);
        }
    }
}

/// How many images of the buffer's typical size fit the budget: the batch size that strategies
/// which plan by count (Clustered's k, Balanced's cells) aim at when only a budget is given.
pub fn typical_batch_size(shapes: &[Shape], budget: &TokenBudget, sizing: &Sizing) -> usize {
    if shapes.is_empty() {
        return 1;
    }
    let keys = &mut Vec::with_capacity(shapes.len());
    let la = median(shapes.iter().map(|s| s.ln_aspect), keys);
    let lp = median(shapes.iter().map(|s| s.ln_area), keys);
    let typical = fit_size(
        crate::math::exp((lp - la) / 2.0),
        crate::math::exp((lp + la) / 2.0),
        sizing,
    );
    (budget.max_tokens / budget.tokens(typical).max(1)).max(1) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cutter<'a>(
        shapes: &'a [Shape],
        budget: &'a TokenBudget,
        sizing: &'a Sizing,
    ) -> TokenCutter<'a> {
        TokenCutter {
            shapes,
            budget,
            cap: usize::MAX,
            sizing,
            scratch: SizingScratch::default(),
            batches: Vec::new(),
            over: Vec::new(),
        }
    }

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
        let group: Vec<u32> = (0..40).collect();
        let mut cutter = cutter(&shapes, &budget, &sizing);
        cutter.cut(&group);
        assert!(cutter.over.is_empty());
        assert_eq!(cutter.batches.concat(), group);
        for b in &cutter.batches {
            let size = resize_size(&shapes, b, &sizing, &mut SizingScratch::default());
            assert!(b.len() as u64 * budget.tokens(size) <= 2048);
        }
        // 224 x 224 is 256 tokens: the first batch takes the narrow images, about 2048 / 300.
        assert!(cutter.batches[0].len() >= 5);
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
        let mut cutter = cutter(&shapes, &budget, &sizing);
        cutter.cut(&[0, 1]);
        assert_eq!((cutter.batches, cutter.over), (vec![vec![0]], vec![1]));
    }
}
