//! Packing for encoders that take a concatenation of patch sequences (NaViT-style packed vision
//! encoders): images keep their own sizes, and a pack holds as many images as its token budget
//! allows. First-fit decreasing against next-fit in input order.

use crate::error::{ErrorCode, PlanError, Reject};
use crate::options::{OptionMap, OptionReader};
use crate::samples::{Checked, Samples};
use crate::sizing::{fit_size, SizeMode, Sizing, SIZING_OPTIONS};
use crate::tokens::{check_multiple_of_patch, TokenBudget};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackAlgorithm {
    /// Largest images first, each into the first pack with room.
    FirstFitDecreasing,
    /// Input order, a new pack whenever the next image does not fit.
    NextFit,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PackOptions {
    pub budget: TokenBudget,
    pub sizing: Sizing,
    pub algorithm: PackAlgorithm,
    pub skip_invalid: bool,
}

const PACK_OPTIONS: &[&str] = &["maxTokens", "patchSize", "algorithm", "skipInvalid"];

impl PackOptions {
    pub fn parse(entries: &OptionMap) -> Result<Self, PlanError> {
        // Packing sizes each image on its own: the median of one image is the image.
        let sizing_names: Vec<&str> = SIZING_OPTIONS.iter().copied().filter(|&n| n != "sizing").collect();
        let options = OptionReader::new(entries, &[PACK_OPTIONS, &sizing_names], "of packing")?;
        let budget = TokenBudget::read(&options, true)?.ok_or_else(|| PlanError::option("patchSize", "is required"))?;
        let sizing = Sizing::read(&options, SizeMode::Median, budget.patch_size)?;
        check_multiple_of_patch(sizing.multiple_of, Some(budget.patch_size))?;
        let algorithm = options
            .choice(
                "algorithm",
                &[
                    ("first-fit-decreasing", PackAlgorithm::FirstFitDecreasing),
                    ("next-fit", PackAlgorithm::NextFit),
                ],
            )?
            .unwrap_or(PackAlgorithm::FirstFitDecreasing);
        Ok(PackOptions {
            budget,
            sizing,
            algorithm,
            skip_invalid: options.boolean("skipInvalid")?.unwrap_or(false),
        })
    }
}

/// Packs in flat arrays: pack `p` holds the input indices `order[offsets[p]..offsets[p + 1]]`;
/// `sizes[j]` and `tokens[j]` belong to the image `order[j]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Packing {
    pub order: Vec<u32>,
    pub offsets: Vec<u32>,
    pub sizes: Vec<(u32, u32)>,
    pub tokens: Vec<u64>,
    pub rejects: Vec<Reject>,
}

impl Packing {
    /// Share of the packs' token budget left empty.
    pub fn padding(&self, max_tokens: u64) -> f64 {
        let packs = self.offsets.len().saturating_sub(1);
        if packs == 0 {
            return 0.0;
        }
        1.0 - self.tokens.iter().sum::<u64>() as f64 / (packs as f64 * max_tokens as f64)
    }
}

