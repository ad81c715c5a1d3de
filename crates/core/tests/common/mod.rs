//! Shared by the real-data tests and the `real_data` / `scaling` examples (which include this
//! file with `#[path]`): the real size lists, a generated realistic mixture, and the two
//! REFERENCE PEERS of the SPEC's real-data protocol: a converged k-means, a yardstick written for
//! the benchmark (not library code), and the recursive median split (the crate's own, which
//! Balanced keeps as its floor; the benchmark's TypeScript peer is an independent copy).
#![allow(dead_code)] // each includer uses its own part

use mm_batcher_core::sizing::{resize_size, SizingScratch};
use mm_batcher_core::sizing::{SizeMode, Sizing};
use mm_batcher_core::{Plan, Shape};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Protocol: the first 5,000 sizes in file order.
pub const PROTOCOL_COUNT: usize = 5000;

/// A named list of `(height, width)` sizes.
pub struct Dataset {
    pub name: &'static str,
    pub sizes: Vec<(u32, u32)>,
}

impl Dataset {
    pub fn widths(&self) -> Vec<f64> {
        self.sizes.iter().map(|s| f64::from(s.1)).collect()
    }
    pub fn heights(&self) -> Vec<f64> {
        self.sizes.iter().map(|s| f64::from(s.0)).collect()
    }
}

