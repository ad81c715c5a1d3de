//! The seed benchmark's synthetic data (SPEC protocol): height and width drawn independently and
//! uniformly from the integers 224..=1024 with a fixed seed. Shipped in the library so that the
//! benchmark, tests and the command-line tool all use the very same images.

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// The protocol's sides: every height and width is drawn from these integers.
pub const SEED_SIDES: std::ops::RangeInclusive<u32> = 224..=1024;

/// `count` sizes as `(height, width)` pairs.
pub fn seed_benchmark_sizes(count: usize, seed: u64) -> Vec<(u32, u32)> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    (0..count)
        .map(|_| {
            let height = rng.gen_range(SEED_SIDES);
            let width = rng.gen_range(SEED_SIDES);
            (height, width)
        })
        .collect()
}
