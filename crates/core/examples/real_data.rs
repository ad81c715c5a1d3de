//! Real-data protocol (SPEC "Real data"), natively: every strategy and the two reference peers
//! on the real size lists in `bench/data/` and a generated mixture; then the synthetic seed
//! protocol (quality and planning cost per sample).
//!
//!     cargo run --release -p mm-batcher-core --example real_data [-- --only coco --synthetic-only]
//!
//! Every image is scored with the crate's own `evaluate` (the SPEC metrics). Planning time is
//! native wall time of `plan` per sample (a proxy for the wasm cost, without boundary crossings).
//! PEERS come through `tests/common/mod.rs`: the converged k-means (a yardstick, not library code)
//! and the recursive median split (the crate's own, Balanced's floor).

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use common::{
    append_plan, converged_kmeans_groups, datasets, median_split_groups, plan_from_groups,
    shapes_of, Dataset,
};
use mm_batcher_core::{
    evaluate, plan, synthetic, Metrics, OptionMap, OptionValue, Plan, PlanOptions, Samples,
    StrategyKind,
};

const BATCH: usize = 32;
const MIN_FILLS: [f64; 6] = [1.0, 0.95, 0.9, 0.8, 0.7, 0.6];
/// `numClusters` sweep, as a multiple of `ceil(buffer / batchSize)`.
const CLUSTER_FACTORS: [f64; 5] = [0.5, 0.75, 1.0, 1.5, 2.0];

#[derive(Clone)]
enum Method {
    Library {
        kind: StrategyKind,
        options: Vec<(&'static str, OptionValue)>,
        /// `numClusters` as a multiple of ceil(buffer / batch), resolved per buffer.
        cluster_factor: Option<f64>,
    },
    MedianSplit,
    KMeans,
}

struct Row {
    name: String,
    metrics: Metrics,
    us_per_sample: f64,
}

fn library(kind: StrategyKind, options: Vec<(&'static str, OptionValue)>) -> Method {
    Method::Library {
        kind,
        options,
        cluster_factor: None,
    }
}

fn num(x: f64) -> OptionValue {
    OptionValue::Number(x)
}

/// Plans the first `widths.len()` samples in consecutive buffers of `buffer`, each on its own,
/// and scores the union. Returns the metrics and the planning time per sample.
fn run(
    method: &Method,
    widths: &[f64],
    heights: &[f64],
    buffer: usize,
    multiple_of: u32,
    repeats: usize,
) -> (Metrics, f64) {
    let n = widths.len();
    let mut best_time = f64::INFINITY;
    let mut whole = Plan::default();
    for _ in 0..repeats {
        whole = Plan {
            offsets: vec![0],
            ..Plan::default()
        };
        let mut time = 0.0;
        for first in (0..n).step_by(buffer) {
            let last = (first + buffer).min(n);
            let (w, h) = (&widths[first..last], &heights[first..last]);
            let start = Instant::now();
            let part = match method {
                Method::Library {
                    kind,
                    options,
                    cluster_factor,
                } => {
                    let mut map: OptionMap = options
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.clone()))
                        .collect();
                    map.insert("batchSize".into(), num(BATCH as f64));
                    map.insert("multipleOf".into(), num(f64::from(multiple_of)));
                    if let Some(f) = cluster_factor {
                        let k = (f * (last - first).div_ceil(BATCH) as f64).round().max(1.0);
                        map.insert("numClusters".into(), num(k));
                    }
                    let opts = PlanOptions::parse(*kind, &map).expect("valid options");
                    plan(&opts, Samples::new(w, h)).expect("a plan")
                }
                Method::MedianSplit => {
                    let shapes = shapes_of(w, h);
                    let groups = median_split_groups(&shapes, BATCH);
                    plan_from_groups(&shapes, &groups, BATCH, multiple_of)
                }
                Method::KMeans => {
                    let shapes = shapes_of(w, h);
                    let groups = converged_kmeans_groups(&shapes, BATCH, 0);
                    plan_from_groups(&shapes, &groups, BATCH, multiple_of)
                }
            };
            time += start.elapsed().as_secs_f64();
            append_plan(&mut whole, &part, first as u32);
        }
        best_time = best_time.min(time);
    }
    let metrics =
        evaluate(Samples::new(widths, heights), &whole, Some(BATCH), None).expect("a valid plan");
    (metrics, best_time * 1e6 / n as f64)
}

