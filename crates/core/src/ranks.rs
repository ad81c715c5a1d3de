//! Many ranks, one plan: deals a plan's batches to `worldSize` data-parallel ranks.
//!
//! Every rank computes the same dealing from the same plan (same samples, same seed), so no
//! communication is needed. The batches are grouped into **steps** of `worldSize` batches; batch
//! `r` of a step goes to rank `r`. So:
//! - every rank gets the same number of batches (one per step);
//! - the batches of one step share one `resizeSize`: the sizing rule applied to the union of the
//!   step's images (batches are first ordered by the shape of their own size, so a step holds
//!   alike batches and the shared size costs little);
//! - the union over ranks is every sample exactly once, unless `leftover` says otherwise
//!   explicitly and reports it;
//! - within a step, the samples are dealt again so that the ranks' **decode work** (source
//!   pixels) is balanced, not only their counts: a data-parallel step waits for its slowest rank,
//!   and one batch of 12 MP photos beside one of thumbnails would leave the other ranks idle. Each
//!   batch keeps its length and the step keeps its union (so its size), only which rank decodes
//!   which image changes (see `balance_step`).
//!
//! When the batch count is not a multiple of `worldSize`, the `L = count mod worldSize` batches
//! with the fewest samples are the leftovers. `leftover` decides their fate:
//! - `split` (default): their samples are re-cut into one more step of `worldSize` batches whose
//!   lengths differ by at most one. If they are fewer than `worldSize`, the last full step's
//!   samples join them first and the pool is cut into as many steps as `batchSize` needs.
//!   Only when the pool still has fewer samples than batches to fill (possible with `batchSize`
//!   1, or fewer samples than ranks) do some ranks get an **empty** batch in the last step
//!   (reported as `empty`); use `pad` to avoid that.
//! - `pad`: as `split`, but an otherwise empty batch gets one repeated sample of the pool, counted
//!   in that batch's `padding` (the repeated entries are its last ones). Repeats are never silent.
//! - `drop`: the leftover batches' samples are left out and listed in `dropped` (like PyTorch's
//!   `drop_last`). Opt-in only.
//! - `hold`: the leftover batches' samples are listed in `held`, to be planned again with the next
//!   buffer (what the stream does between buffers). Nothing is lost: the caller owns them.
//!
//! Carry-over of partial batches between buffers is its own concept: see `carry`.

use crate::defaults;
use crate::error::PlanError;
use crate::max_shapes::batch_waste;
use crate::options::OptionReader;
use crate::order::{sort_by_keys, total_order};
use crate::shape::Shape;
use crate::sizing::{resize_size, Sizing, SizingScratch};

/// What happens to the batches left over when their count is not a multiple of `worldSize`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Leftover {
    #[default]
    Split,
    Pad,
    Drop,
    Hold,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RankOptions {
    pub world_size: usize,
    pub rank: usize,
    pub leftover: Leftover,
}

pub const RANK_OPTIONS: &[&str] = &["worldSize", "rank", "leftover"];
const MAX_WORLD: f64 = 1_048_576.0;

impl RankOptions {
    pub fn parse(entries: &crate::options::OptionMap) -> Result<Self, PlanError> {
        Self::read(&OptionReader::new(
            entries,
            &[RANK_OPTIONS],
            "of rank dealing",
        )?)
    }

    pub fn read(options: &OptionReader) -> Result<Self, PlanError> {
        let world_size = options
            .integer("worldSize", 1.0, MAX_WORLD)?
            .map_or(defaults::WORLD_SIZE, |w| w as usize);
        let rank = options
            .integer("rank", 0.0, MAX_WORLD)?
            .map_or(defaults::RANK, |r| r as usize);
        if rank >= world_size {
            return Err(PlanError::option(
                "rank",
                format!("is {rank}; it must be below worldSize = {world_size}"),
            ));
        }
        let leftover = options
            .choice(
                "leftover",
                &[
                    ("split", Leftover::Split),
                    ("pad", Leftover::Pad),
                    ("drop", Leftover::Drop),
                    ("hold", Leftover::Hold),
                ],
            )?
            .unwrap_or_default();
        Ok(RankOptions {
            world_size,
            rank,
            leftover,
        })
    }
}

