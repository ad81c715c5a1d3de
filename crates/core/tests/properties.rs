//! Properties every plan has, for every strategy and any input.

mod common;

use mm_batcher_core::sizing::{resize_size, SizingScratch};
use mm_batcher_core::{
    evaluate, plan, synthetic, OptionMap, OptionValue, Plan, PlanError, PlanOptions, Samples,
    SizeMode, Sizing, StrategyKind,
};
use proptest::prelude::*;

const KINDS: [StrategyKind; 3] = [
    StrategyKind::Simple,
    StrategyKind::Sorted,
    StrategyKind::Clustered,
];

fn options(kind: StrategyKind, entries: &[(&str, OptionValue)]) -> PlanOptions {
    let map: OptionMap = entries
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    PlanOptions::parse(kind, &map).unwrap()
}

fn num(x: f64) -> OptionValue {
    OptionValue::Number(x)
}

fn sides() -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
    // Mostly photo-like sizes, some extreme ones (up to the pixel limit: a 1 x 89,478,485 strip
    // is valid), and repeats (k-means on duplicates).
    let side = prop_oneof![8 => 1u32..4096, 1 => Just(1u32), 1 => 1u32..=2_147_483_647];
    prop::collection::vec((side.clone(), side), 0..300).prop_map(|v| {
        let limit = mm_batcher_core::formats::MAX_IMAGE_PIXELS as f64;
        let widths = v
            .iter()
            .map(|p| {
                f64::from(p.0)
                    .min((limit / f64::from(p.1)).floor())
                    .max(1.0)
            })
            .collect();
        let heights = v.iter().map(|p| f64::from(p.1).min(limit)).collect();
        (widths, heights)
    })
}

/// Buffers as photo collections are: a few common sizes, repeated exactly or nearly, and up to
/// 15% outliers (panoramas, strips) that no batch of photos suits, the case where Balanced
/// batches outliers as the median split does.
fn photos_with_outliers() -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
    const COMMON: [(u32, u32); 6] = [
        (640, 480),
        (480, 640),
        (500, 375),
        (1024, 768),
        (1920, 1080),
        (612, 612),
    ];
    let photo = (0..COMMON.len(), prop::bool::ANY, 0.85f64..1.15).prop_map(|(k, exact, jitter)| {
        let (w, h) = COMMON[k];
        if exact {
            (w, h)
        } else {
            let scale = |side: u32| (f64::from(side) * jitter).round().max(1.0) as u32;
            (scale(w), h)
        }
    });
    let outlier = (500u32..6000, 20u32..400, prop::bool::ANY).prop_map(|(long, short, wide)| {
        if wide {
            (long, short)
        } else {
            (short, long)
        }
    });
    (0u32..16).prop_flat_map(move |outliers_in_100| {
        let sample = prop_oneof![
            (100 - outliers_in_100) => photo.clone(),
            outliers_in_100.max(1) => outlier.clone(),
        ];
        prop::collection::vec(sample, 1..300).prop_map(|v| {
            let widths = v.iter().map(|p| f64::from(p.0)).collect();
            let heights = v.iter().map(|p| f64::from(p.1)).collect();
            (widths, heights)
        })
    })
}