fn print_row(row: &Row) {
    let r = row.metrics.resize_waste;
    println!(
        "  {:<34} fill {:.3}  r p50 {:6.3}  p95 {:7.3}  max {:8.3}  {:8.2} us/sample",
        row.name, row.metrics.fill, r.p50, r.p95, r.max, row.us_per_sample
    );
}

struct Cell {
    dataset: String,
    buffer: usize,
    multiple_of: u32,
    best: Metrics,
    median_split: Metrics,
    sorted: Metrics,
    clustered: Metrics,
    kmeans: Metrics,
    goals: [bool; 5],
}

fn real_cell(data: &Dataset, buffer: usize, multiple_of: u32) -> Cell {
    let (widths, heights) = (data.widths(), data.heights());
    let n = widths.len();
    let shown = if buffer >= n { n } else { buffer };
    println!(
        "\n== {} | buffer {} | multipleOf {} ==",
        data.name, shown, multiple_of
    );
    let mut rows: Vec<Row> = Vec::new();
    let mut go = |name: String, method: &Method| {
        let (metrics, us) = run(method, &widths, &heights, buffer, multiple_of, 1);
        let row = Row {
            name,
            metrics,
            us_per_sample: us,
        };
        print_row(&row);
        rows.push(row);
        metrics
    };
    let sorted = go("Sorted".into(), &library(StrategyKind::Sorted, vec![]));
    let clustered = go(
        "Clustered (defaults)".into(),
        &library(StrategyKind::Clustered, vec![]),
    );
    let best = go(
        "Balanced (defaults)".into(),
        &library(StrategyKind::Balanced, vec![]),
    );
    let mut sweep = Vec::new();
    for min_fill in MIN_FILLS {
        sweep.push(go(
            format!("Balanced minFill {min_fill}"),
            &library(StrategyKind::Balanced, vec![("minFill", num(min_fill))]),
        ));
    }
    for f in CLUSTER_FACTORS {
        go(
            format!("Clustered numClusters {f} x n/32"),
            &Method::Library {
                kind: StrategyKind::Clustered,
                options: vec![],
                cluster_factor: Some(f),
            },
        );
    }
    let median_split = go("PEER median split".into(), &Method::MedianSplit);
    let kmeans = go("PEER converged k-means".into(), &Method::KMeans);
    let at_kmeans_fill = go(
        format!("Balanced minFill {:.4} (k-means fill)", kmeans.fill),
        &library(
            StrategyKind::Balanced,
            vec![("minFill", num((kmeans.fill * 1e4).floor() / 1e4))],
        ),
    );

    let p95 = |m: &Metrics| m.resize_waste.p95;
    let tol = 1e-9;
    let a = best.fill >= 0.95
        && p95(&best) <= p95(&median_split) + tol
        && p95(&best) <= p95(&sorted) + tol;
    let b = p95(&at_kmeans_fill) <= p95(&kmeans) + tol
        || (clustered.fill >= kmeans.fill - tol && p95(&clustered) <= p95(&kmeans) + tol);
    let c = clustered.fill >= kmeans.fill - tol && p95(&clustered) <= 1.02 * p95(&kmeans) + tol;
    let d = sweep.windows(2).all(|w| p95(&w[1]) <= p95(&w[0]) + tol);
    let e = best.resize_waste.max <= median_split.resize_waste.max + tol;
    let mark = |ok: bool| if ok { "yes" } else { "NO" };
    println!(
        "  goals: (a) {}  (b) {}  (c) {}  (d) {}  (e) {}",
        mark(a),
        mark(b),
        mark(c),
        mark(d),
        mark(e)
    );
    Cell {
        dataset: data.name.to_string(),
        buffer: shown,
        multiple_of,
        best,
        median_split,
        sorted,
        clustered,
        kmeans,
        goals: [a, b, c, d, e],
    }
}

