//! Every default a user can see, in one table ([`DEFAULTS`]), exported through the registry
//! (`registry().defaults` in the TS package). The option readers take their defaults from the
//! constants here, and a test of the TS package checks every "Default ..." in the package's
//! documentation against this table, so a stale one fails. Imaging's `toTensor` defaults are the
//! imaging crate's own table (`tensor_options::TENSOR_DEFAULTS`), exported the same way.
//! Limits (the largest image, side, batch) are [`crate::Limits`] and are listed here too.

use crate::formats::Limits;
use crate::strategies::{DEFAULT_MAX_ITERATIONS, DEFAULT_MIN_FILL, DEFAULT_REFINE_PASSES};

/// `skipInvalid` of every batcher and of `TokenPacker`.
pub const SKIP_INVALID: bool = false;
/// `multipleOf` without a `patchSize` (with one, the patch size).
pub const MULTIPLE_OF: u32 = 1;
/// `shuffle`, `shuffleSeed`, `epoch`.
pub const SHUFFLE: bool = false;
pub const SHUFFLE_SEED: u64 = 0;
pub const EPOCH: u64 = 0;
/// `shuffleMembers`: with `shuffle: true`, batches of one `resizeSize` trade members every epoch.
pub const SHUFFLE_MEMBERS: bool = true;
/// ClusteredBatcher's k-means seed.
pub const KMEANS_SEED: u64 = 0;
/// `batchStream`'s `bufferSize`, `carry` and `shuffleBuffer`.
pub const BUFFER_SIZE: usize = 1024;
pub const CARRY: bool = false;
pub const SHUFFLE_BUFFER: usize = 0;
/// Ranks: `worldSize`, `rank` (`leftover` is `ranks::Leftover`'s default, `split`).
pub const WORLD_SIZE: usize = 1;
pub const RANK: usize = 0;
/// `imageSizesFromFiles`' and `imageSizesFromUrls`' `concurrency`, and the URLs' `timeoutMs`.
pub const FILE_CONCURRENCY: usize = 32;
pub const URL_CONCURRENCY: usize = 16;
pub const URL_TIMEOUT_MS: f64 = 30_000.0;
/// `maxBytes` of both readers: the most bytes read from one file or URL for its header (the
/// ladder's last rung, "the whole file", stops here). 8 MiB holds any real header (EXIF blocks,
/// ICC profiles, extended XMP with a depth map: a few MiB at most) and bounds what one hostile
/// source can make the process hold: peak RSS about 61 MiB above idle with this cap, its read
/// buffer, the copy in wasm and the runtime's own chunks included (78 MiB with 16 MiB;
/// bench/hostile-rss.mjs).
pub const SOURCE_MAX_BYTES: f64 = 8.0 * 1024.0 * 1024.0;
/// `maxRedirects` of `imageSizesFromUrls` (each request); the first one past it is a reject.
pub const URL_MAX_REDIRECTS: usize = 5;
/// `createImagingPool`'s `workers` may not exceed this (each worker holds its own wasm memory).
pub const POOL_MAX_WORKERS: usize = 256;
/// `createLoader`: steps made ahead, the bad-image policy, `dropLast`, and how many candidates
/// `onBadImage: 'replace'` tries for one bad image.
pub const LOADER_PREFETCH: usize = 2;
pub const LOADER_ON_BAD_IMAGE: crate::loader::BadImagePolicy = crate::loader::BadImagePolicy::Skip;
pub const LOADER_DROP_LAST: bool = false;
pub const LOADER_REPLACE_TRIES: usize = 16;
/// `createLoader`'s `maxImageBytes`: the most bytes read for one whole image at its step (file or
/// URL). 256 MiB is above any photo or scan a decoder takes within `maxInputPixels` (a 12 MP PNG
/// is tens of MiB) and stops a source that never ends, or one that grew since its header was read.
pub const LOADER_MAX_IMAGE_BYTES: f64 = 256.0 * 1024.0 * 1024.0;
pub const LOADER_STRATEGY: crate::strategies::StrategyKind =
    crate::strategies::StrategyKind::Balanced;

/// A default as the registry states it (serialised as `{ scope, option, value }` with `value`
/// a number, a boolean, or a string for a choice, or `{ rule }` for a rule).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum DefaultValue {
    Number(f64),
    Bool(bool),
    /// A named choice (`'median'`, `'split'`).
    Choice(&'static str),
    /// A rule over other inputs, as the documentation states it (`floor(bufferSize / 2)`).
    Rule(RuleText),
}

