//! Hashes every strategy's plan over the real size lists (bench/data) and the synthetic protocol, for
//! a change that must keep every plan: run it before and after and compare the output
//! (`cargo run --release -p mm-batcher-core --example plan_hashes > plans.txt`).
use mm_batcher_core::{
    plan, synthetic, OptionMap, OptionValue, Plan, PlanOptions, Samples, StrategyKind,
};

fn fnv(h: &mut u64, x: u64) {
    for b in x.to_le_bytes() {
        *h ^= u64::from(b);
        *h = h.wrapping_mul(0x100000001b3);
    }
}

fn hash_plan(p: &Plan) -> u64 {
    let mut h = 0xcbf29ce484222325u64;
    fnv(&mut h, p.order.len() as u64);
    for &o in &p.order {
        fnv(&mut h, u64::from(o));
    }
    fnv(&mut h, p.offsets.len() as u64);
    for &o in &p.offsets {
        fnv(&mut h, u64::from(o));
    }
    for &(a, b) in &p.sizes {
        fnv(&mut h, u64::from(a));
        fnv(&mut h, u64::from(b));
    }
    fnv(&mut h, p.rejects.len() as u64);
    h
}

fn load(file: &str) -> Vec<(u32, u32)> {
    let text = std::fs::read_to_string(file).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["sizes"]
        .as_array()
        .unwrap()
        .iter()
        .take(5000)
        .map(|p| (p[0].as_u64().unwrap() as u32, p[1].as_u64().unwrap() as u32))
        .collect()
}

fn main() {
    let dir = format!("{}/../../bench/data", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            (p.extension().is_some_and(|x| x == "json")).then_some(p)
        })
        .collect();
    files.sort();
    let mut sets: Vec<(String, Vec<(u32, u32)>)> = files
        .iter()
        .map(|p| {
            (
                p.file_stem().unwrap().to_string_lossy().into_owned(),
                load(p.to_str().unwrap()),
            )
        })
        .collect();
    sets.push((
        "synthetic-seed0".into(),
        synthetic::seed_benchmark_sizes(5000, 0),
    ));
    type Cfg = (&'static str, StrategyKind, Vec<(&'static str, OptionValue)>);
    let s = |x: &str| OptionValue::Text(x.into());
    let n = OptionValue::Number;
    let configs: Vec<Cfg> = vec![
        ("simple", StrategyKind::Simple, vec![]),
        ("sorted", StrategyKind::Sorted, vec![]),
        (
            "sorted-area",
            StrategyKind::Sorted,
            vec![("key", s("area"))],
        ),
        ("clustered", StrategyKind::Clustered, vec![]),
        (
            "clustered-seed3-k-iter10",
            StrategyKind::Clustered,
            vec![("seed", n(3.0)), ("maxIterations", n(10.0))],
        ),
        (
            "clustered-minimax",
            StrategyKind::Clustered,
            vec![("sizing", s("minimax"))],
        ),
        ("balanced", StrategyKind::Balanced, vec![]),
        (
            "balanced-fill1",
            StrategyKind::Balanced,
            vec![("minFill", n(1.0))],
        ),
        (
            "balanced-fill0.9",
            StrategyKind::Balanced,
            vec![("minFill", n(0.9))],
        ),
        (
            "balanced-fill0.8",
            StrategyKind::Balanced,
            vec![("minFill", n(0.8))],
        ),
        (
            "balanced-fill0.6",
            StrategyKind::Balanced,
            vec![("minFill", n(0.6))],
        ),
        (
            "balanced-refine0",
            StrategyKind::Balanced,
            vec![("refinePasses", n(0.0))],
        ),
        (
            "balanced-minimax",
            StrategyKind::Balanced,
            vec![("sizing", s("minimax"))],
        ),
    ];
    let mut all = 0xcbf29ce484222325u64;
    let mut run = |name: &str,
                   sizes: &[(u32, u32)],
                   buffer: usize,
                   batch: usize,
                   multiple: u32,
                   cfg: &Cfg| {
        let heights: Vec<f64> = sizes.iter().map(|s| f64::from(s.0)).collect();
        let widths: Vec<f64> = sizes.iter().map(|s| f64::from(s.1)).collect();
        let mut map: OptionMap = cfg
            .2
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        map.insert("batchSize".into(), n(batch as f64));
        map.insert("multipleOf".into(), n(f64::from(multiple)));
        let opts = PlanOptions::parse(cfg.1, &map).unwrap();
        let mut h = 0xcbf29ce484222325u64;
        for first in (0..sizes.len()).step_by(buffer) {
            let last = (first + buffer).min(sizes.len());
            let p = plan(
                &opts,
                Samples::new(&widths[first..last], &heights[first..last]),
            )
            .unwrap();
            fnv(&mut h, hash_plan(&p));
        }
        fnv(&mut all, h);
        println!(
            "{name} buffer {buffer} batch {batch} multipleOf {multiple} {}: {h:016x}",
            cfg.0
        );
    };
    for (name, sizes) in &sets {
        for buffer in [32, 128, 512, 1024, 5000] {
            for multiple in [1, 28] {
                for cfg in &configs {
                    run(name, sizes, buffer, 32, multiple, cfg);
                }
            }
        }
        for multiple in [1, 28] {
            for cfg in &configs {
                run(name, sizes, 512, 8, multiple, cfg);
            }
        }
    }
    // Past the polish's region (8,192 samples): one buffer of 20,000.
    let big = synthetic::seed_benchmark_sizes(20000, 1);
    for multiple in [1, 28] {
        for cfg in &configs {
            if matches!(cfg.1, StrategyKind::Clustered | StrategyKind::Balanced) && cfg.2.len() <= 1
            {
                run("synthetic-seed1-20000", &big, 20000, 32, multiple, cfg);
            }
        }
    }
    println!("ALL {all:016x}");
}