fn summary(cells: &[Cell]) {
    println!("\n## Summary: p95 r / fill / max r (best full-fill plan = Balanced defaults)\n");
    println!("| data | buffer | multipleOf | Balanced default | median split | Sorted | Clustered default | converged k-means | a | b | c | d | e |");
    println!("|---|---:|---:|---|---|---|---|---|---|---|---|---|---|");
    let f = |m: &Metrics| {
        format!(
            "{:.3} / {:.3} / {:.2}",
            m.resize_waste.p95, m.fill, m.resize_waste.max
        )
    };
    for c in cells {
        let g: Vec<&str> = c
            .goals
            .iter()
            .map(|&ok| if ok { "yes" } else { "**no**" })
            .collect();
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            c.dataset,
            c.buffer,
            c.multiple_of,
            f(&c.best),
            f(&c.median_split),
            f(&c.sorted),
            f(&c.clustered),
            f(&c.kmeans),
            g.join(" | ")
        );
    }
    let held = cells.iter().filter(|c| c.goals.iter().all(|&g| g)).count();
    println!("\nall five goals hold in {held} of {} cells", cells.len());
}

fn synthetic_protocol() {
    println!("\n## Synthetic seed protocol (5000 sizes uniform 224..1024, seed 0, batch 32)\n");
    let sizes = synthetic::seed_benchmark_sizes(5000, 0);
    let heights: Vec<f64> = sizes.iter().map(|s| f64::from(s.0)).collect();
    let widths: Vec<f64> = sizes.iter().map(|s| f64::from(s.1)).collect();
    let methods = [
        ("simple", library(StrategyKind::Simple, vec![])),
        ("sorted", library(StrategyKind::Sorted, vec![])),
        ("clustered", library(StrategyKind::Clustered, vec![])),
        ("balanced", library(StrategyKind::Balanced, vec![])),
    ];
    println!("| strategy | multipleOf | buffer | fill | p50 r | p95 r | max r | us/sample |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for multiple_of in [1, 28] {
        for (name, method) in &methods {
            for buffer in [128, 256, 512, 1024, 2048, 5000] {
                let repeats = if multiple_of == 1 { 5 } else { 1 };
                let (m, us) = run(method, &widths, &heights, buffer, multiple_of, repeats);
                println!(
                    "| {name} | {multiple_of} | {buffer} | {:.3} | {:.3} | {:.3} | {:.3} | {:.2} |",
                    m.fill, m.resize_waste.p50, m.resize_waste.p95, m.resize_waste.max, us
                );
            }
        }
    }
}

fn main() {
    // One thread, and planning runs on it: linfa's parallel loops would otherwise hand work to
    // rayon's pool and the timings would measure thread hand-offs (wasm has one thread).
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a one-thread pool")
        .install(run_main);
}

fn run_main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| args.iter().any(|a| a == name);
    let value = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let only = value("--only").map(|s| s.to_lowercase());
    let multiples: Vec<u32> = value("--multiples").map_or(vec![1, 28], |s| {
        s.split(',').map(|x| x.parse().expect("a number")).collect()
    });
    let buffers: Vec<usize> = value("--buffers").map_or(vec![512, 1024, 5000], |s| {
        s.split(',').map(|x| x.parse().expect("a number")).collect()
    });
    if !flag("--synthetic-only") {
        let mut cells = Vec::new();
        let mut sets = datasets();
        if flag("--proxies") {
            sets.extend(common::proxy_datasets(common::PROTOCOL_COUNT, 7));
        }
        for data in sets {
            if only
                .as_ref()
                .is_some_and(|o| !data.name.to_lowercase().contains(o.as_str()))
            {
                continue;
            }
            for &multiple_of in &multiples {
                let mut done_whole = false;
                for &buffer in &buffers {
                    if done_whole {
                        continue;
                    }
                    done_whole = buffer >= data.sizes.len();
                    cells.push(real_cell(&data, buffer, multiple_of));
                }
            }
        }
        summary(&cells);
    }
    if !flag("--real-only") {
        synthetic_protocol();
    }
}
