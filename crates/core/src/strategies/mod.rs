//! The strategy registry: every strategy, its name, its own options, its default sizing and its
//! grouping function, in one table ([`StrategyKind::ALL`]). A strategy orders a buffer's valid
//! samples into groups of similar shape; `plan` then cuts every group into batches.
//!
//! Adding a strategy: its own file (or folder) here (options, parse, groups) and one entry in each
//! match of this file. The bindings list names with [`StrategyKind::ALL`]; the TypeScript package
//! checks its classes against that list in a test. The local search Clustered and Balanced share
//! is in `crate::search`.

mod balanced;
mod clustered;
mod exact_groups;
mod simple;
mod sorted;

pub use balanced::{
    balanced_groups, median_split_groups, BalancedOptions, DEFAULT_MIN_FILL, DEFAULT_REFINE_PASSES,
};
pub use clustered::{cluster_groups, ClusterOptions, DEFAULT_MAX_ITERATIONS};
pub use simple::simple_groups;
pub use sorted::{sorted_groups, SortKey};

use crate::error::PlanError;
use crate::options::{one_of, OptionReader};
use crate::shape::Shape;
use crate::sizing::{SizeMode, Sizing};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrategyKind {
    Simple,
    Sorted,
    Clustered,
    Balanced,
}

/// A strategy with its own options read.
#[derive(Debug, Clone, PartialEq)]
pub enum Strategy {
    Simple,
    Sorted { key: SortKey },
    Clustered(ClusterOptions),
    Balanced(BalancedOptions),
}

/// A strategy's groups, and each one's `resizeSize` where the strategy sized them as batches
/// already (with the `sizing` of its input), so that the plan does not size them again.
pub struct Grouped {
    pub groups: Vec<Vec<u32>>,
    pub sizes: Option<Vec<(u32, u32)>>,
}

impl Grouped {
    /// Groups the plan sizes itself.
    pub(super) fn without_sizes(groups: Vec<Vec<u32>>) -> Self {
        Grouped {
            groups,
            sizes: None,
        }
    }

    /// The groups, with their sizes if known, in `order` (indices of the current groups).
    pub(super) fn reordered(mut self, order: &[usize]) -> Self {
        debug_assert_eq!(order.len(), self.groups.len());
        Grouped {
            sizes: self
                .sizes
                .map(|sizes| order.iter().map(|&i| sizes[i]).collect()),
            groups: order
                .iter()
                .map(|&i| std::mem::take(&mut self.groups[i]))
                .collect(),
        }
    }
}

/// What grouping needs besides the strategy's own options.
pub struct GroupInput<'a> {
    pub shapes: &'a [Shape],
    /// Samples per batch that count-based strategies aim at.
    pub batch_size: usize,
    /// One key per valid sample (only the sorted strategy with a custom key).
    pub keys: &'a [f64],
    /// How batches will be sized (strategies that score candidate plans size them the same way).
    pub sizing: &'a Sizing,
}

impl StrategyKind {
    /// Every strategy, in the order the documentation lists them.
    pub const ALL: [StrategyKind; 4] = [
        StrategyKind::Simple,
        StrategyKind::Sorted,
        StrategyKind::Clustered,
        StrategyKind::Balanced,
    ];

    pub fn name(self) -> &'static str {
        match self {
            StrategyKind::Simple => "simple",
            StrategyKind::Sorted => "sorted",
            StrategyKind::Clustered => "clustered",
            StrategyKind::Balanced => "balanced",
        }
    }

    /// The strategy's own option names, beside the options every strategy takes.
    pub fn own_options(self) -> &'static [&'static str] {
        match self {
            StrategyKind::Simple => &[],
            StrategyKind::Sorted => sorted::OPTIONS,
            StrategyKind::Clustered => clustered::OPTIONS,
            StrategyKind::Balanced => balanced::OPTIONS,
        }
    }

    /// The `sizing` a plan uses when the caller gives none: the SPEC's median rule for every
    /// strategy (minimax, Balanced's earlier default, let one outlier move the size of a whole
    /// batch: a worse p95 on every real set measured; see bench/data).
    pub fn default_sizing(self) -> SizeMode {
        SizeMode::Median
    }

    pub fn parse(name: &str) -> Result<Self, PlanError> {
        StrategyKind::ALL
            .into_iter()
            .find(|k| k.name() == name)
            .ok_or_else(|| {
                let names: Vec<String> = StrategyKind::ALL
                    .iter()
                    .map(|k| format!("{:?}", k.name()))
                    .collect();
                PlanError::option(
                    "strategy",
                    format!("must be {}, got {name:?}", one_of(&names)),
                )
            })
    }

    /// Reads the strategy's own options (the reader has already refused unknown names).
    pub fn read_options(self, options: &OptionReader) -> Result<Strategy, PlanError> {
        Ok(match self {
            StrategyKind::Simple => Strategy::Simple,
            StrategyKind::Sorted => Strategy::Sorted {
                key: sorted::read_key(options)?,
            },
            StrategyKind::Clustered => Strategy::Clustered(ClusterOptions::read(options)?),
            StrategyKind::Balanced => Strategy::Balanced(BalancedOptions::read(options)?),
        })
    }
}

impl Strategy {
    /// Whether the strategy reads one caller-given key per sample.
    pub fn needs_keys(&self) -> bool {
        matches!(
            self,
            Strategy::Sorted {
                key: SortKey::Custom
            }
        )
    }

    /// Groups of positions into `input.shapes`, each ordered so that neighbours are alike.
    pub fn groups(&self, input: &GroupInput<'_>) -> Result<Grouped, PlanError> {
        Ok(match self {
            Strategy::Simple => Grouped::without_sizes(simple_groups(input.shapes.len())),
            Strategy::Sorted { key } => {
                Grouped::without_sizes(sorted_groups(input.shapes, *key, input.keys))
            }
            Strategy::Clustered(options) => {
                cluster_groups(input.shapes, input.batch_size, options, input.sizing)?
            }
            Strategy::Balanced(options) => {
                balanced_groups(input.shapes, input.batch_size, options, input.sizing)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_strategy_parses_by_its_name() {
        for kind in StrategyKind::ALL {
            assert_eq!(StrategyKind::parse(kind.name()).unwrap(), kind);
        }
        let e = StrategyKind::parse("kmeans").unwrap_err();
        assert_eq!(
            e.to_string(),
            "option `strategy` must be \"simple\", \"sorted\", \"clustered\" or \"balanced\", got \"kmeans\""
        );
    }
}