/// Steps of `world_size` batches. Batch `b` (members `order[offsets[b]..offsets[b + 1]]`, as
/// positions into the shapes) belongs to rank `b % world_size` in step `b / world_size`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Dealt {
    pub world_size: usize,
    pub order: Vec<u32>,
    pub offsets: Vec<u32>,
    pub sizes: Vec<(u32, u32)>,
    /// Per batch: how many of its last entries repeat a sample (only with `pad`).
    pub padding: Vec<u32>,
    /// Samples held back for the next buffer (`hold`), ascending.
    pub held: Vec<u32>,
    /// Samples left out on request (`drop`), ascending.
    pub dropped: Vec<u32>,
    /// Batches that are empty (only `split` when the pool is too small; see module docs).
    pub empty: usize,
}

impl Dealt {
    /// Steps of `world_size` batches each.
    pub fn step_count(&self) -> usize {
        self.sizes.len() / self.world_size.max(1)
    }

    /// Puts step `order[s]` at position `s`: whole steps move (each keeps its batches, their ranks,
    /// sizes and padding), so every rank still sees one size per step.
    pub fn reorder_steps(&mut self, order: &[u32]) {
        let w = self.world_size.max(1);
        debug_assert_eq!(order.len(), self.step_count());
        let mut moved = Dealt {
            world_size: self.world_size,
            order: Vec::with_capacity(self.order.len()),
            offsets: Vec::with_capacity(self.offsets.len()),
            sizes: Vec::with_capacity(self.sizes.len()),
            padding: Vec::with_capacity(self.padding.len()),
            held: std::mem::take(&mut self.held),
            dropped: std::mem::take(&mut self.dropped),
            empty: self.empty,
        };
        moved.offsets.push(0);
        for &step in order {
            for b in step as usize * w..(step as usize + 1) * w {
                let (a, z) = (self.offsets[b] as usize, self.offsets[b + 1] as usize);
                moved.order.extend_from_slice(&self.order[a..z]);
                moved.offsets.push(moved.order.len() as u32);
                moved.sizes.push(self.sizes[b]);
                moved.padding.push(self.padding[b]);
            }
        }
        *self = moved;
    }
}

/// What `deal` needs besides the batches.
pub struct DealContext<'a> {
    pub shapes: &'a [Shape],
    pub batch_size: usize,
    pub sizing: &'a Sizing,
    pub max_shapes: Option<usize>,
}

/// One step: `world_size` batches, with the count of repeated entries of each.
struct Step {
    batches: Vec<Vec<u32>>,
    padding: Vec<u32>,
}

/// Deals `batches` (positions into `ctx.shapes`, with their planned `sizes`) to ranks.
pub fn deal(
    ctx: &DealContext<'_>,
    batches: &[Vec<u32>],
    sizes: &[(u32, u32)],
    options: &RankOptions,
) -> Dealt {
    let w = options.world_size.max(1);
    if w == 1 {
        return one_step_per_batch(batches, sizes);
    }
    let (full, leftovers) = split_off_leftovers(batches, w);
    let mut steps = full_steps(&full, batches, sizes, w);
    let pool: Vec<u32> = leftovers.iter().flat_map(|&b| batches[b].clone()).collect();
    let mut dealt = Dealt {
        world_size: w,
        offsets: vec![0],
        ..Dealt::default()
    };
    match options.leftover {
        _ if pool.is_empty() => {}
        Leftover::Hold => dealt.held = pool,
        Leftover::Drop => dealt.dropped = pool,
        Leftover::Split | Leftover::Pad => {
            dealt.empty = deal_pool(ctx, pool, &mut steps, w, options.leftover == Leftover::Pad)
        }
    }
    for step in &mut steps {
        balance_step(ctx.shapes, step);
    }
    let step_sizes = step_sizes(ctx, &steps, sizes);
    for (step, size) in steps.iter().zip(step_sizes) {
        for (members, &pad) in step.batches.iter().zip(&step.padding) {
            dealt.order.extend(members);
            dealt.offsets.push(dealt.order.len() as u32);
            dealt.sizes.push(size);
            dealt.padding.push(pad);
        }
    }
    dealt.held.sort_unstable();
    dealt.dropped.sort_unstable();
    dealt
}

