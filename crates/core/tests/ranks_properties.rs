//! Properties of dealing a plan to data-parallel ranks, for any input, strategy and world size.

use mm_batcher_core::ranks::{deal, DealContext, Leftover, RankOptions};
use mm_batcher_core::smart_resize::smart_resize;
use mm_batcher_core::{plan, OptionMap, OptionValue, PlanOptions, Samples, Shape, StrategyKind};
use proptest::prelude::*;

const KINDS: [StrategyKind; 4] = [
    StrategyKind::Simple,
    StrategyKind::Sorted,
    StrategyKind::Clustered,
    StrategyKind::Balanced,
];
const LEFTOVERS: [Leftover; 4] = [
    Leftover::Split,
    Leftover::Pad,
    Leftover::Drop,
    Leftover::Hold,
];

fn sides() -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
    let side = prop_oneof![8 => 1u32..4096, 1 => Just(1u32), 1 => 1u32..100_000];
    prop::collection::vec((side.clone(), side), 1..200).prop_map(|v| {
        (
            // Within the pixel limit (MAX_IMAGE_PIXELS): larger sizes are refused by planning.
            v.iter()
                .map(|p| {
                    f64::from(p.0).min(
                        (mm_batcher_core::formats::MAX_IMAGE_PIXELS as f64 / f64::from(p.1))
                            .floor(),
                    )
                })
                .collect(),
            v.iter().map(|p| f64::from(p.1)).collect(),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn equal_steps_one_size_per_step_every_sample_once(
        (widths, heights) in sides(),
        batch_size in 1usize..20,
        world_size in 1usize..10,
        multiple_of in 1u32..40,
        max_shapes in prop::option::of(1usize..4),
    ) {
        let n = widths.len();
        for kind in KINDS {
            let mut entries = OptionMap::new();
            entries.insert("batchSize".into(), OptionValue::Number(batch_size as f64));
            entries.insert("multipleOf".into(), OptionValue::Number(f64::from(multiple_of)));
            if let Some(k) = max_shapes {
                entries.insert("maxShapes".into(), OptionValue::Number(k as f64));
            }
            let options = PlanOptions::parse(kind, &entries).unwrap();
            let p = plan(&options, Samples::new(&widths, &heights)).unwrap();
            let shapes: Vec<Shape> = (0..n).map(|i| Shape::new(i, widths[i], heights[i]).unwrap()).collect();
            let batches: Vec<Vec<u32>> = (0..p.batch_count()).map(|b| p.batch(b).to_vec()).collect();
            let mut plan_sizes = p.sizes.clone();
            plan_sizes.sort_unstable();
            plan_sizes.dedup();
            for leftover in LEFTOVERS {
                let ctx = DealContext { shapes: &shapes, batch_size, sizing: &options.sizing, max_shapes };
                let rank_options = RankOptions { world_size, rank: 0, leftover };
                let d = deal(&ctx, &batches, &p.sizes, &rank_options);
                prop_assert_eq!(d.sizes.len() % world_size, 0, "whole steps");
                let mut seen = vec![0u32; n];
                for (s, step) in d.sizes.chunks(world_size).enumerate() {
                    prop_assert!(step.iter().all(|&x| x == step[0]), "step {} shares one size", s);
                    let (h, w) = step[0];
                    prop_assert!(h % multiple_of == 0 && w % multiple_of == 0);
                    if max_shapes.is_some() {
                        prop_assert!(plan_sizes.contains(&step[0]), "no new shape with maxShapes");
                    }
                }
                let mut empty = 0;
                for b in 0..d.sizes.len() {
                    let members = &d.order[d.offsets[b] as usize..d.offsets[b + 1] as usize];
                    prop_assert!(members.len() <= batch_size);
                    if members.is_empty() {
                        empty += 1;
                    }
                    for &i in &members[..members.len() - d.padding[b] as usize] {
                        seen[i as usize] += 1;
                    }
                }
                prop_assert_eq!(empty, d.empty);
                if leftover == Leftover::Pad {
                    prop_assert_eq!(empty, 0);
                }
                if matches!(leftover, Leftover::Split | Leftover::Pad) {
                    prop_assert!(d.dropped.is_empty() && d.held.is_empty());
                    // Empty batches only where the data cannot give every rank a sample.
                    if empty > 0 {
                        prop_assert!(n < world_size || batch_size == 1);
                    }
                }
                for &i in d.dropped.iter().chain(&d.held) {
                    seen[i as usize] += 1;
                }
                prop_assert!(seen.iter().all(|&c| c == 1), "every sample exactly once");
                let again = deal(&ctx, &batches, &p.sizes, &rank_options);
                prop_assert_eq!(&d, &again, "deterministic");
            }
        }
    }

    #[test]
    fn smart_resize_stays_on_the_grid_and_within_bounds(
        h in 1u32..20_000,
        w in 1u32..20_000,
    ) {
        let (rh, rw) = smart_resize(f64::from(h), f64::from(w), 28, Some(3136.0), Some(1_003_520.0));
        prop_assert!(rh % 28 == 0 && rw % 28 == 0 && rh >= 28 && rw >= 28);
        // The published rule keeps max_pixels unless the 28-pixel floor of a side forces more.
        let ratio = f64::from(h.max(w)) / f64::from(h.min(w));
        if ratio <= 200.0 && h.min(w) >= 28 {
            prop_assert!(f64::from(rh) * f64::from(rw) <= 1_003_520.0);
        }
    }
}