/// `bench/data/<file>.json`, the first 5,000 sizes.
pub fn real_dataset(name: &'static str, file: &str) -> Dataset {
    let path = format!(
        "{}/../../bench/data/{file}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let value: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    let sizes = value["sizes"]
        .as_array()
        .expect("a `sizes` array")
        .iter()
        .take(PROTOCOL_COUNT)
        .map(|p| {
            let side = |i: usize| p[i].as_u64().expect("whole-number sides") as u32;
            (side(0), side(1))
        })
        .collect();
    Dataset { name, sizes }
}

/// The two real sets kept in the repository, then the generated mixture.
pub fn datasets() -> Vec<Dataset> {
    vec![
        real_dataset("COCO val2017", "coco_val2017"),
        real_dataset("MathVista testmini", "mathvista_testmini"),
        Dataset {
            name: "mixture (generated)",
            sizes: realistic_mixture(PROTOCOL_COUNT, 2024),
        },
    ]
}

/// A GENERATED mixture, not real data: what a web-scale multimodal collection holds, drawn from
/// a fixed seed. Camera photos at common sizes (many exact repeats) and resized copies, phone
/// portraits, receipts (narrow and very tall), document scans at A4/letter proportions,
/// wide banners and charts, screenshots, thumbnails and icons.
pub fn realistic_mixture(count: usize, seed: u64) -> Vec<(u32, u32)> {
    const CAMERA: [(u32, u32); 10] = [
        (480, 640),
        (375, 500),
        (333, 500),
        (768, 1024),
        (600, 800),
        (720, 1280),
        (1080, 1920),
        (3000, 4000),
        (2848, 4272),
        (427, 640),
    ];
    const SCREENS: [(u32, u32); 6] = [
        (1080, 1920),
        (768, 1366),
        (1440, 2560),
        (1334, 750),
        (2532, 1170),
        (900, 1440),
    ];
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let log_uniform = |rng: &mut Xoshiro256PlusPlus, lo: f64, hi: f64| {
        (lo.ln() + rng.gen::<f64>() * (hi.ln() - lo.ln())).exp()
    };
    (0..count)
        .map(|_| {
            let kind: f64 = rng.gen();
            let (h, w) = if kind < 0.30 {
                // Camera photos: an exact common size, sometimes portrait, sometimes downscaled.
                let (h, w) = CAMERA[rng.gen_range(0..CAMERA.len())];
                let (h, w) = if rng.gen_bool(0.2) { (w, h) } else { (h, w) };
                if rng.gen_bool(0.3) {
                    let s = log_uniform(&mut rng, 0.2, 1.0);
                    (f64::from(h) * s, f64::from(w) * s)
                } else {
                    (f64::from(h), f64::from(w))
                }
            } else if kind < 0.45 {
                // Web photos: any size, mostly landscape around 4:3 and 3:2.
                let w = log_uniform(&mut rng, 200.0, 2000.0);
                let a = log_uniform(&mut rng, 0.55, 2.0);
                (w / a, w)
            } else if kind < 0.57 {
                // Receipts: narrow, 1.5 to 6 times as tall as wide.
                let w = log_uniform(&mut rng, 250.0, 1200.0);
                (w * log_uniform(&mut rng, 1.5, 6.0), w)
            } else if kind < 0.69 {
                // Document scans: A4 / letter at 72..300 dpi, a little cropped.
                let dpi = log_uniform(&mut rng, 72.0, 300.0);
                let (hi, wi) = if rng.gen_bool(0.6) {
                    (11.69, 8.27)
                } else {
                    (11.0, 8.5)
                };
                let crop = 1.0 - 0.05 * rng.gen::<f64>();
                (hi * dpi * crop, wi * dpi)
            } else if kind < 0.79 {
                // Charts, banners, plots: wide, 1.3 to 10 times as wide as tall.
                let h = log_uniform(&mut rng, 150.0, 900.0);
                (h, h * log_uniform(&mut rng, 1.3, 10.0))
            } else if kind < 0.91 {
                // Screenshots: screen sizes, or a window of any size.
                if rng.gen_bool(0.6) {
                    let (h, w) = SCREENS[rng.gen_range(0..SCREENS.len())];
                    (f64::from(h), f64::from(w))
                } else {
                    (
                        log_uniform(&mut rng, 300.0, 1400.0),
                        log_uniform(&mut rng, 400.0, 2400.0),
                    )
                }
            } else {
                // Thumbnails and icons.
                let s = log_uniform(&mut rng, 32.0, 300.0);
                (s * log_uniform(&mut rng, 0.7, 1.4), s)
            };
            ((h.round() as u32).max(1), (w.round() as u32).max(1))
        })
        .collect()
}

/// GENERATED proxies, not real data, for the three kinds of real set the issue keeps back (web
/// photos, receipt scans, an ImageNet sample): used by `real_data --proxies` to check that a
/// tuning choice made on COCO and MathVista is not specific to them. Shapes follow the public
/// descriptions of such sets: ImageNet photos mostly capped at 500 px on the long side with a few
/// sizes repeating heavily; receipts as phone photos and scans, tall, few repeats; web photos
/// with a continuum of sizes, common camera and screen sizes repeating, and a long aspect tail.
pub fn proxy_datasets(count: usize, seed: u64) -> Vec<Dataset> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let log_uniform = |rng: &mut Xoshiro256PlusPlus, lo: f64, hi: f64| {
        (lo.ln() + rng.gen::<f64>() * (hi.ln() - lo.ln())).exp()
    };
    let round = |(h, w): (f64, f64)| ((h.round() as u32).max(1), (w.round() as u32).max(1));
    let imagenet = (0..count)
        .map(|_| {
            let kind: f64 = rng.gen();
            round(if kind < 0.62 {
                // Flickr-style: long side 500, a handful of aspects repeating.
                const ASPECTS: [f64; 8] = [
                    4.0 / 3.0,
                    4.0 / 3.0,
                    3.0 / 2.0,
                    1.0,
                    5.0 / 4.0,
                    16.0 / 9.0,
                    3.0 / 2.0,
                    4.0 / 3.0,
                ];
                let a = ASPECTS[rng.gen_range(0..ASPECTS.len())];
                let (long, short) = (500.0, (500.0 / a).floor());
                if rng.gen_bool(0.25) {
                    (long, short)
                } else {
                    (short, long)
                }
            } else if kind < 0.85 {
                // Long side 500, any aspect.
                let a = log_uniform(&mut rng, 0.5, 2.5);
                if a >= 1.0 {
                    (500.0 / a, 500.0)
                } else {
                    (500.0, 500.0 * a)
                }
            } else {
                // Larger originals and small crops.
                let w = log_uniform(&mut rng, 80.0, 4000.0);
                (w / log_uniform(&mut rng, 0.5, 2.2), w)
            })
        })
        .collect();
    let receipts = (0..count)
        .map(|_| {
            let kind: f64 = rng.gen();
            round(if kind < 0.5 {
                // Phone photos of receipts: camera sizes, often cropped to the paper.
                let w = log_uniform(&mut rng, 400.0, 1500.0);
                (w * log_uniform(&mut rng, 1.2, 4.5), w)
            } else if kind < 0.8 {
                // Flatbed and sheet-fed scans: narrow, very tall.
                let w = log_uniform(&mut rng, 300.0, 900.0);
                (w * log_uniform(&mut rng, 1.8, 8.0), w)
            } else if kind < 0.9 {
                // Uncropped phone photos: portrait camera sizes.
                const SIZES: [(f64, f64); 4] = [
                    (1280.0, 960.0),
                    (1600.0, 1200.0),
                    (4032.0, 3024.0),
                    (1296.0, 864.0),
                ];
                SIZES[rng.gen_range(0..SIZES.len())]
            } else {
                // Landscape shots of receipts lying down.
                let h = log_uniform(&mut rng, 300.0, 1200.0);
                (h, h * log_uniform(&mut rng, 1.1, 2.5))
            })
        })
        .collect();
    let web = (0..count)
        .map(|_| {
            let kind: f64 = rng.gen();
            round(if kind < 0.25 {
                const SIZES: [(f64, f64); 10] = [
                    (768.0, 1024.0),
                    (600.0, 800.0),
                    (720.0, 1280.0),
                    (1080.0, 1920.0),
                    (375.0, 500.0),
                    (480.0, 640.0),
                    (683.0, 1024.0),
                    (1024.0, 683.0),
                    (1200.0, 1200.0),
                    (630.0, 1200.0),
                ];
                SIZES[rng.gen_range(0..SIZES.len())]
            } else if kind < 0.85 {
                let w = log_uniform(&mut rng, 150.0, 2500.0);
                (w / log_uniform(&mut rng, 0.5, 2.4), w)
            } else {
                // Banners, long infographics, tall product shots.
                let w = log_uniform(&mut rng, 200.0, 1600.0);
                let a = if rng.gen_bool(0.5) {
                    log_uniform(&mut rng, 2.4, 8.0)
                } else {
                    1.0 / log_uniform(&mut rng, 2.4, 6.0)
                };
                (w / a, w)
            })
        })
        .collect();
    vec![
        Dataset {
            name: "proxy ImageNet (generated)",
            sizes: imagenet,
        },
        Dataset {
            name: "proxy receipts (generated)",
            sizes: receipts,
        },
        Dataset {
            name: "proxy web photos (generated)",
            sizes: web,
        },
    ]
}