/// A rule's text, serialised as `{ rule }` so it is never taken for a choice.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct RuleText {
    pub rule: &'static str,
}

/// One row: whose option (`scope`: a class, function or options object of the TS API), which
/// option, and its default.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct OptionDefault {
    pub scope: &'static str,
    pub option: &'static str,
    pub value: DefaultValue,
}

const fn row(scope: &'static str, option: &'static str, value: DefaultValue) -> OptionDefault {
    OptionDefault {
        scope,
        option,
        value,
    }
}

use DefaultValue::{Bool, Choice, Number, Rule};

/// A rule's row value.
const fn rule(rule: &'static str) -> DefaultValue {
    Rule(RuleText { rule })
}

/// Every default of planning, streaming, ranks, header reading and `smartResize`.
#[rustfmt::skip]
pub const DEFAULTS: &[OptionDefault] = &[
    row("batcher", "multipleOf", Number(MULTIPLE_OF as f64)),
    row("batcher", "sizing", Choice("median")),
    row("batcher", "skipInvalid", Bool(SKIP_INVALID)),
    row("batcher", "shuffle", Bool(SHUFFLE)),
    row("batcher", "shuffleSeed", Number(SHUFFLE_SEED as f64)),
    row("batcher", "epoch", Number(EPOCH as f64)),
    row("batcher", "shuffleMembers", Bool(SHUFFLE_MEMBERS)),
    row("sorted", "key", Choice("aspect")),
    row("clustered", "numClusters", rule("ceil(buffer.length / batchSize)")),
    row("clustered", "seed", Number(KMEANS_SEED as f64)),
    row("clustered", "maxIterations", Number(DEFAULT_MAX_ITERATIONS as f64)),
    row("balanced", "minFill", Number(DEFAULT_MIN_FILL)),
    row("balanced", "refinePasses", Number(DEFAULT_REFINE_PASSES as f64)),
    row("batchStream", "bufferSize", Number(BUFFER_SIZE as f64)),
    row("batchStream", "carry", Bool(CARRY)),
    row("batchStream", "maxCarry", rule("floor(bufferSize / 2)")),
    row("batchStream", "shuffleBuffer", Number(SHUFFLE_BUFFER as f64)),
    row("ranks", "worldSize", Number(WORLD_SIZE as f64)),
    row("ranks", "rank", Number(RANK as f64)),
    row("ranks", "leftover", Choice("split")),
    row("imageSizesFromFiles", "concurrency", Number(FILE_CONCURRENCY as f64)),
    row("imageSizesFromUrls", "concurrency", Number(URL_CONCURRENCY as f64)),
    row("imageSizesFromUrls", "timeoutMs", Number(URL_TIMEOUT_MS)),
    row("imageSizesFromFiles", "maxBytes", Number(SOURCE_MAX_BYTES)),
    row("imageSizesFromUrls", "maxBytes", Number(SOURCE_MAX_BYTES)),
    row("imageSizesFromUrls", "maxRedirects", Number(URL_MAX_REDIRECTS as f64)),
    row("imageSizesFromUrls", "allowRedirect", rule("http(s) targets that are not link-local, and not private or loopback unless the URL's own host is")),
    row("createImagingPool", "workers", rule("the number of logical cores, at most 256")),
    row("createImagingPool", "jobTimeoutMs", rule("none (a job may take as long as it takes)")),
    row("createLoader", "prefetch", Number(LOADER_PREFETCH as f64)),
    row("createLoader", "onBadImage", Choice("skip")),
    row("createLoader", "dropLast", Bool(LOADER_DROP_LAST)),
    row("createLoader", "maxImageBytes", Number(LOADER_MAX_IMAGE_BYTES)),
    row("createLoader", "strategy", Choice("balanced")),
    row("smartResize", "factor", Number(crate::smart_resize::QWEN2_VL_FACTOR as f64)),
    row("smartResize", "minPixels", Number(crate::smart_resize::QWEN2_VL_MIN_PIXELS)),
    row("smartResize", "maxPixels", Number(crate::smart_resize::QWEN2_VL_MAX_PIXELS)),
    row("evaluate", "batchSize", rule("the largest batch's length")),
    row("TokenPacker", "algorithm", Choice("first-fit-decreasing")),
    row("TokenPacker", "skipInvalid", Bool(SKIP_INVALID)),
    row("limits", "maxImagePixels", Number(Limits::DEFAULT.max_image_pixels as f64)),
    row("limits", "maxSide", Number(Limits::DEFAULT.max_side as f64)),
];

