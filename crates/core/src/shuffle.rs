//! Shuffled epochs: the order of a plan's steps is a seeded permutation, different per epoch, the
//! same in every runtime.
//!
//! What is shuffled: the order of **steps** (with one rank a step is one batch; with `worldSize`
//! ranks, a step is the `worldSize` batches that share one `resizeSize`, so whole steps move and
//! every rank still sees the same size at the same step), and, unless `shuffleMembers: false`,
//! **which samples share a batch** among the batches of one `resizeSize` ([`reshuffle_members`]):
//! every sample keeps the size it is resized to, and every batch its size and length, so the
//! plan's resize metrics stay exactly the same (as kohya's buckets trade members every epoch).
//! Streams add an optional shuffle buffer over incoming samples before planning ([`draws`],
//! [`permutation`]), which changes which samples are planned together.
//!
//! Every random number here comes from fixed 64-bit integer arithmetic (SplitMix64 to derive
//! keys, xoshiro256++ for permutations, Lemire's multiply-shift to bound a draw), never from
//! `usize` or floating point, so a native build and the wasm build give the same permutations.

use rand::RngCore;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::error::PlanError;
use crate::options::{OptionReader, MAX_SAFE_INTEGER};

/// The shuffle options, accepted by every batcher, by one call (`batch(buffer, { epoch })`), by rank
/// dealing and by `batchStream`.
pub const SHUFFLE_OPTIONS: &[&str] = &["shuffle", "shuffleSeed", "epoch", "shuffleMembers"];

/// A shuffle as given at one level (a batcher's options, or one call's): each field may be absent,
/// and a later level's fields win over an earlier's ([`ShuffleSpec::over`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ShuffleSpec {
    pub enabled: Option<bool>,
    pub seed: Option<u64>,
    pub epoch: Option<u64>,
    /// `shuffleMembers`: trade members between batches of one `resizeSize` (default on).
    pub members: Option<bool>,
}

/// A resolved shuffle: on, with its seed and epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shuffle {
    pub seed: u64,
    pub epoch: u64,
}

impl ShuffleSpec {
    /// Reads `shuffle` and `shuffleMembers` (booleans), `shuffleSeed` and `epoch` (whole numbers
    /// from 0 to 2^53 - 1).
    pub fn read(options: &OptionReader) -> Result<Self, PlanError> {
        Ok(ShuffleSpec {
            enabled: options.boolean("shuffle")?,
            seed: options
                .integer("shuffleSeed", 0.0, MAX_SAFE_INTEGER)?
                .map(|s| s as u64),
            epoch: options
                .integer("epoch", 0.0, MAX_SAFE_INTEGER)?
                .map(|e| e as u64),
            members: options.boolean("shuffleMembers")?,
        })
    }

    /// `self`'s fields where given, else `base`'s.
    pub fn over(self, base: ShuffleSpec) -> ShuffleSpec {
        ShuffleSpec {
            enabled: self.enabled.or(base.enabled),
            seed: self.seed.or(base.seed),
            epoch: self.epoch.or(base.epoch),
            members: self.members.or(base.members),
        }
    }

    /// Whether a resolved shuffle also trades batch members (`shuffleMembers`, default on).
    pub fn reshuffles_members(&self) -> bool {
        self.members.unwrap_or(crate::defaults::SHUFFLE_MEMBERS)
    }

    /// The shuffle, or `None` when off. Seed and epoch default to 0. An explicit `shuffle: false`
    /// turns it off (one call may do so for a batcher that shuffles); `shuffleSeed` or `epoch`
    /// with `shuffle` given nowhere is an error (it would be silently ignored otherwise).
    pub fn resolve(self) -> Result<Option<Shuffle>, PlanError> {
        match self.enabled {
            Some(true) => Ok(Some(Shuffle {
                seed: self.seed.unwrap_or(crate::defaults::SHUFFLE_SEED),
                epoch: self.epoch.unwrap_or(crate::defaults::EPOCH),
            })),
            Some(false) => Ok(None),
            None => {
                let given = [
                    ("shuffleSeed", self.seed.is_some()),
                    ("epoch", self.epoch.is_some()),
                    ("shuffleMembers", self.members.is_some()),
                ];
                match given.iter().find(|(_, g)| *g) {
                    Some((name, _)) => {
                        Err(PlanError::option(name, "applies only with `shuffle: true`"))
                    }
                    None => Ok(None),
                }
            }
        }
    }
}

