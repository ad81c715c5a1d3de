//! Options of `createLoader` that are the loader's own (the strategy's, the ranks', the shuffle's
//! and the tensor's options are read by their own readers). Reading files and URLs, decoding and
//! the prefetch queue are the binding's; what to do with a bad image and how far to look for a
//! replacement are decided here.

use crate::defaults;
use crate::error::PlanError;
use crate::options::{OptionMap, OptionReader};
use crate::strategies::StrategyKind;

/// What the loader does with an image that cannot be read or decoded at its step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadImagePolicy {
    /// Leave it out: that rank's batch is one shorter (reported, never silent).
    Skip,
    /// Take another image of the same shape group in its place, so every rank keeps its batch size.
    Replace,
    /// Stop: the step throws the reject as a `BatcherError`.
    Throw,
}

impl BadImagePolicy {
    pub const CHOICES: [(&'static str, BadImagePolicy); 3] = [
        ("skip", BadImagePolicy::Skip),
        ("replace", BadImagePolicy::Replace),
        ("throw", BadImagePolicy::Throw),
    ];

    pub fn name(self) -> &'static str {
        Self::CHOICES
            .iter()
            .find(|(_, p)| *p == self)
            .map_or("skip", |(n, _)| n)
    }
}

/// The loader's own options, resolved.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoaderOptions {
    /// Steps read and decoded ahead of the consumer.
    pub prefetch: usize,
    pub on_bad_image: BadImagePolicy,
    /// Leave out steps in which any rank's batch is short (PyTorch's `drop_last`), and the
    /// leftover batches of rank dealing.
    pub drop_last: bool,
    /// With `replace`: candidates tried for one bad image before one of the batch's own repeats.
    pub replace_tries: usize,
    /// The planning strategy (the strategy's own options are its reader's).
    pub strategy: StrategyKind,
    /// The most bytes read for one whole image at its step; past it the image is a `READ_FAILED`
    /// reject with reason `MAX_BYTES`.
    pub max_image_bytes: f64,
}

const MAX_PREFETCH: f64 = 1024.0;
/// `maxImageBytes` bounds: at least a header's worth; at most what one wasm32 memory can hold.
const MIN_IMAGE_BYTES: f64 = 2048.0;
const MAX_IMAGE_BYTES: f64 = 4_294_967_296.0;

/// The names `createLoader` reads in Rust.
pub const LOADER_OPTION_NAMES: &[&str] = &[
    "prefetch",
    "onBadImage",
    "dropLast",
    "strategy",
    "maxImageBytes",
];
/// The names the binding keeps (sources, callbacks, the pool) or hands to their own readers (the
/// strategy's, the tensor's, the ranks', the shuffle's, the header readers'): known here so that
/// an unknown name's message lists every option.
pub const LOADER_BINDING_NAMES: &[&str] = &[
    "sources",
    "preset",
    "tensor",
    "batchSize",
    "planning",
    "worldSize",
    "rank",
    "workers",
    "pool",
    "shuffle",
    "shuffleSeed",
    "epoch",
    "resume",
    "onProgress",
    "fetch",
    "concurrency",
    "timeoutMs",
    "maxRedirects",
    "allowRedirect",
    "patches",
];

impl LoaderOptions {
    pub fn parse(entries: &OptionMap) -> Result<Self, PlanError> {
        let options = OptionReader::new(
            entries,
            &[LOADER_OPTION_NAMES, LOADER_BINDING_NAMES],
            "of createLoader",
        )?;
        let strategies: Vec<(&str, StrategyKind)> =
            StrategyKind::ALL.iter().map(|k| (k.name(), *k)).collect();
        Ok(LoaderOptions {
            prefetch: options
                .integer("prefetch", 1.0, MAX_PREFETCH)?
                .map_or(defaults::LOADER_PREFETCH, |p| p as usize),
            on_bad_image: options
                .choice("onBadImage", &BadImagePolicy::CHOICES)?
                .unwrap_or(defaults::LOADER_ON_BAD_IMAGE),
            drop_last: options
                .boolean("dropLast")?
                .unwrap_or(defaults::LOADER_DROP_LAST),
            replace_tries: defaults::LOADER_REPLACE_TRIES,
            strategy: options
                .choice("strategy", &strategies)?
                .unwrap_or(defaults::LOADER_STRATEGY),
            max_image_bytes: options
                .integer("maxImageBytes", MIN_IMAGE_BYTES, MAX_IMAGE_BYTES)?
                .unwrap_or(defaults::LOADER_MAX_IMAGE_BYTES),
        })
    }
}

