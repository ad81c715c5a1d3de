//! One buffer, one call: everything a binding asks of the planner for a buffer happens here, so
//! it crosses into wasm once: the buffer is planned, partial batches are carried over, and the
//! batches are dealt to ranks. (Encoded images' sizes are read before, by the header ladder of
//! `mm-batcher-formats`; their failures arrive as known rejects.)

use crate::carry::{hold_partial, CarryOptions, CARRY_OPTIONS};
use crate::defaults;
use crate::error::{PlanError, Reject};
use crate::options::{OptionMap, OptionReader, MAX_SAFE_INTEGER};
use crate::plan::{plan_batches, PlanOptions, Planned};
use crate::ranks::{deal, DealContext, Dealt, RankOptions, RANK_OPTIONS};
use crate::samples::Samples;
use crate::shuffle::{
    permutation, reshuffle_members, Purpose, Shuffle, ShuffleSpec, SHUFFLE_OPTIONS,
};

/// What one buffer asks for besides the plan.
#[derive(Debug, Clone, Default)]
pub struct BufferOptions {
    pub ranks: Option<RankOptions>,
    pub carry: Option<CarryOptions>,
    /// This call's shuffle options, over the batcher's (`PlanOptions::shuffle`).
    pub shuffle: ShuffleSpec,
    /// Which buffer of a stream this is (0 for one-shot plans): each buffer's steps get their own
    /// permutation.
    pub buffer_index: u64,
}

/// Names a buffer request takes beside rank, carry-over and shuffle options.
pub const BUFFER_OPTIONS: &[&str] = &["bufferIndex"];

impl BufferOptions {
    /// Reads one buffer's request: rank options, `carry`/`maxCarry`, the shuffle options and
    /// `bufferIndex`.
    pub fn parse(entries: &OptionMap) -> Result<Self, PlanError> {
        let reader = OptionReader::new(
            entries,
            &[RANK_OPTIONS, CARRY_OPTIONS, BUFFER_OPTIONS, SHUFFLE_OPTIONS],
            "of a buffer",
        )?;
        let carry = match reader.boolean("carry")? {
            Some(true) => Some(CarryOptions::read(&reader)?),
            _ => None,
        };
        Ok(BufferOptions {
            ranks: Some(RankOptions::read(&reader)?),
            carry,
            shuffle: ShuffleSpec::read(&reader)?,
            buffer_index: reader
                .integer("bufferIndex", 0.0, MAX_SAFE_INTEGER)?
                .map_or(0, |b| b as u64),
        })
    }
}

/// A buffer's samples: their sizes, the problems found before planning (unreadable headers, as
/// rejects by ascending index), and the samples carried once already (never carried again).
pub struct BufferSamples<'a> {
    pub widths: &'a [f64],
    pub heights: &'a [f64],
    pub keys: Option<&'a [f64]>,
    pub known: &'a [Reject],
    pub pinned: &'a [bool],
}

/// The outcome: batches by input index, dealt to ranks (one rank: one step per batch).
#[derive(Debug, Clone, Default)]
pub struct BufferPlan {
    pub dealt: Dealt,
    pub rejects: Vec<Reject>,
}

/// Plans, carries over and deals one buffer. Positions in the result (`order`,
/// `held`, `dropped`) are input indices.
pub fn plan_buffer(
    options: &PlanOptions,
    buffer_options: &BufferOptions,
    samples: BufferSamples<'_>,
) -> Result<BufferPlan, PlanError> {
    if let Some(ranks) = &buffer_options.ranks {
        if ranks.world_size > 1 && options.tokens.is_some() {
            return Err(PlanError::option(
                "worldSize",
                "above 1 cannot be combined with `maxTokens` yet (a step's shared size could exceed a batch's budget)",
            ));
        }
    }
    let shuffle_spec = buffer_options.shuffle.over(options.shuffle);
    let shuffle = shuffle_spec.resolve()?;
    let planned = plan_batches(
        options,
        Samples {
            widths: samples.widths,
            heights: samples.heights,
            keys: samples.keys,
            known: samples.known,
        },
    )?;
    let mut plan = carry_and_deal(options, buffer_options, samples.pinned, planned);
    if let Some(shuffle) = shuffle {
        if shuffle_spec.reshuffles_members() {
            let d = &mut plan.dealt;
            reshuffle_members(
                shuffle.key(Purpose::Members(buffer_options.buffer_index)),
                &mut d.order,
                &d.offsets,
                &d.sizes,
                &d.padding,
            );
        }
        let steps = plan.dealt.step_count();
        let order = permutation(
            shuffle.key(Purpose::Steps(buffer_options.buffer_index)),
            steps,
        );
        plan.dealt.reorder_steps(&order);
    }
    Ok(plan)
}