/// What a key is derived for, so the streams of random numbers never overlap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// The step order of buffer `n` (one-shot plans are buffer 0).
    Steps(u64),
    /// The stream's shuffle buffer: one draw per sample replaced.
    Reservoir,
    /// The stream's shuffle buffer when the source ends: the order it is emptied in.
    Drain,
    /// Which samples share a batch in buffer `n` (among batches of one `resizeSize`).
    Members(u64),
    /// Random crop and flip of the image at buffer position `n` (the imaging crate's `toTensor`).
    Augment(u64),
}

/// One step of SplitMix64 (Steele, Lea and Flood 2014): a bijective 64-bit mix.
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Shuffle {
    /// The 64-bit key of one purpose: SplitMix64 over seed, epoch, purpose tag and number.
    pub fn key(&self, purpose: Purpose) -> u64 {
        let (tag, n) = match purpose {
            Purpose::Steps(n) => (1, n),
            Purpose::Reservoir => (2, 0),
            Purpose::Drain => (3, 0),
            Purpose::Members(n) => (4, n),
            Purpose::Augment(n) => (5, n),
        };
        [self.epoch, tag, n]
            .iter()
            .fold(splitmix64(self.seed), |h, &v| splitmix64(h ^ v))
    }
}

/// `x` scaled into `0..bound` (Lemire's multiply-shift; bias below `bound / 2^64`).
fn below(x: u64, bound: u64) -> u64 {
    ((u128::from(x) * u128::from(bound)) >> 64) as u64
}

/// A permutation of `0..n` from `key`: Fisher-Yates driven by xoshiro256++ seeded with the key.
pub fn permutation(key: u64, n: usize) -> Vec<u32> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(key);
    let mut p: Vec<u32> = (0..n as u32).collect();
    for i in (1..n).rev() {
        let j = below(rng.next_u64(), i as u64 + 1) as usize;
        p.swap(i, j);
    }
    p
}

/// Trades members between batches of the same size, in place: the real members (a batch's last
/// `padding[b]` entries repeat a sample and stay) of all batches of one size are permuted
/// together and dealt back, each batch keeping its length, its size and its place. Batch `b` is
/// `order[offsets[b]..offsets[b + 1]]` with size `sizes[b]`. A size's permutation is keyed by
/// `key` and the size itself, so it does not depend on which other sizes the plan holds.
pub fn reshuffle_members(
    key: u64,
    order: &mut [u32],
    offsets: &[u32],
    sizes: &[(u32, u32)],
    padding: &[u32],
) {
    let mut by_size: std::collections::BTreeMap<(u32, u32), Vec<usize>> = Default::default();
    for (b, &size) in sizes.iter().enumerate() {
        by_size.entry(size).or_default().push(b);
    }
    let real = |b: usize| {
        let (a, z) = (offsets[b] as usize, offsets[b + 1] as usize);
        a..z - (padding.get(b).copied().unwrap_or(0) as usize).min(z - a)
    };
    for ((h, w), batches) in by_size {
        if batches.len() < 2 {
            continue;
        }
        let pool: Vec<u32> = batches
            .iter()
            .flat_map(|&b| order[real(b)].to_vec())
            .collect();
        let size_key = splitmix64(key ^ (u64::from(h) << 32 | u64::from(w)));
        let mut drawn = permutation(size_key, pool.len()).into_iter();
        for &b in &batches {
            for slot in &mut order[real(b)] {
                *slot = pool[drawn.next().unwrap_or_default() as usize];
            }
        }
    }
}

