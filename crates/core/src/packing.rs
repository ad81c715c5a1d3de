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
        let sizing_names: Vec<&str> = SIZING_OPTIONS
            .iter()
            .copied()
            .filter(|&n| n != "sizing")
            .collect();
        let options = OptionReader::new(entries, &[PACK_OPTIONS, &sizing_names], "of packing")?;
        let budget = TokenBudget::read(&options, true)?
            .ok_or_else(|| PlanError::option("patchSize", "is required"))?;
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
            skip_invalid: options
                .boolean("skipInvalid")?
                .unwrap_or(crate::defaults::SKIP_INVALID),
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
            rejects.push(Reject::new(
                index as usize,
                ErrorCode::OverTokenBudget,
                format!(
                    "needs {tokens} tokens at {}x{}, above maxTokens {}; lower maxPixels",
                    size.0, size.1, budget.max_tokens
                ),
            ));
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
            // Largest first, ties in input order (items are in input order): sorting plain
            // keys, not indices into `items`, keeps a million-item sort in cache.
            let mut keyed: Vec<(u64, usize)> = items
                .iter()
                .enumerate()
                .map(|(j, item)| (u64::MAX - item.2, j))
                .collect();
            keyed.sort_unstable();
            let by_size = keyed.into_iter().map(|(_, j)| j);
            // The first pack with room, found in O(log packs) by a tree over free capacity.
            let mut free = FreeTree::new(1024);
            for j in by_size {
                let need = items[j].2;
                match free.first_with(need) {
                    Some(p) => {
                        packs[p].0 += need;
                        packs[p].1.push(j);
                        free.set(p, budget.max_tokens - packs[p].0);
                    }
                    None => {
                        free.set(packs.len(), budget.max_tokens - need);
                        packs.push((need, vec![j]));
                    }
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

/// Free tokens of each pack in a max segment tree: the leftmost pack with at least `need` free
/// tokens in O(log packs), so first-fit decreasing is O(n log n) rather than O(n * packs).
struct FreeTree {
    leaves: usize,
    max: Vec<u64>,
}

impl FreeTree {
    /// Room for `capacity` packs (more on demand), all absent (no free tokens).
    fn new(capacity: usize) -> Self {
        let leaves = capacity.max(1).next_power_of_two();
        FreeTree {
            leaves,
            max: vec![0; 2 * leaves],
        }
    }

    fn set(&mut self, pack: usize, free: u64) {
        if pack >= self.leaves {
            // Grow to the packs there are (not the items): a small tree stays in cache.
            let mut grown = FreeTree::new(2 * pack);
            grown.max[grown.leaves..grown.leaves + self.leaves]
                .copy_from_slice(&self.max[self.leaves..]);
            for node in (1..grown.leaves).rev() {
                grown.max[node] = grown.max[2 * node].max(grown.max[2 * node + 1]);
            }
            *self = grown;
        }
        let mut node = self.leaves + pack;
        self.max[node] = free;
        while node > 1 {
            node /= 2;
            self.max[node] = self.max[2 * node].max(self.max[2 * node + 1]);
        }
    }

    fn first_with(&self, need: u64) -> Option<usize> {
        if self.max[1] < need {
            return None;
        }
        let mut node = 1;
        while node < self.leaves {
            node = if self.max[2 * node] >= need {
                2 * node
            } else {
                2 * node + 1
            };
        }
        Some(node - self.leaves)
    }
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
    fn free_tree_finds_the_first_pack_with_room() {
        let mut t = FreeTree::new(2);
        assert_eq!(t.first_with(1), None);
        for (p, free) in [3, 9, 4, 9, 1].into_iter().enumerate() {
            t.set(p, free);
        }
        assert_eq!(t.first_with(4), Some(1));
        assert_eq!(t.first_with(3), Some(0));
        assert_eq!(t.first_with(10), None);
        t.set(1, 0);
        assert_eq!(t.first_with(5), Some(3));
        // Same packs as a linear first-fit scan.
        let free = [5u64, 0, 7, 2, 7];
        for (p, &f) in free.iter().enumerate() {
            t.set(p, f);
        }
        for need in 0..9 {
            assert_eq!(t.first_with(need), free.iter().position(|&f| f >= need));
        }
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