#[cfg(test)]
mod tests {
    //! The rows not read from a constant above are checked against what the readers give.
    use super::*;
    use crate::buffer::StreamOptions;
    use crate::options::{OptionMap, OptionValue};
    use crate::packing::{PackAlgorithm, PackOptions};
    use crate::ranks::{Leftover, RankOptions};
    use crate::sizing::SizeMode;
    use crate::strategies::{ClusterOptions, SortKey, Strategy, StrategyKind};
    use crate::PlanOptions;

    fn with(entries: &[(&str, f64)]) -> OptionMap {
        entries
            .iter()
            .map(|&(k, v)| (k.to_string(), OptionValue::Number(v)))
            .collect()
    }

    fn value(scope: &str, option: &str) -> DefaultValue {
        DEFAULTS
            .iter()
            .find(|d| d.scope == scope && d.option == option)
            .unwrap_or_else(|| panic!("no default for {scope}.{option}"))
            .value
    }

    #[test]
    fn the_table_is_what_the_readers_give() {
        let one = with(&[("batchSize", 1.0)]);
        for kind in StrategyKind::ALL {
            let parsed = PlanOptions::parse(kind, &one).unwrap();
            assert_eq!(parsed.sizing.mode, SizeMode::Median);
            assert_eq!(value("batcher", "sizing"), Choice("median"));
            assert_eq!(parsed.sizing.multiple_of, MULTIPLE_OF);
            assert_eq!(parsed.skip_invalid, SKIP_INVALID);
            match parsed.strategy {
                Strategy::Sorted { key } => {
                    assert_eq!(key, SortKey::Aspect);
                    assert_eq!(value("sorted", "key"), Choice("aspect"));
                }
                Strategy::Clustered(ClusterOptions {
                    num_clusters,
                    seed,
                    max_iterations,
                }) => {
                    assert_eq!((num_clusters, seed), (None, KMEANS_SEED));
                    assert_eq!(max_iterations, DEFAULT_MAX_ITERATIONS);
                }
                Strategy::Balanced(b) => {
                    assert_eq!(b.min_fill, DEFAULT_MIN_FILL);
                    assert_eq!(b.refine_passes, DEFAULT_REFINE_PASSES);
                }
                Strategy::Simple => {}
            }
        }
        let ranks = RankOptions::parse(&OptionMap::new()).unwrap();
        assert_eq!((ranks.world_size, ranks.rank), (WORLD_SIZE, RANK));
        assert_eq!(ranks.leftover, Leftover::Split);
        assert_eq!(value("ranks", "leftover"), Choice("split"));
        let planner = PlanOptions::parse(StrategyKind::Simple, &one).unwrap();
        let stream = StreamOptions::parse(&with(&[("bufferSize", 100.0)]), &[], &planner).unwrap();
        assert!(stream.carry.is_none());
        let carrying = OptionMap::from([
            ("bufferSize".to_string(), OptionValue::Number(100.0)),
            ("carry".to_string(), OptionValue::Bool(true)),
        ]);
        let stream = StreamOptions::parse(&carrying, &[], &planner).unwrap();
        assert_eq!(
            stream.carry.unwrap().max_samples,
            50,
            "floor(bufferSize / 2)"
        );
        let packer = PackOptions::parse(&with(&[("maxTokens", 4096.0), ("patchSize", 14.0)]));
        let packer = packer.unwrap();
        assert_eq!(packer.algorithm, PackAlgorithm::FirstFitDecreasing);
        assert_eq!(
            value("TokenPacker", "algorithm"),
            Choice("first-fit-decreasing")
        );
        assert_eq!(packer.skip_invalid, SKIP_INVALID);
        let loader = crate::loader::LoaderOptions::parse(&OptionMap::new()).unwrap();
        assert_eq!(
            value("createLoader", "onBadImage"),
            Choice(loader.on_bad_image.name())
        );
        assert_eq!(
            value("createLoader", "strategy"),
            Choice(loader.strategy.name())
        );
    }

    #[test]
    fn every_row_is_unique() {
        for (i, a) in DEFAULTS.iter().enumerate() {
            assert!(
                DEFAULTS[i + 1..]
                    .iter()
                    .all(|b| (a.scope, a.option) != (b.scope, b.option)),
                "{}.{} twice",
                a.scope,
                a.option
            );
        }
    }
}
