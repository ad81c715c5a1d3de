//! Deterministic mutation fuzzer over header reading and decode + resize, seeded with the suite
//! fixtures (`test/fixtures/suites`). Same seed, same mutants: a finding replays exactly.
//!
//! ```text
//! cargo run --release -p mm-batcher-imaging --example fuzz -- [--seconds N] [--execs N] [--seed N]
//!     [--target header|decode|both] [--corpus DIR] [--crashes DIR]
//! ```
//!
//! Each exec mutates one seed file (bit flips, interesting bytes and 16/32-bit values in the
//! first 64 bytes where headers live, truncation, chunk duplication and deletion, splices of two
//! seeds) and runs it through `read_header` (whole and as a prefix) and/or `batch_tensor` (decode
//! under a 4-megapixel limit, resize to 32 x 24). A panic is a finding (its input is saved); an
//! exec slower than 2 s is reported as a hang candidate. libFuzzer (cargo-fuzz) was not used:
//! this needs no nightly toolchain and runs the same in CI.

use mm_batcher_core::read_header;
use mm_batcher_imaging::{batch_tensor, Dtype, Sample, Source, TensorSpec};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub struct Rng(u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }
}

pub fn seeds(root: &Path) -> Vec<Vec<u8>> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        let mut v: Vec<_> = rd.flatten().map(|e| e.path()).collect();
        v.sort();
        for p in v {
            if p.is_dir() {
                walk(&p, out);
            } else if !matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("json" | "md" | "py")
            ) {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(root, &mut files);
    files
        .iter()
        .filter_map(|p| std::fs::read(p).ok())
        .filter(|b| b.len() <= 256 * 1024) // keep execs fast
        .collect()
}

pub fn mutate(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut v = seeds[rng.below(seeds.len())].clone();
    let rounds = 1 + rng.below(4);
    for _ in 0..rounds {
        if v.is_empty() {
            v.push(0);
        }
        let head = v.len().min(64);
        match rng.below(9) {
            0 => {
                let i = rng.below(v.len());
                v[i] ^= 1 << rng.below(8);
            }
            1 => {
                let i = rng.below(head);
                v[i] = [0, 1, 0x7F, 0x80, 0xFF, 0xFE][rng.below(6)];
            }
            2 if head >= 2 => {
                let i = rng.below(head - 1);
                let x: u16 = [0, 1, 0x7FFF, 0x8000, 0xFFFF, 0x3FFF, 0xC000][rng.below(7)];
                v[i..i + 2].copy_from_slice(&x.to_le_bytes());
            }
            3 if head >= 4 => {
                let i = rng.below(head - 3);
                let x: u32 =
                    [0, 1, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 100_000, 65_536][rng.below(7)];
                let b = if rng.below(2) == 0 {
                    x.to_le_bytes()
                } else {
                    x.to_be_bytes()
                };
                v[i..i + 4].copy_from_slice(&b);
            }
            4 => {
                let n = rng.below(v.len());
                v.truncate(n.max(1));
            }
            5 => {
                let a = rng.below(v.len());
                let n = rng.below((v.len() - a).min(512) + 1);
                v.drain(a..a + n);
            }
            6 => {
                let a = rng.below(v.len());
                let n = rng.below((v.len() - a).min(512) + 1);
                let chunk = v[a..a + n].to_vec();
                let at = rng.below(v.len() + 1);
                v.splice(at..at, chunk);
            }
            7 => {
                let other = &seeds[rng.below(seeds.len())];
                let cut = rng.below(v.len());
                let from = rng.below(other.len());
                v.truncate(cut);
                v.extend_from_slice(&other[from..]);
            }
            _ => {
                let i = rng.below(v.len());
                let n = rng.below(16).min(v.len() - i);
                for b in &mut v[i..i + n] {
                    *b = rng.next_u64() as u8;
                }
            }
        }
    }
    v
}

#[derive(Clone, Copy, PartialEq)]
pub enum Target {
    Header,
    Decode,
    Both,
}

/// Runs one input; `Err` is a panic message.
pub fn exec(bytes: &[u8], target: Target) -> Result<(), String> {
    catch_unwind(AssertUnwindSafe(|| {
        if target != Target::Decode {
            let _ = read_header(bytes, true);
            let _ = read_header(&bytes[..bytes.len().min(100)], false);
        }
        if target != Target::Header {
            let mut spec = TensorSpec::new(24, 32);
            spec.dtype = Dtype::U8;
            spec.max_input_pixels = 4_000_000;
            let sample = [Sample {
                index: 0,
                source: Source::Encoded(bytes),
            }];
            let _ = batch_tensor(&sample, &spec, true);
        }
    }))
    .map_err(|e| {
        e.downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "panic".into())
    })
}

pub struct Report {
    pub execs: u64,
    pub panics: Vec<(u64, String)>,
    pub slow: Vec<(u64, Duration)>,
    pub slowest: Duration,
}

pub fn run(
    seeds: &[Vec<u8>],
    seed: u64,
    target: Target,
    max_execs: u64,
    budget: Duration,
    crashes: Option<&Path>,
) -> Report {
    let mut rng = Rng(seed | 1);
    let start = Instant::now();
    let mut report = Report {
        execs: 0,
        panics: Vec::new(),
        slow: Vec::new(),
        slowest: Duration::ZERO,
    };
    while report.execs < max_execs && start.elapsed() < budget {
        let input = mutate(&mut rng, seeds);
        let t = Instant::now();
        let result = exec(&input, target);
        let took = t.elapsed();
        report.slowest = report.slowest.max(took);
        if took > Duration::from_secs(2) {
            report.slow.push((report.execs, took));
        }
        if let Err(message) = result {
            if let Some(dir) = crashes {
                let _ = std::fs::create_dir_all(dir);
                let _ = std::fs::write(dir.join(format!("crash-{seed}-{}", report.execs)), &input);
            }
            report.panics.push((report.execs, message));
        }
        report.execs += 1;
    }
    report
}

#[allow(dead_code)]
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let seconds: u64 = value("--seconds").map_or(60, |v| v.parse().unwrap());
    let execs: u64 = value("--execs").map_or(u64::MAX, |v| v.parse().unwrap());
    let seed: u64 = value("--seed").map_or(1, |v| v.parse().unwrap());
    let target = match value("--target").as_deref() {
        Some("header") => Target::Header,
        Some("decode") => Target::Decode,
        _ => Target::Both,
    };
    let corpus = value("--corpus").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../test/fixtures/suites")
    });
    let crashes = value("--crashes")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("fuzz-crashes"));
    // Panics are findings, reported below: keep the default hook quiet.
    std::panic::set_hook(Box::new(|_| {}));
    let seeds = seeds(&corpus);
    assert!(
        !seeds.is_empty(),
        "no seed files under {}",
        corpus.display()
    );
    let r = run(
        &seeds,
        seed,
        target,
        execs,
        Duration::from_secs(seconds),
        Some(&crashes),
    );
    println!(
        "seed {seed}: {} execs over {} seed files, {} panics, {} slow (>2 s), slowest exec {:?}",
        r.execs,
        seeds.len(),
        r.panics.len(),
        r.slow.len(),
        r.slowest
    );
    for (i, m) in &r.panics {
        println!("  panic at exec {i}: {m}");
    }
    if !r.panics.is_empty() || !r.slow.is_empty() {
        std::process::exit(1);
    }
}