pub fn shapes_of(widths: &[f64], heights: &[f64]) -> Vec<Shape> {
    widths
        .iter()
        .zip(heights)
        .enumerate()
        .map(|(i, (&w, &h))| Shape::new(i, w, h).expect("valid size"))
        .collect()
}

/// A plan from groups of positions into `shapes`, each group cut into batches of `batch_size`,
/// every batch sized by the SPEC's median rule.
pub fn plan_from_groups(
    shapes: &[Shape],
    groups: &[Vec<u32>],
    batch_size: usize,
    multiple_of: u32,
) -> Plan {
    let sizing = Sizing {
        mode: SizeMode::Median,
        multiple_of,
        min_pixels: None,
        max_pixels: None,
    };
    let mut scratch = SizingScratch::default();
    let mut plan = Plan {
        offsets: vec![0],
        ..Plan::default()
    };
    for batch in groups.iter().flat_map(|g| g.chunks(batch_size)) {
        plan.sizes
            .push(resize_size(shapes, batch, &sizing, &mut scratch));
        plan.order.extend_from_slice(batch);
        plan.offsets.push(plan.order.len() as u32);
    }
    plan
}

/// Appends `part` (a plan of the samples from `first` on) to `whole`.
pub fn append_plan(whole: &mut Plan, part: &Plan, first: u32) {
    if whole.offsets.is_empty() {
        whole.offsets.push(0);
    }
    let base = whole.order.len() as u32;
    whole.order.extend(part.order.iter().map(|&i| i + first));
    whole
        .offsets
        .extend(part.offsets[1..].iter().map(|&o| o + base));
    whole.sizes.extend_from_slice(&part.sizes);
}

fn sort_by(members: &mut [u32], key: impl Fn(u32) -> (f64, f64)) {
    members.sort_unstable_by(|&a, &b| {
        let (ka, kb) = (key(a), key(b));
        ka.0.total_cmp(&kb.0)
            .then(ka.1.total_cmp(&kb.1))
            .then(a.cmp(&b))
    });
}