/// A plan's batches as the loader holds them (the arrays a plan gives: each batch's members in
/// `order[offsets[b]..offsets[b + 1]]`, its size `heights[b]` x `widths[b]`).
pub struct PlanBatches<'a> {
    pub offsets: &'a [u32],
    pub order: &'a [u32],
    pub heights: &'a [u32],
    pub widths: &'a [u32],
}

/// `onBadImage: 'replace'`: the images to try, in turn, in place of a bad one in batch `batch`:
/// the members of the other batches of the same size, in plan order from the batch after
/// `batch` round to it, none of `taken` (the batch's own and those tried before), at most
/// `tries`. A fixed order, so the first that decodes is the same in a resumed run. Batches out
/// of range or arrays that disagree give no candidates (the binding then repeats one of the
/// batch's own images).
pub fn replacement_candidates(
    plan: &PlanBatches,
    batch: usize,
    taken: &[u32],
    tries: usize,
) -> Vec<u32> {
    let batches = plan.offsets.len().saturating_sub(1);
    let fits = batch < batches && plan.heights.len() >= batches && plan.widths.len() >= batches;
    let mut out = Vec::new();
    if !fits {
        return out;
    }
    let size = (plan.heights[batch], plan.widths[batch]);
    for d in 1..batches {
        let c = (batch + d) % batches;
        if (plan.heights[c], plan.widths[c]) != size {
            continue;
        }
        let (start, end) = (plan.offsets[c] as usize, plan.offsets[c + 1] as usize);
        for &k in plan.order.get(start..end).unwrap_or(&[]) {
            if out.len() == tries {
                return out;
            }
            if !taken.contains(&k) && !out.contains(&k) {
                out.push(k);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::OptionValue;

    /// The message of parsing one option `name: value`.
    fn refused(name: &str, value: OptionValue) -> String {
        let options = OptionMap::from([(name.to_string(), value)]);
        LoaderOptions::parse(&options).unwrap_err().to_string()
    }

    #[test]
    fn replacements_come_from_later_batches_of_the_same_size_round_to_the_bad_ones() {
        // Batches: 0 [0 1] 8x8, 1 [2 3] 4x4, 2 [4 5] 8x8, 3 [6] 8x8.
        let plan = PlanBatches {
            offsets: &[0, 2, 4, 6, 7],
            order: &[0, 1, 2, 3, 4, 5, 6],
            heights: &[8, 4, 8, 8],
            widths: &[8, 4, 8, 8],
        };
        assert_eq!(replacement_candidates(&plan, 2, &[4, 5], 16), [6, 0, 1]);
        assert_eq!(replacement_candidates(&plan, 0, &[0, 1, 4], 16), [5, 6]);
        assert_eq!(replacement_candidates(&plan, 0, &[0, 1], 2), [4, 5]);
        assert_eq!(
            replacement_candidates(&plan, 1, &[2, 3], 16),
            Vec::<u32>::new()
        );
        assert_eq!(replacement_candidates(&plan, 9, &[], 16), Vec::<u32>::new());
        let cut = PlanBatches {
            order: &[0, 1],
            ..plan
        };
        assert_eq!(replacement_candidates(&cut, 2, &[], 16), [0, 1]);
    }

    #[test]
    fn defaults_and_checks() {
        let parsed = LoaderOptions::parse(&OptionMap::new()).unwrap();
        assert_eq!(parsed.prefetch, 2);
        assert_eq!(parsed.on_bad_image, BadImagePolicy::Skip);
        assert!(!parsed.drop_last);
        assert_eq!(parsed.strategy, StrategyKind::Balanced);
        let message = refused("onBadImage", OptionValue::Text("ignore".into()));
        assert!(
            message.contains("onBadImage") && message.contains("\"replace\""),
            "{message}"
        );
        assert!(refused("prefetch", OptionValue::Number(0.0)).contains("prefetch"));
        assert_eq!(parsed.max_image_bytes, 256.0 * 1024.0 * 1024.0);
        assert!(refused("maxImageBytes", OptionValue::Number(100.0)).contains("maxImageBytes"));
        assert!(
            refused("maxImageBytes", OptionValue::Number(1.5e6 + 0.5)).contains("maxImageBytes")
        );
        assert!(refused("strategy", OptionValue::Text("fast".into())).contains("\"balanced\""));
        let unknown = refused("batchsize", OptionValue::Number(4.0));
        assert!(
            unknown.contains("not an option of createLoader") && unknown.contains("batchSize"),
            "{unknown}"
        );
        assert_eq!(BadImagePolicy::Replace.name(), "replace");
    }
}