/// One rank: every batch is its own step, with its planned size.
fn one_step_per_batch(batches: &[Vec<u32>], sizes: &[(u32, u32)]) -> Dealt {
    let mut dealt = Dealt {
        world_size: 1,
        offsets: vec![0],
        sizes: sizes.to_vec(),
        padding: vec![0; batches.len()],
        ..Dealt::default()
    };
    for batch in batches {
        dealt.order.extend(batch);
        dealt.offsets.push(dealt.order.len() as u32);
    }
    dealt
}

/// The `count mod w` batches with the fewest samples (later ones on ties) are the leftovers.
/// Returns the other batches' numbers and the leftovers'.
fn split_off_leftovers(batches: &[Vec<u32>], w: usize) -> (Vec<usize>, Vec<usize>) {
    let mut by_len: Vec<usize> = (0..batches.len()).collect();
    sort_by_keys(&mut by_len, |b| {
        (batches[b].len() as u64, 0, u64::MAX - b as u64)
    });
    let leftovers: Vec<usize> = by_len[..batches.len() % w].to_vec();
    let full = (0..batches.len())
        .filter(|b| !leftovers.contains(b))
        .collect();
    (full, leftovers)
}

/// Full steps: batches ordered by the shape of their own size, cut into groups of `w`, the
/// steps then in the strategy's order (by the earliest planned batch they hold).
fn full_steps(full: &[usize], batches: &[Vec<u32>], sizes: &[(u32, u32)], w: usize) -> Vec<Step> {
    let mut keep = full.to_vec();
    sort_by_keys(&mut keep, |b| {
        let (h, wd) = (f64::from(sizes[b].0), f64::from(sizes[b].1));
        (
            total_order(crate::math::ln(wd / h)),
            total_order(crate::math::ln(wd * h)),
            b as u64,
        )
    });
    let mut groups: Vec<&[usize]> = keep.chunks(w).collect();
    groups.sort_by_key(|g| *g.iter().min().expect("steps are full"));
    groups
        .into_iter()
        .map(|g| Step {
            batches: g.iter().map(|&b| batches[b].clone()).collect(),
            padding: vec![0; w],
        })
        .collect()
}

/// Re-cuts the leftover samples into whole steps of batches whose lengths differ by at most one
/// (joining the last full step first when they are fewer than `w`). Returns the empty batches;
/// with `pad` an otherwise empty batch repeats one sample instead.
fn deal_pool(
    ctx: &DealContext<'_>,
    mut pool: Vec<u32>,
    steps: &mut Vec<Step>,
    w: usize,
    pad: bool,
) -> usize {
    if pool.len() < w {
        if let Some(last) = steps.pop() {
            pool.extend(last.batches.into_iter().flatten());
        }
    }
    sort_by_keys(&mut pool, |p| {
        let shape = &ctx.shapes[p as usize];
        (
            total_order(shape.ln_aspect),
            total_order(shape.ln_area),
            u64::from(p),
        )
    });
    let total = pool.len();
    let step_count = total.div_ceil(w * ctx.batch_size.max(1)).max(1);
    let parts = step_count * w;
    let (base, extra) = (total / parts, total % parts);
    let (mut at, mut empty) = (0, 0);
    for s in 0..step_count {
        let mut step = Step {
            batches: Vec::with_capacity(w),
            padding: Vec::with_capacity(w),
        };
        for r in 0..w {
            let part = s * w + r;
            let len = base + usize::from(part < extra);
            let mut members = pool[at..at + len].to_vec();
            at += len;
            let mut repeated = 0;
            if members.is_empty() {
                if pad {
                    members.push(pool[part % total]);
                    repeated = 1;
                } else {
                    empty += 1;
                }
            }
            step.batches.push(members);
            step.padding.push(repeated);
        }
        steps.push(step);
    }
    empty
}