/// Draws `start .. start + count` of the sequence keyed by `key`, each in `0..bound`: draw `k` is
/// SplitMix64 of `key + k * 0x9E3779B97F4A7C15`, scaled. Any draw can be computed alone, so a
/// caller may ask for them in blocks of any size and gets the same numbers.
pub fn draws(key: u64, start: u64, count: usize, bound: u64) -> Vec<u32> {
    (0..count as u64)
        .map(|i| {
            let k = start.wrapping_add(i);
            below(
                splitmix64(key.wrapping_add(k.wrapping_mul(0x9E37_79B9_7F4A_7C15))),
                bound,
            ) as u32
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutations_are_permutations_and_depend_on_every_input() {
        let s = Shuffle { seed: 7, epoch: 0 };
        let p = permutation(s.key(Purpose::Steps(0)), 100);
        let mut sorted = p.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..100).collect::<Vec<u32>>());
        assert_eq!(
            p,
            permutation(s.key(Purpose::Steps(0)), 100),
            "deterministic"
        );
        let other_epoch = Shuffle { seed: 7, epoch: 1 };
        assert_ne!(p, permutation(other_epoch.key(Purpose::Steps(0)), 100));
        assert_ne!(
            p,
            permutation(Shuffle { seed: 8, epoch: 0 }.key(Purpose::Steps(0)), 100)
        );
        assert_ne!(p, permutation(s.key(Purpose::Steps(1)), 100));
        assert!(permutation(1, 0).is_empty() && permutation(1, 1) == vec![0]);
    }

    #[test]
    fn fixed_values_keep_every_build_honest() {
        // Pinned: a change of generator or mixing would change every user's epochs.
        assert_eq!(splitmix64(0), 0xE220_A839_7B1D_CDAF);
        let s = Shuffle { seed: 1, epoch: 2 };
        assert_eq!(
            permutation(s.key(Purpose::Steps(0)), 8),
            permutation(s.key(Purpose::Steps(0)), 8)
        );
        let d = draws(s.key(Purpose::Reservoir), 0, 10, 5);
        assert!(d.iter().all(|&x| x < 5));
        // Blocks of any size give the same numbers.
        let mut joined = draws(s.key(Purpose::Reservoir), 0, 4, 5);
        joined.extend(draws(s.key(Purpose::Reservoir), 4, 6, 5));
        assert_eq!(joined, d);
    }

    #[test]
    fn draws_are_roughly_uniform() {
        let d = draws(42, 0, 60_000, 6);
        let mut counts = [0usize; 6];
        d.iter().for_each(|&x| counts[x as usize] += 1);
        assert!(
            counts.iter().all(|&c| (9_000..11_000).contains(&c)),
            "{counts:?}"
        );
    }

    #[test]
    fn seed_or_epoch_without_shuffle_is_an_error() {
        let spec = ShuffleSpec {
            enabled: None,
            seed: None,
            epoch: Some(3),
            members: None,
        };
        assert!(spec
            .resolve()
            .unwrap_err()
            .to_string()
            .contains("`epoch` applies only with `shuffle: true`"));
        let on = ShuffleSpec {
            enabled: Some(true),
            seed: Some(5),
            epoch: None,
            members: None,
        };
        assert_eq!(
            spec.over(on).resolve().unwrap(),
            Some(Shuffle { seed: 5, epoch: 3 })
        );
        // One call turns off a batcher's shuffle.
        let off = ShuffleSpec {
            enabled: Some(false),
            ..ShuffleSpec::default()
        };
        assert_eq!(off.over(on).resolve().unwrap(), None);
        let seed_only = ShuffleSpec {
            seed: Some(1),
            ..ShuffleSpec::default()
        };
        assert!(
            matches!(seed_only.resolve(), Err(PlanError::Option(e)) if e.option == "shuffleSeed")
        );
    }
}
