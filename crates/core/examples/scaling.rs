//! Planning cost as the buffer grows (issue 13: near-linear to a million samples).
//!
//!     cargo run --release -p mm-batcher-core --example scaling [-- --data mixture]
//!
//! One buffer of n samples per row, n = 5k, 25k, 100k, 250k, 1M; every strategy and the token
//! packer (first-fit decreasing) in its own child process, so that peak RSS (VmHWM) is its own.
//! Data: the seed benchmark's synthetic sizes (default; no repeated sizes, the hard case for
//! exact-size batches) or the generated realistic mixture (`--data mixture`).

#[path = "../tests/common/mod.rs"]
mod common;

use std::process::Command;
use std::time::Instant;

use mm_batcher_core::packing::{pack, PackOptions};
use mm_batcher_core::{
    evaluate, plan, synthetic, OptionMap, OptionValue, PlanOptions, Samples, StrategyKind,
};

const SIZES: [usize; 5] = [5_000, 25_000, 100_000, 250_000, 1_000_000];
const NAMES: [&str; 5] = ["simple", "sorted", "clustered", "balanced", "packer-ffd"];

fn sizes(data: &str, n: usize) -> (Vec<f64>, Vec<f64>) {
    let s = if data == "mixture" {
        common::realistic_mixture(n, 7)
    } else {
        synthetic::seed_benchmark_sizes(n, 0)
    };
    (
        s.iter().map(|p| f64::from(p.1)).collect(),
        s.iter().map(|p| f64::from(p.0)).collect(),
    )
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Child: plans one (strategy, n) and prints `seconds p95 fill peak_mb`.
fn child(name: &str, n: usize, data: &str) {
    let (widths, heights) = sizes(data, n);
    let samples = Samples::new(&widths, &heights);
    let num = OptionValue::Number;
    if name == "packer-ffd" {
        let mut m = OptionMap::new();
        m.insert("maxTokens".into(), num(16384.0));
        m.insert("patchSize".into(), num(14.0));
        m.insert("maxPixels".into(), num(1_000_000.0));
        let options = PackOptions::parse(&m).unwrap();
        let start = Instant::now();
        let packing = pack(&options, samples).unwrap();
        let secs = start.elapsed().as_secs_f64();
        // No resizing: r is 1; report token fill (1 - padding) as the fill.
        println!(
            "{secs} 1 {} {}",
            1.0 - packing.padding(16384),
            peak_rss_mb()
        );
        return;
    }
    let kind = StrategyKind::parse(name).unwrap();
    let mut m = OptionMap::new();
    m.insert("batchSize".into(), num(32.0));
    let options = PlanOptions::parse(kind, &m).unwrap();
    let start = Instant::now();
    let p = plan(&options, samples).unwrap();
    let secs = start.elapsed().as_secs_f64();
    let metrics = evaluate(samples, &p, Some(32), None).unwrap();
    println!(
        "{secs} {} {} {}",
        metrics.resize_waste.p95,
        metrics.fill,
        peak_rss_mb()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let data = value("--data").unwrap_or_else(|| "synthetic".into());
    if let (Some(name), Some(n)) = (value("--child"), value("--n")) {
        child(&name, n.parse().unwrap(), &data);
        return;
    }
    let max_n: usize = value("--max").map_or(1_000_000, |s| s.parse().unwrap());
    let exe = std::env::current_exe().unwrap();
    println!("## Scaling ({data} sizes, batch 32, one buffer of n; native release)\n");
    println!("| strategy | n | seconds | us/sample | ratio vs 5k | p95 r | fill | peak RSS MB |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for name in NAMES {
        let mut base = None;
        for n in SIZES.into_iter().filter(|&n| n <= max_n) {
            let out = Command::new(&exe)
                .args(["--child", name, "--n", &n.to_string(), "--data", &data])
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            let f: Vec<f64> = text
                .split_whitespace()
                .map(|x| x.parse().unwrap_or(f64::NAN))
                .collect();
            if f.len() < 4 {
                println!(
                    "| {name} | {n} | failed: {} |",
                    String::from_utf8_lossy(&out.stderr)
                );
                continue;
            }
            let us = f[0] * 1e6 / n as f64;
            let base_us = *base.get_or_insert(us);
            println!(
                "| {name} | {n} | {:.3} | {:.2} | {:.2} | {:.3} | {:.3} | {:.0} |",
                f[0],
                us,
                us / base_us,
                f[1],
                f[2],
                f[3]
            );
        }
    }
}