/// Deals a step's samples again so that its batches' source pixels (the decode work) are
/// balanced: largest image first, each to the batch with the fewest pixels so far among those
/// below their length (the greedy "longest processing time first" rule, here with each batch's
/// length fixed, so counts stay as they were). Each batch keeps its samples in the step's
/// original order. A step with repeated samples (`pad`) stays as it is: its repeats must stay last.
fn balance_step(shapes: &[Shape], step: &mut Step) {
    if step.batches.len() < 2 || step.padding.iter().any(|&p| p > 0) {
        return;
    }
    let lengths: Vec<usize> = step.batches.iter().map(Vec::len).collect();
    let union: Vec<u32> = step.batches.concat();
    let pixels = |p: u32| {
        let shape = &shapes[p as usize];
        shape.width * shape.height
    };
    // Largest first; ties in the step's order, so every rank computes the same dealing.
    let mut by_size: Vec<usize> = (0..union.len()).collect();
    sort_by_keys(&mut by_size, |k| {
        (total_order(-pixels(union[k])), 0, k as u64)
    });
    let mut load = vec![0.0f64; lengths.len()];
    let mut owner = vec![0usize; union.len()];
    let mut filled = vec![0usize; lengths.len()];
    for k in by_size {
        let r = (0..lengths.len())
            .filter(|&r| filled[r] < lengths[r])
            .min_by(|&a, &b| load[a].total_cmp(&load[b]).then(a.cmp(&b)))
            .expect("the lengths add up to the union");
        owner[k] = r;
        filled[r] += 1;
        load[r] += pixels(union[k]);
    }
    for (r, batch) in step.batches.iter_mut().enumerate() {
        batch.clear();
        batch.extend(
            union
                .iter()
                .zip(&owner)
                .filter(|(_, &o)| o == r)
                .map(|(&p, _)| p),
        );
    }
}