fn carry_and_deal(
    options: &PlanOptions,
    buffer_options: &BufferOptions,
    pinned_by_index: &[bool],
    planned: Planned,
) -> BufferPlan {
    let Planned {
        shapes,
        indices,
        batches,
        sizes,
        rejects,
    } = planned;
    let batch_size = options
        .batch_size
        .unwrap_or_else(|| batches.iter().map(Vec::len).max().unwrap_or(1));
    // (Batches move through carry-over and dealing without copies when neither is asked for.)
    let (kept_batches, kept_sizes, held) = match &buffer_options.carry {
        None => (batches, sizes, Vec::new()),
        Some(carry) => {
            let pinned: Vec<bool> = indices
                .iter()
                .map(|&i| pinned_by_index.get(i as usize).copied().unwrap_or(false))
                .collect();
            let (kept, held) = hold_partial(&batches, batch_size, &pinned, carry);
            let mut batches = batches;
            let kept_sizes = kept.iter().map(|&b| sizes[b]).collect();
            let kept_batches = kept
                .iter()
                .map(|&b| std::mem::take(&mut batches[b]))
                .collect();
            (kept_batches, kept_sizes, held)
        }
    };
    let ranks = buffer_options.ranks.clone().unwrap_or(RankOptions {
        world_size: 1,
        rank: 0,
        leftover: Default::default(),
    });
    let ctx = DealContext {
        shapes: &shapes,
        batch_size,
        sizing: &options.sizing,
        max_shapes: options.max_shapes,
    };
    let mut dealt = deal(&ctx, &kept_batches, &kept_sizes, &ranks);
    // Positions into `shapes` become input indices (the same numbers when nothing was rejected).
    let to_index = |p: &mut u32| *p = indices[*p as usize];
    if !rejects.is_empty() {
        dealt.order.iter_mut().for_each(to_index);
    }
    dealt.dropped.iter_mut().for_each(to_index);
    dealt.held.extend(held);
    dealt.held.iter_mut().for_each(to_index);
    dealt.held.sort_unstable();
    dealt.dropped.sort_unstable();
    BufferPlan { dealt, rejects }
}

/// `batchStream`'s own options (beside `batcher`, or `strategy` with that strategy's options,
/// and the JS-only `onReject` and `signal`, which the binding keeps).
pub const STREAM_OPTIONS: &[&str] = &[
    "bufferSize",
    "carry",
    "maxCarry",
    "worldSize",
    "rank",
    "leftover",
    "shuffle",
    "shuffleSeed",
    "epoch",
    "shuffleMembers",
    "shuffleBuffer",
];

/// `batchStream`'s options, with their defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamOptions {
    /// Samples planned together (default 1024).
    pub buffer_size: usize,
    /// Carry partial batches into the next buffer (default false), at most `maxCarry` samples
    /// (default half a buffer).
    pub carry: Option<CarryOptions>,
    pub ranks: RankOptions,
    /// The stream's shuffle (its own options over its batcher's), if on.
    pub shuffle: Option<Shuffle>,
    /// Samples held in the shuffle buffer before planning (0: none, the default).
    pub shuffle_buffer: usize,
    /// With the shuffle on: batches of one `resizeSize` trade members (`shuffleMembers`).
    pub shuffle_members: bool,
}

const MAX_BUFFER_SIZE: f64 = 16_777_216.0;