pub fn pack(options: &PackOptions, samples: Samples<'_>) -> Result<Packing, PlanError> {
    let Checked {
        shapes,
        indices,
        mut rejects,
    } = samples.check()?;
    let budget = &options.budget;
    // Each image at its own size: native, bounded, rounded to whole patches.
    let mut items: Vec<(u32, (u32, u32), u64)> = Vec::with_capacity(shapes.len());
    for (shape, &index) in shapes.iter().zip(&indices) {
        let size = fit_size(shape.height, shape.width, &options.sizing);
        let tokens = budget.tokens(size);
        if tokens > budget.max_tokens {
            rejects.push(Reject {
                index: index as usize,
                code: ErrorCode::OverTokenBudget,
                message: format!(
                    "needs {tokens} tokens at {}x{}, above maxTokens {}; lower maxPixels",
                    size.0, size.1, budget.max_tokens
                ),
            });
        } else {
            items.push((index, size, tokens));
        }
    }
    rejects.sort_by_key(|r| r.index);
    if !options.skip_invalid {
        if let Some(first) = rejects.first() {
            return Err(PlanError::Sample(first.clone()));
        }
    }

    let mut packs: Vec<(u64, Vec<usize>)> = Vec::new(); // (tokens used, item positions)
    match options.algorithm {
        PackAlgorithm::NextFit => {
            for (j, item) in items.iter().enumerate() {
                match packs.last_mut() {
                    Some((used, members)) if *used + item.2 <= budget.max_tokens => {
                        *used += item.2;
                        members.push(j);
                    }
                    _ => packs.push((item.2, vec![j])),
                }
            }
        }
        PackAlgorithm::FirstFitDecreasing => {
            let mut by_size: Vec<usize> = (0..items.len()).collect();
            by_size.sort_by(|&a, &b| {
                items[b]
                    .2
                    .cmp(&items[a].2)
                    .then(items[a].0.cmp(&items[b].0))
            });
            for j in by_size {
                match packs
                    .iter_mut()
                    .find(|(used, _)| *used + items[j].2 <= budget.max_tokens)
                {
                    Some((used, members)) => {
                        *used += items[j].2;
                        members.push(j);
                    }
                    None => packs.push((items[j].2, vec![j])),
                }
            }
        }
    }

    let mut out = Packing {
        offsets: vec![0],
        rejects,
        ..Packing::default()
    };
    for (_, members) in packs {
        for j in members {
            let (index, size, tokens) = items[j];
            out.order.push(index);
            out.sizes.push(size);
            out.tokens.push(tokens);
        }
        out.offsets.push(out.order.len() as u32);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::OptionValue;
    use crate::synthetic::seed_benchmark_sizes;

    fn options(algorithm: &str) -> PackOptions {
        let mut m = OptionMap::new();
        m.insert("maxTokens".into(), OptionValue::Number(8192.0));
        m.insert("patchSize".into(), OptionValue::Number(14.0));
        m.insert("algorithm".into(), OptionValue::Text(algorithm.into()));
        PackOptions::parse(&m).unwrap()
    }

    #[test]
    fn every_image_once_within_budget_and_ffd_pads_less() {
        let sizes = seed_benchmark_sizes(1000, 2);
        let widths: Vec<f64> = sizes.iter().map(|s| f64::from(s.1)).collect();
        let heights: Vec<f64> = sizes.iter().map(|s| f64::from(s.0)).collect();
        let mut padding = Vec::new();
        for algorithm in ["first-fit-decreasing", "next-fit"] {
            let o = options(algorithm);
            let p = pack(&o, Samples::new(&widths, &heights)).unwrap();
            let mut seen = p.order.clone();
            seen.sort_unstable();
            assert_eq!(seen, (0..1000).collect::<Vec<u32>>());
            for w in p.offsets.windows(2) {
                let used: u64 = p.tokens[w[0] as usize..w[1] as usize].iter().sum();
                assert!(used <= 8192);
            }
            for (j, &i) in p.order.iter().enumerate() {
                assert_eq!(
                    p.tokens[j],
                    u64::from(p.sizes[j].0 / 14) * u64::from(p.sizes[j].1 / 14)
                );
                let (h, w) = p.sizes[j];
                assert!(
                    (f64::from(h) - heights[i as usize]).abs() <= 7.0
                        && (f64::from(w) - widths[i as usize]).abs() <= 7.0
                );
            }
            padding.push(p.padding(8192));
        }
        assert!(
            padding[0] < padding[1],
            "ffd {} vs next-fit {}",
            padding[0],
            padding[1]
        );
    }

    #[test]
    fn an_image_above_the_budget_is_an_error_or_a_reject() {
        let o = options("next-fit");
        let err = pack(&o, Samples::new(&[224.0, 5000.0], &[224.0, 5000.0])).unwrap_err();
        assert_eq!(
            (err.code(), err.index()),
            (ErrorCode::OverTokenBudget, Some(1))
        );
        let skipping = PackOptions {
            skip_invalid: true,
            ..o
        };
        let p = pack(&skipping, Samples::new(&[224.0, 5000.0], &[224.0, 5000.0])).unwrap();
        assert_eq!((p.order, p.rejects.len()), (vec![0], 1));
    }
}