/// One size per step, from the union of its images. With `maxShapes`, the plan already uses at
/// most that many sizes: each step takes the one of them that wastes least on its images, so the
/// dealing adds no new shape.
fn step_sizes(ctx: &DealContext<'_>, steps: &[Step], sizes: &[(u32, u32)]) -> Vec<(u32, u32)> {
    let mut scratch = SizingScratch::default();
    let mut allowed: Vec<(u32, u32)> = sizes.to_vec();
    allowed.sort_unstable();
    allowed.dedup();
    steps
        .iter()
        .map(|step| {
            let union = step.batches.concat();
            match ctx.max_shapes {
                Some(_) if !allowed.is_empty() => allowed
                    .iter()
                    .map(|&size| (batch_waste(ctx.shapes, &union, size), size))
                    .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
                    .map(|(_, size)| size)
                    .expect("allowed is not empty"),
                _ => resize_size(ctx.shapes, &union, ctx.sizing, &mut scratch),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::{OptionMap, OptionValue};
    use crate::synthetic::seed_benchmark_sizes;
    use crate::{plan, PlanOptions, Samples, StrategyKind};

    fn members_of(d: &Dealt, b: usize) -> &[u32] {
        &d.order[d.offsets[b] as usize..d.offsets[b + 1] as usize]
    }

    /// Shapes, the plan's groups, their sizes, and the sizing used.
    type Setup = (Vec<Shape>, Vec<Vec<u32>>, Vec<(u32, u32)>, Sizing);

    fn setup(n: usize, batch_size: f64) -> Setup {
        let dims = seed_benchmark_sizes(n, 3);
        let widths: Vec<f64> = dims.iter().map(|&(_, w)| f64::from(w)).collect();
        let heights: Vec<f64> = dims.iter().map(|&(h, _)| f64::from(h)).collect();
        let mut entries = OptionMap::new();
        entries.insert("batchSize".into(), OptionValue::Number(batch_size));
        entries.insert("multipleOf".into(), OptionValue::Number(28.0));
        let options = PlanOptions::parse(StrategyKind::Clustered, &entries).unwrap();
        let p = plan(&options, Samples::new(&widths, &heights)).unwrap();
        let shapes: Vec<Shape> = (0..n)
            .map(|i| Shape::new(i, widths[i], heights[i]).unwrap())
            .collect();
        let batches = (0..p.batch_count()).map(|b| p.batch(b).to_vec()).collect();
        (shapes, batches, p.sizes.clone(), options.sizing)
    }

    fn deal_with(n: usize, bs: usize, w: usize, leftover: Leftover) -> (Dealt, Vec<Vec<u32>>) {
        let (shapes, batches, sizes, sizing) = setup(n, bs as f64);
        let ctx = DealContext {
            shapes: &shapes,
            batch_size: bs,
            sizing: &sizing,
            max_shapes: None,
        };
        let options = RankOptions {
            world_size: w,
            rank: 0,
            leftover,
        };
        (deal(&ctx, &batches, &sizes, &options), batches)
    }

    fn check_invariants(d: &Dealt, n: usize, bs: usize) {
        let w = d.world_size;
        assert_eq!(d.sizes.len() % w, 0, "whole steps");
        for step in d.sizes.chunks(w) {
            assert!(step.iter().all(|s| *s == step[0]), "one size per step");
        }
        let mut seen = vec![0u32; n];
        for b in 0..d.sizes.len() {
            let members = members_of(d, b);
            assert!(members.len() <= bs);
            let real = members.len() - d.padding[b] as usize;
            for &p in &members[..real] {
                seen[p as usize] += 1;
            }
        }
        for &p in d.held.iter().chain(&d.dropped) {
            seen[p as usize] += 1;
        }
        assert!(seen.iter().all(|&c| c == 1), "every sample exactly once");
    }

    #[test]
    fn steps_share_one_size_and_cover_every_sample_once() {
        for (n, bs, w) in [
            (1000, 32, 4),
            (1000, 32, 3),
            (257, 16, 8),
            (100, 7, 5),
            (5, 4, 8),
        ] {
            for leftover in [
                Leftover::Split,
                Leftover::Pad,
                Leftover::Drop,
                Leftover::Hold,
            ] {
                let (d, _) = deal_with(n, bs, w, leftover);
                check_invariants(&d, n, bs);
                if leftover == Leftover::Pad {
                    assert_eq!(d.empty, 0);
                    assert!((0..d.sizes.len()).all(|b| !members_of(&d, b).is_empty()));
                }
            }
        }
    }

    #[test]
    fn split_avoids_empty_batches_when_the_pool_allows() {
        for w in [2, 3, 4, 6, 7, 8] {
            let (d, _) = deal_with(1000, 32, w, Leftover::Split);
            assert_eq!(d.empty, 0, "world size {w}");
            assert!(d.dropped.is_empty() && d.held.is_empty());
        }
        // 5 samples, 8 ranks: three ranks must get an empty batch (or a repeat with `pad`).
        let (d, _) = deal_with(5, 4, 8, Leftover::Split);
        assert_eq!((d.sizes.len() / d.world_size, d.empty), (1, 3));
        let (d, _) = deal_with(5, 4, 8, Leftover::Pad);
        assert_eq!(d.padding.iter().sum::<u32>(), 3);
    }

    #[test]
    fn drop_and_hold_report_exactly_the_leftover_batches() {
        // A world size that leaves batches over, whatever count the strategy makes.
        let count = deal_with(1000, 32, 1, Leftover::Drop).1.len();
        let w = (3..).find(|w| count % w > 0).unwrap();
        let (d, batches) = deal_with(1000, 32, w, Leftover::Drop);
        let leftover = batches.len() % w;
        assert!(leftover > 0);
        assert_eq!(d.sizes.len(), batches.len() - leftover);
        let (h, _) = deal_with(1000, 32, w, Leftover::Hold);
        assert_eq!(h.held, d.dropped);
    }

    #[test]
    fn max_shapes_steps_use_only_the_plans_sizes() {
        let (shapes, batches, sizes, sizing) = setup(1000, 16.0);
        let mut distinct = sizes.clone();
        distinct.sort_unstable();
        distinct.dedup();
        let ctx = DealContext {
            shapes: &shapes,
            batch_size: 16,
            sizing: &sizing,
            max_shapes: Some(distinct.len()),
        };
        let options = RankOptions {
            world_size: 4,
            rank: 0,
            leftover: Leftover::Split,
        };
        let d = deal(&ctx, &batches, &sizes, &options);
        check_invariants(&d, 1000, 16);
        assert!(d.sizes.iter().all(|s| distinct.contains(s)));
    }

    #[test]
    fn a_step_balances_source_pixels_and_keeps_lengths_and_union() {
        // Two planned batches of one step: four 12 MP photos, four 0.3 MP ones.
        let sides = [(4032.0, 3024.0); 4].into_iter().chain([(640.0, 480.0); 4]);
        let shapes: Vec<Shape> = sides
            .enumerate()
            .map(|(i, (w, h))| Shape::new(i, w, h).unwrap())
            .collect();
        let sizing = setup(8, 4.0).3;
        let ctx = DealContext {
            shapes: &shapes,
            batch_size: 4,
            sizing: &sizing,
            max_shapes: None,
        };
        let batches = vec![vec![0, 1, 2, 3], vec![4, 5, 6, 7]];
        let options = RankOptions {
            world_size: 2,
            rank: 0,
            leftover: Leftover::Split,
        };
        let d = deal(&ctx, &batches, &[(224, 224), (224, 224)], &options);
        let pixels = |b: usize| -> f64 {
            members_of(&d, b)
                .iter()
                .map(|&p| shapes[p as usize].width * shapes[p as usize].height)
                .sum()
        };
        // Each rank decodes two large and two small images, not one rank all four large ones.
        assert_eq!(members_of(&d, 0), &[0, 2, 4, 6]);
        assert_eq!(members_of(&d, 1), &[1, 3, 5, 7]);
        assert_eq!(pixels(0), pixels(1));
        assert_eq!(d.sizes[0], d.sizes[1]);
    }

    #[test]
    fn one_rank_keeps_the_plan() {
        let (d, batches) = deal_with(300, 32, 1, Leftover::Split);
        assert_eq!(d.sizes.len(), batches.len());
        assert_eq!(
            (0..batches.len())
                .map(|b| members_of(&d, b).to_vec())
                .collect::<Vec<_>>(),
            batches
        );
    }

    #[test]
    fn parses_and_checks_options() {
        let mut e = OptionMap::new();
        e.insert("worldSize".into(), OptionValue::Number(4.0));
        e.insert("rank".into(), OptionValue::Number(4.0));
        assert!(RankOptions::parse(&e)
            .unwrap_err()
            .to_string()
            .contains("below worldSize"));
        e.insert("rank".into(), OptionValue::Number(3.0));
        e.insert("leftover".into(), OptionValue::Text("pad".into()));
        assert_eq!(RankOptions::parse(&e).unwrap().leftover, Leftover::Pad);
        e.insert("bogus".into(), OptionValue::Bool(true));
        assert!(RankOptions::parse(&e).is_err());
    }
}