impl StreamOptions {
    /// Reads the stream's options; `others` are further names accepted and left to the caller
    /// (a strategy's options when the stream makes its batcher). `planner` is the batcher's
    /// options: its batch size (rank steps and carry-over are counted in batches) and its shuffle,
    /// under the stream's own.
    pub fn parse(
        entries: &OptionMap,
        others: &[&str],
        planner: &PlanOptions,
    ) -> Result<Self, PlanError> {
        let batch_size = planner.batch_size.unwrap_or(1);
        let options = OptionReader::new(
            entries,
            &[STREAM_OPTIONS, others],
            "of batchStream beside `batcher` (set it on the batcher)",
        )?;
        let buffer_size = options
            .integer("bufferSize", 1.0, MAX_BUFFER_SIZE)?
            .map_or(defaults::BUFFER_SIZE, |b| b as usize);
        let carry = match options.boolean("carry")?.unwrap_or(defaults::CARRY) {
            false if options.has("maxCarry") => {
                return Err(PlanError::option(
                    "maxCarry",
                    "applies only with `carry: true`",
                ))
            }
            false => None,
            true => Some(CarryOptions {
                max_samples: options
                    .integer("maxCarry", 0.0, MAX_BUFFER_SIZE)?
                    .map_or(buffer_size / 2, |m| m as usize),
            }),
        };
        let ranks = RankOptions::read(&options)?;
        if ranks.leftover == crate::ranks::Leftover::Hold {
            return Err(PlanError::option(
                "leftover",
                "\"hold\" is what the stream does between buffers; for the tail use \"split\", \"pad\" or \"drop\"",
            ));
        }
        let w = ranks.world_size;
        if w > 1 && buffer_size < w * batch_size {
            return Err(PlanError::option(
                "bufferSize",
                format!("is {buffer_size}; with worldSize {w} it must be at least worldSize * batchSize = {}", w * batch_size),
            ));
        }
        // Held samples never fill the buffer: rank leftovers take at most (worldSize - 1) batches.
        let room = buffer_size.saturating_sub(1 + (w - 1) * batch_size);
        let carry = carry.map(|c| CarryOptions {
            max_samples: c.max_samples.min(room),
        });
        let shuffle_spec = ShuffleSpec::read(&options)?.over(planner.shuffle);
        let shuffle = shuffle_spec.resolve()?;
        let shuffle_buffer = options
            .integer("shuffleBuffer", 0.0, MAX_BUFFER_SIZE)?
            .map_or(defaults::SHUFFLE_BUFFER, |n| n as usize);
        if shuffle_buffer > 0 && shuffle.is_none() {
            return Err(PlanError::option(
                "shuffleBuffer",
                "applies only with `shuffle: true`",
            ));
        }
        Ok(StreamOptions {
            buffer_size,
            carry,
            ranks,
            shuffle,
            shuffle_buffer,
            shuffle_members: shuffle.is_some() && shuffle_spec.reshuffles_members(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` sizes of 37 distinct shapes (as photos from a few cameras): batches of one shape share
    /// a size, so there are members to trade.
    fn repeated_sizes(n: usize) -> (Vec<f64>, Vec<f64>) {
        let dims = crate::synthetic::seed_benchmark_sizes(37, 5);
        (0..n)
            .map(|i| (f64::from(dims[i % 37].1), f64::from(dims[i % 37].0)))
            .unzip()
    }

    fn shuffled_plan(
        n: usize,
        world_size: usize,
        shuffle: Option<(u64, u64)>,
        buffer_index: u64,
        members: bool,
    ) -> Dealt {
        let (widths, heights) = repeated_sizes(n);
        let mut entries = OptionMap::new();
        entries.insert("batchSize".into(), crate::OptionValue::Number(8.0));
        // Sizes in steps of 28 (as Qwen2-VL plans), so several batches share one size.
        entries.insert("multipleOf".into(), crate::OptionValue::Number(28.0));
        let options = PlanOptions::parse(crate::StrategyKind::Sorted, &entries).unwrap();
        let buffer_options = BufferOptions {
            ranks: Some(RankOptions {
                world_size,
                rank: 0,
                leftover: Default::default(),
            }),
            carry: None,
            shuffle: ShuffleSpec {
                enabled: Some(shuffle.is_some()),
                seed: shuffle.map(|s| s.0),
                epoch: shuffle.map(|s| s.1),
                members: Some(members),
            },
            buffer_index,
        };
        let samples = BufferSamples {
            widths: &widths,
            heights: &heights,
            keys: None,
            known: &[],
            pinned: &[],
        };
        plan_buffer(&options, &buffer_options, samples)
            .unwrap()
            .dealt
    }

    /// One batch of a step: its members, size and padding.
    type StepBatch = (Vec<u32>, (u32, u32), u32);

    /// Each step as its batches, for comparing orders.
    fn steps(d: &Dealt) -> Vec<Vec<StepBatch>> {
        let w = d.world_size;
        (0..d.step_count())
            .map(|s| {
                (s * w..(s + 1) * w)
                    .map(|b| {
                        (
                            d.order[d.offsets[b] as usize..d.offsets[b + 1] as usize].to_vec(),
                            d.sizes[b],
                            d.padding[b],
                        )
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn shuffled_epochs_permute_whole_steps() {
        for w in [1, 3] {
            let plain = steps(&shuffled_plan(400, w, None, 0, false));
            let e0 = steps(&shuffled_plan(400, w, Some((7, 0)), 0, false));
            let e1 = steps(&shuffled_plan(400, w, Some((7, 1)), 0, false));
            assert_eq!(
                e0,
                steps(&shuffled_plan(400, w, Some((7, 0)), 0, false)),
                "deterministic"
            );
            assert_ne!(e0, e1, "epochs differ");
            assert_ne!(e0, plain, "shuffled");
            assert_ne!(
                e0,
                steps(&shuffled_plan(400, w, Some((7, 0)), 1, false)),
                "buffers differ"
            );
            // The same steps (same batches, sizes, rank order inside a step), in another order.
            for shuffled in [&e0, &e1] {
                let (mut a, mut b) = (plain.clone(), (*shuffled).clone());
                a.sort();
                b.sort();
                assert_eq!(a, b);
                // Every rank sees one size per step.
                assert!(shuffled
                    .iter()
                    .all(|step| step.iter().all(|batch| batch.1 == step[0].1)));
            }
        }
    }

    #[test]
    fn members_trade_between_batches_of_one_size_at_no_cost() {
        let n = 400;
        let (widths, heights) = repeated_sizes(n);
        let metrics = |d: &Dealt| {
            let plan = crate::plan::Plan {
                order: d.order.clone(),
                offsets: d.offsets.clone(),
                sizes: d.sizes.clone(),
                rejects: Vec::new(),
            };
            let samples = crate::samples::Samples {
                widths: &widths,
                heights: &heights,
                keys: None,
                known: &[],
            };
            crate::metrics::evaluate(samples, &plan, Some(8), None).unwrap()
        };
        // Each batch as (size, length, padding, sorted members).
        let batches = |d: &Dealt| -> Vec<((u32, u32), usize, u32, Vec<u32>)> {
            (0..d.sizes.len())
                .map(|b| {
                    let mut m = d.order[d.offsets[b] as usize..d.offsets[b + 1] as usize].to_vec();
                    let len = m.len();
                    m.sort_unstable();
                    (d.sizes[b], len, d.padding[b], m)
                })
                .collect()
        };
        for w in [1, 3] {
            let fixed = shuffled_plan(n, w, Some((7, 0)), 0, false);
            let traded = shuffled_plan(n, w, Some((7, 0)), 0, true);
            let (a, b) = (batches(&fixed), batches(&traded));
            // Same step order, each batch the same size, length and padding in the same place.
            assert_eq!(a.len(), b.len());
            for (x, y) in a.iter().zip(&b) {
                assert_eq!((x.0, x.1, x.2), (y.0, y.1, y.2));
            }
            assert_ne!(a, b, "members moved");
            // Every sample is still resized to the same size: the multiset of (size, member).
            let pairs = |v: &[((u32, u32), usize, u32, Vec<u32>)]| {
                let mut p: Vec<((u32, u32), u32)> = v
                    .iter()
                    .flat_map(|x| x.3.iter().map(move |&m| (x.0, m)))
                    .collect();
                p.sort_unstable();
                p
            };
            assert_eq!(pairs(&a), pairs(&b));
            // The plan's resize metrics are exactly the same (the aspect spread inside a batch
            // is what changes: it describes batch-mates, not how any image is resized).
            let (ma, mb) = (metrics(&fixed), metrics(&traded));
            assert_eq!(
                (
                    ma.images,
                    ma.batches,
                    ma.fill,
                    ma.distortion,
                    ma.scale_mismatch,
                    ma.resize_waste
                ),
                (
                    mb.images,
                    mb.batches,
                    mb.fill,
                    mb.distortion,
                    mb.scale_mismatch,
                    mb.resize_waste
                )
            );
            // Deterministic, and different per epoch and per buffer.
            assert_eq!(batches(&shuffled_plan(n, w, Some((7, 0)), 0, true)), b);
            let next = batches(&shuffled_plan(n, w, Some((7, 1)), 0, true));
            let other_buffer = batches(&shuffled_plan(n, w, Some((7, 0)), 1, true));
            let sets = |v: &[((u32, u32), usize, u32, Vec<u32>)]| {
                let mut s: Vec<Vec<u32>> = v.iter().map(|x| x.3.clone()).collect();
                s.sort();
                s
            };
            assert_ne!(sets(&b), sets(&next), "epochs give other batches");
            assert_ne!(sets(&b), sets(&other_buffer), "buffers give other batches");
            // With ranks, every step still shares one size.
            assert!(traded.sizes.chunks(w).all(|s| s.iter().all(|&z| z == s[0])));
        }
    }

    #[test]
    fn a_call_overrides_the_batchers_shuffle() {
        let mut entries = OptionMap::new();
        entries.insert("batchSize".into(), crate::OptionValue::Number(8.0));
        entries.insert("shuffle".into(), crate::OptionValue::Bool(true));
        entries.insert("shuffleSeed".into(), crate::OptionValue::Number(3.0));
        let options = PlanOptions::parse(crate::StrategyKind::Simple, &entries).unwrap();
        let mut call = OptionMap::new();
        call.insert("epoch".into(), crate::OptionValue::Number(2.0));
        let buffer = BufferOptions::parse(&call).unwrap();
        assert_eq!(
            buffer.shuffle.over(options.shuffle).resolve().unwrap(),
            Some(Shuffle { seed: 3, epoch: 2 })
        );
        call.insert("shuffle".into(), crate::OptionValue::Bool(false));
        assert_eq!(
            BufferOptions::parse(&call)
                .unwrap()
                .shuffle
                .over(options.shuffle)
                .resolve()
                .unwrap(),
            None
        );
        entries.remove("shuffle");
        assert!(PlanOptions::parse(crate::StrategyKind::Simple, &entries).is_err());
    }
}