/// PEER: recursive median split (the crate's own, which Balanced keeps as its floor; the
/// benchmark's TypeScript peer in `bench/peers/median-split.ts` is an independent copy).
#[allow(unused_imports)] // each includer uses its own part
pub use mm_batcher_core::strategies::median_split_groups;

/// PEER: converged k-means. k = ceil(n / batch_size) on standardised (ln aspect, ln area);
/// `STARTS` k-means++ starts, each run with Lloyd's iterations until no label changes; the run
/// with the least inertia wins. Each cluster is sorted by aspect and cut into batches.
pub fn converged_kmeans_groups(shapes: &[Shape], batch_size: usize, seed: u64) -> Vec<Vec<u32>> {
    const STARTS: usize = 5;
    const MAX_ITERATIONS: usize = 1000;
    let n = shapes.len();
    if n == 0 {
        return Vec::new();
    }
    let k = n.div_ceil(batch_size);
    let stats = |f: fn(&Shape) -> f64| {
        let mean = shapes.iter().map(f).sum::<f64>() / n as f64;
        let var = shapes.iter().map(|s| (f(s) - mean).powi(2)).sum::<f64>() / n as f64;
        (mean, if var > 0.0 { var.sqrt() } else { 1.0 })
    };
    let (ma, sa) = stats(|s| s.ln_aspect);
    let (mp, sp) = stats(|s| s.ln_area);
    let points: Vec<[f64; 2]> = shapes
        .iter()
        .map(|s| [(s.ln_aspect - ma) / sa, (s.ln_area - mp) / sp])
        .collect();
    let dist = |a: [f64; 2], b: [f64; 2]| (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut best: Option<(f64, Vec<usize>)> = None;
    for _ in 0..STARTS {
        // k-means++: each next centre drawn with probability proportional to squared distance.
        let mut centres = vec![points[rng.gen_range(0..n)]];
        let mut nearest: Vec<f64> = points.iter().map(|&p| dist(p, centres[0])).collect();
        while centres.len() < k {
            let total: f64 = nearest.iter().sum();
            let pick = if total <= 0.0 {
                rng.gen_range(0..n)
            } else {
                let mut x = rng.gen::<f64>() * total;
                let mut pick = n - 1;
                for (i, &d) in nearest.iter().enumerate() {
                    if x < d {
                        pick = i;
                        break;
                    }
                    x -= d;
                }
                pick
            };
            centres.push(points[pick]);
            for (d, &p) in nearest.iter_mut().zip(&points) {
                *d = d.min(dist(p, points[pick]));
            }
        }
        let mut labels = vec![usize::MAX; n];
        for _ in 0..MAX_ITERATIONS {
            let mut changed = false;
            for (i, &p) in points.iter().enumerate() {
                let mut best_c = 0;
                let mut best_d = f64::INFINITY;
                for (c, &centre) in centres.iter().enumerate() {
                    let d = dist(p, centre);
                    if d < best_d {
                        best_d = d;
                        best_c = c;
                    }
                }
                if labels[i] != best_c {
                    labels[i] = best_c;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
            let mut sums = vec![[0.0f64; 3]; k];
            for (i, &p) in points.iter().enumerate() {
                let s = &mut sums[labels[i]];
                s[0] += p[0];
                s[1] += p[1];
                s[2] += 1.0;
            }
            for (c, s) in sums.iter().enumerate() {
                if s[2] > 0.0 {
                    centres[c] = [s[0] / s[2], s[1] / s[2]];
                }
            }
        }
        let inertia: f64 = points
            .iter()
            .zip(&labels)
            .map(|(&p, &l)| dist(p, centres[l]))
            .sum();
        if best.as_ref().is_none_or(|(b, _)| inertia < *b) {
            best = Some((inertia, labels));
        }
    }
    let labels = best.expect("at least one start").1;
    let mut groups = vec![Vec::new(); k];
    for (i, &l) in labels.iter().enumerate() {
        groups[l].push(i as u32);
    }
    groups.retain(|g| !g.is_empty());
    for g in &mut groups {
        sort_by(g, |i| {
            let s = &shapes[i as usize];
            (s.ln_aspect, s.ln_area)
        });
    }
    groups
}