fn check_partition(plan: &Plan, n: usize, batch_size: usize) {
    let mut seen = vec![0u32; n];
    for b in 0..plan.batch_count() {
        let batch = plan.batch(b);
        assert!(!batch.is_empty(), "empty batch {b}");
        assert!(
            batch.len() <= batch_size,
            "batch {b} has {} > {batch_size}",
            batch.len()
        );
        for &i in batch {
            seen[i as usize] += 1;
        }
    }
    assert!(seen.iter().all(|&c| c == 1), "every index exactly once");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn every_index_once_and_batches_bounded(
        (widths, heights) in sides(),
        batch_size in 1usize..40,
        multiple_of in 1u32..64,
        seed in 0u64..1000,
    ) {
        for kind in KINDS {
            let mut entries = vec![("batchSize", num(batch_size as f64)), ("multipleOf", num(f64::from(multiple_of)))];
            if kind == StrategyKind::Clustered {
                entries.push(("seed", num(seed as f64)));
            }
            let opts = options(kind, &entries);
            let p = plan(&opts, Samples::new(&widths, &heights)).unwrap();
            check_partition(&p, widths.len(), batch_size);
            prop_assert!(p.rejects.is_empty());
            for &(h, w) in &p.sizes {
                prop_assert!(h >= multiple_of && w >= multiple_of);
                prop_assert_eq!(h % multiple_of, 0);
                prop_assert_eq!(w % multiple_of, 0);
            }
            let again = plan(&opts, Samples::new(&widths, &heights)).unwrap();
            prop_assert_eq!(&p, &again, "same input, same seed, same plan");

            let m = evaluate(Samples::new(&widths, &heights), &p, Some(batch_size), None).unwrap();
            for v in [m.distortion.p50, m.distortion.p95, m.distortion.max, m.scale_mismatch.p50, m.scale_mismatch.p95,
                      m.scale_mismatch.max, m.resize_waste.p50, m.resize_waste.p95, m.resize_waste.max] {
                prop_assert!(v >= 1.0, "metric {} < 1", v);
            }
            prop_assert!(m.fill > 0.0 && m.fill <= 1.0);
        }
    }

    #[test]
    fn resize_size_respects_pixel_bounds(
        (widths, heights) in sides(),
        multiple_of in 1u32..64,
        min_pixels in prop::option::of(1u64..4_000_000),
        max_extra in prop::option::of(0u64..4_000_000),
    ) {
        let m2 = u64::from(multiple_of).pow(2);
        let max_pixels = max_extra.map(|e| min_pixels.unwrap_or(1).max(m2) + e);
        let mut entries = vec![("batchSize", num(16.0)), ("multipleOf", num(f64::from(multiple_of)))];
        if let Some(min) = min_pixels { entries.push(("minPixels", num(min as f64))); }
        if let Some(max) = max_pixels { entries.push(("maxPixels", num(max as f64))); }
        let p = plan(&options(StrategyKind::Sorted, &entries), Samples::new(&widths, &heights)).unwrap();
        for &(h, w) in &p.sizes {
            let area = u64::from(h) * u64::from(w);
            prop_assert!(h % multiple_of == 0 && w % multiple_of == 0);
            if let Some(max) = max_pixels {
                prop_assert!(area <= max, "{}x{} above maxPixels {}", h, w, max);
            }
            if let Some(min) = min_pixels {
                // minPixels holds unless one more step of the shorter side would break maxPixels.
                let step = u64::from(multiple_of) * u64::from(h.max(w));
                let blocked = max_pixels.is_some_and(|max| area + step > max);
                prop_assert!(area >= min || blocked, "{}x{} below minPixels {}", h, w, min);
            }
        }
    }

    #[test]
    fn token_budgets_and_shape_caps_hold(
        (widths, heights) in sides(),
        patch in prop_oneof![Just(14u32), Just(16), Just(28)],
        max_tokens in 256u64..20_000,
        batch_size in prop::option::of(1usize..40),
        max_shapes in prop::option::of(1usize..6),
    ) {
        for kind in KINDS {
            let mut entries = vec![
                ("maxTokens", num(max_tokens as f64)),
                ("patchSize", num(f64::from(patch))),
                ("maxPixels", num(f64::from(patch * patch) * (max_tokens as f64) / 2.0)),
                ("skipInvalid", OptionValue::Bool(true)),
            ];
            if let Some(b) = batch_size { entries.push(("batchSize", num(b as f64))); }
            if let Some(k) = max_shapes { entries.push(("maxShapes", num(k as f64))); }
            let opts = options(kind, &entries);
            let p = plan(&opts, Samples::new(&widths, &heights)).unwrap();
            // Every sample once: in a batch, or rejected as over the budget.
            let mut seen = vec![0u32; widths.len()];
            for &i in &p.order { seen[i as usize] += 1; }
            for r in &p.rejects { seen[r.index] += 1; }
            prop_assert!(seen.iter().all(|&c| c == 1));
            let mut distinct = p.sizes.clone();
            distinct.sort_unstable();
            distinct.dedup();
            if let Some(k) = max_shapes { prop_assert!(distinct.len() <= k, "{} shapes > {}", distinct.len(), k); }
            for b in 0..p.batch_count() {
                let (h, w) = p.sizes[b];
                prop_assert!(h % patch == 0 && w % patch == 0);
                let tokens = u64::from(h / patch) * u64::from(w / patch) * p.batch(b).len() as u64;
                prop_assert!(tokens <= max_tokens, "batch {} uses {} > {}", b, tokens, max_tokens);
                if let Some(cap) = batch_size { prop_assert!(p.batch(b).len() <= cap); }
            }
        }
    }

    #[test]
    fn invalid_sides_are_rejected_never_panic(
        (mut widths, mut heights) in sides(),
        bad in prop_oneof![Just(0.0), Just(-3.0), Just(f64::NAN), Just(f64::INFINITY), Just(2.5), Just(4_294_967_296.0)],
        at in any::<prop::sample::Index>(),
        height_side in any::<bool>(),
    ) {
        widths.push(10.0);
        heights.push(10.0);
        let i = at.index(widths.len());
        if height_side { heights[i] = bad } else { widths[i] = bad }
        for kind in KINDS {
            let strict = options(kind, &[("batchSize", num(8.0))]);
            match plan(&strict, Samples::new(&widths, &heights)) {
                Err(PlanError::Sample(r)) => prop_assert_eq!(r.index, i),
                other => prop_assert!(false, "expected a sample error, got {:?}", other),
            }
            let skipping = options(kind, &[("batchSize", num(8.0)), ("skipInvalid", OptionValue::Bool(true))]);
            let p = plan(&skipping, Samples::new(&widths, &heights)).unwrap();
            prop_assert_eq!(p.rejects.len(), 1);
            prop_assert_eq!(p.rejects[0].index, i);
            prop_assert_eq!(p.order.len(), widths.len() - 1);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Every batch's `resizeSize` is the one its own members give under the sizing options, for
    /// every strategy: Clustered and Balanced hand the plan the sizes their polish passes computed
    /// (Balanced's reordered with its batches, its k-means candidates' too below `minFill` 0.85),
    /// and those must be what sizing the batch again would give.
    #[test]
    fn every_batch_has_its_own_members_size(
        (widths, heights) in sides(),
        batch_size in 1usize..40,
        multiple_of in 1u32..64,
        min_fill in prop::sample::select(vec![1.0, 0.95, 0.6]),
        minimax in any::<bool>(),
    ) {
        let shapes = common::shapes_of(&widths, &heights);
        let sizing = Sizing {
            mode: if minimax { SizeMode::Minimax } else { SizeMode::Median },
            multiple_of,
            ..Sizing::default()
        };
        let mode = OptionValue::Text(if minimax { "minimax" } else { "median" }.into());
        let mut scratch = SizingScratch::default();
        for kind in [StrategyKind::Simple, StrategyKind::Sorted, StrategyKind::Clustered, StrategyKind::Balanced] {
            let mut entries = vec![
                ("batchSize", num(batch_size as f64)),
                ("multipleOf", num(f64::from(multiple_of))),
                ("sizing", mode.clone()),
            ];
            if kind == StrategyKind::Balanced {
                entries.push(("minFill", num(min_fill)));
            }
            let p = plan(&options(kind, &entries), Samples::new(&widths, &heights)).unwrap();
            for b in 0..p.batch_count() {
                let own = resize_size(&shapes, p.batch(b), &sizing, &mut scratch);
                prop_assert_eq!(p.sizes[b], own, "{:?} batch {}", kind, b);
            }
        }
    }

    /// Balanced, at any `minFill`, never serves a buffer worse than the recursive median split:
    /// neither its p95 nor its max resize waste is higher (the split is its floor).
    #[test]
    fn balanced_never_serves_worse_than_the_median_split(
        (widths, heights) in prop_oneof![sides(), photos_with_outliers()],
        batch_size in 1usize..40,
        multiple_of in 1u32..64,
        min_fill in prop::sample::select(vec![1.0, 0.95, 0.8, 0.6]),
    ) {
        prop_assume!(!widths.is_empty());
        let opts = options(StrategyKind::Balanced, &[
            ("batchSize", num(batch_size as f64)),
            ("multipleOf", num(f64::from(multiple_of))),
            ("minFill", num(min_fill)),
        ]);
        let samples = Samples::new(&widths, &heights);
        let ours = plan(&opts, samples).unwrap();
        let shapes = common::shapes_of(&widths, &heights);
        let groups = common::median_split_groups(&shapes, batch_size);
        let split = common::plan_from_groups(&shapes, &groups, batch_size, multiple_of);
        let ours = evaluate(samples, &ours, Some(batch_size), None).unwrap().resize_waste;
        let split = evaluate(samples, &split, Some(batch_size), None).unwrap().resize_waste;
        prop_assert!(ours.p95 <= split.p95 * (1.0 + 1e-9), "p95 {} > {}", ours.p95, split.p95);
        prop_assert!(ours.max <= split.max * (1.0 + 1e-9), "max {} > {}", ours.max, split.max);
    }

    /// A lower `minFill` never gives a buffer a higher p95 resize waste, outliers or not.
    #[test]
    fn lower_min_fill_never_raises_a_buffers_p95(
        (widths, heights) in prop_oneof![sides(), photos_with_outliers()],
        batch_size in 1usize..40,
        multiple_of in prop::sample::select(vec![1u32, 28]),
    ) {
        let samples = Samples::new(&widths, &heights);
        let mut last = f64::INFINITY;
        for min_fill in [1.0, 0.95, 0.9, 0.8, 0.6] {
            let opts = options(StrategyKind::Balanced, &[
                ("batchSize", num(batch_size as f64)),
                ("multipleOf", num(f64::from(multiple_of))),
                ("minFill", num(min_fill)),
            ]);
            let p = plan(&opts, samples).unwrap();
            let p95 = evaluate(samples, &p, Some(batch_size), None).unwrap().resize_waste.p95;
            prop_assert!(p95 <= last * (1.0 + 1e-9), "minFill {}: p95 {} > {}", min_fill, p95, last);
            last = p95;
        }
    }
}

#[test]
fn empty_buffer_gives_no_batches() {
    for kind in KINDS {
        let p = plan(
            &options(kind, &[("batchSize", num(4.0))]),
            Samples::new(&[], &[]),
        )
        .unwrap();
        assert_eq!(p.batch_count(), 0);
        assert_eq!(p.offsets, vec![0]);
    }
}

#[test]
fn sorted_batches_follow_the_key() {
    let widths: Vec<f64> = (1..=50).map(|i| f64::from(i * 37 % 101 + 1)).collect();
    let heights: Vec<f64> = (1..=50).map(|i| f64::from(i * 53 % 97 + 1)).collect();
    let keys: Vec<f64> = (0..50).map(|i| f64::from((i * 7) % 50)).collect();
    let mut custom = OptionMap::new();
    custom.insert("batchSize".into(), num(6.0));
    custom.insert("key".into(), OptionValue::Text("custom".into()));
    let opts = PlanOptions::parse(StrategyKind::Sorted, &custom).unwrap();
    let p = plan(
        &opts,
        Samples {
            keys: Some(&keys),
            ..Samples::new(&widths, &heights)
        },
    )
    .unwrap();
    let ordered: Vec<f64> = p.order.iter().map(|&i| keys[i as usize]).collect();
    assert!(ordered.windows(2).all(|w| w[0] <= w[1]));

    let p = plan(
        &options(StrategyKind::Sorted, &[("batchSize", num(6.0))]),
        Samples::new(&widths, &heights),
    )
    .unwrap();
    let aspects: Vec<f64> = p
        .order
        .iter()
        .map(|&i| widths[i as usize] / heights[i as usize])
        .collect();
    assert!(aspects.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn clustered_beats_simple_on_the_seed_benchmark() {
    let sizes = synthetic::seed_benchmark_sizes(5000, 0);
    let heights: Vec<f64> = sizes.iter().map(|s| f64::from(s.0)).collect();
    let widths: Vec<f64> = sizes.iter().map(|s| f64::from(s.1)).collect();
    let p95 = |kind| {
        let p = plan(
            &options(kind, &[("batchSize", num(32.0))]),
            Samples::new(&widths, &heights),
        )
        .unwrap();
        evaluate(Samples::new(&widths, &heights), &p, Some(32), None)
            .unwrap()
            .resize_waste
            .p95
    };
    let (simple, clustered) = (p95(StrategyKind::Simple), p95(StrategyKind::Clustered));
    assert!(
        clustered < simple * 0.8,
        "clustered p95 r {clustered} vs simple {simple}"
    );
}

#[test]
fn option_errors_name_the_option() {
    type Case = (StrategyKind, Vec<(&'static str, OptionValue)>, &'static str);
    let cases: Vec<Case> = vec![
        (StrategyKind::Simple, vec![], "batchSize"),
        (
            StrategyKind::Simple,
            vec![("batchSize", num(0.0))],
            "batchSize",
        ),
        (
            StrategyKind::Simple,
            vec![("batchSize", num(-2.0))],
            "batchSize",
        ),
        (
            StrategyKind::Simple,
            vec![("batchSize", num(1.5))],
            "batchSize",
        ),
        (
            StrategyKind::Simple,
            vec![("batchSize", OptionValue::Text("8".into()))],
            "batchSize",
        ),
        (
            StrategyKind::Simple,
            vec![("batchSize", num(8.0)), ("batchsize", num(8.0))],
            "batchsize",
        ),
        (
            StrategyKind::Simple,
            vec![("batchSize", num(8.0)), ("seed", num(1.0))],
            "seed",
        ),
        (
            StrategyKind::Sorted,
            vec![
                ("batchSize", num(8.0)),
                ("key", OptionValue::Text("height".into())),
            ],
            "key",
        ),
        (
            StrategyKind::Simple,
            vec![
                ("batchSize", num(8.0)),
                ("sizing", OptionValue::Text("mean".into())),
            ],
            "sizing",
        ),
        (
            StrategyKind::Clustered,
            vec![("batchSize", num(8.0)), ("numClusters", num(0.0))],
            "numClusters",
        ),
        (
            StrategyKind::Simple,
            vec![
                ("batchSize", num(8.0)),
                ("multipleOf", num(28.0)),
                ("maxPixels", num(700.0)),
            ],
            "maxPixels",
        ),
        (
            StrategyKind::Simple,
            vec![
                ("batchSize", num(8.0)),
                ("minPixels", num(9.0)),
                ("maxPixels", num(8.0)),
            ],
            "minPixels",
        ),
    ];
    for (kind, entries, name) in cases {
        let map: OptionMap = entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        match PlanOptions::parse(kind, &map) {
            Err(PlanError::Option(e)) => assert_eq!(e.option, name),
            other => panic!("{entries:?}: expected an error on {name}, got {other:?}"),
        }
    }
}

#[test]
fn seed_benchmark_data_is_in_range_and_reproducible() {
    let a = synthetic::seed_benchmark_sizes(1000, 7);
    assert_eq!(a, synthetic::seed_benchmark_sizes(1000, 7));
    assert!(a
        .iter()
        .all(|&(h, w)| (224..=1024).contains(&h) && (224..=1024).contains(&w)));
    assert_ne!(a, synthetic::seed_benchmark_sizes(1000, 8));
}
