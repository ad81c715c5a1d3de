//! Scaled JPEG decoding (issue 24, item 1): what decoding at 1/2, 1/4 or 1/8 in the DCT domain
//! buys on real photos bound for 224 x 224, and what it changes in the result.
//!
//!     taskset -c 0 cargo run --release -p mm-batcher-imaging --example scaled_decode -- PHOTO.jpg...
//!     cargo run --release -p mm-batcher-imaging --example scaled_decode -- --cuts FILE.jpg...
//!     SCALED_DECODE_SIDE=8 cargo run ... --example scaled_decode -- --cuts test/fixtures/suites/*/*.jpg
//!
//! Per file, interleaved rounds (median of `ROUNDS`, after one warm-up):
//! - `full`: zune-jpeg strict decode at full size + fast_image_resize bilinear to 224 x 224 RGB
//!   (the path before the scaled decoder);
//! - `scaled`: jpeg-decoder at 1/d (d the largest of 8, 4, 2 leaving both sides at least twice
//!   the target, the rule `batch_tensor` uses), then the same resize;
//! - `batch`: `batch_tensor` (u8, stretch, bilinear) end to end: header checks, the framing walk,
//!   the scaled decode, the resize.
//!
//! and the difference of `scaled` from `full` on the 224 x 224 RGB result (PSNR, max |diff|).
//! jpeg-decoder without rayon starts a thread per colour component for outputs above 128 x 128
//! natively (never on wasm32): run under `taskset -c 0` for one core.
//!
//! `--cuts`: every file, and copies cut at 50% and 90% of its length (and, for each cut, the
//! same bytes with `FF D9` appended), through `batch_tensor` at 224 x 224 (the scaled path),
//! and through jpeg-decoder alone at the same scale (no framing walk before it).
use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use mm_batcher_imaging::{
    batch_tensor, decode, Dtype, Sample, Source, TensorSpec, DEFAULT_MAX_INPUT_PIXELS,
};
use std::hint::black_box;
use std::time::Instant;

/// The target side: 224, or `SCALED_DECODE_SIDE` (a small side puts small files on the scaled
/// path too, e.g. 8 for the suites' 640 x 480 files).
static TARGET: std::sync::LazyLock<u32> = std::sync::LazyLock::new(|| {
    std::env::var("SCALED_DECODE_SIDE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(224)
});
const ROUNDS: usize = 7;

fn resize(rgb: &[u8], w: u32, h: u32) -> Vec<u8> {
    let src = ImageRef::new(w, h, rgb, PixelType::U8x3).unwrap();
    let mut dst = Image::new(*TARGET, *TARGET, PixelType::U8x3);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Bilinear));
    Resizer::new().resize(&src, &mut dst, &options).unwrap();
    dst.into_vec()
}

fn full(bytes: &[u8]) -> (Vec<u8>, u32, u32) {
    let options = zune_core::options::DecoderOptions::default()
        .set_strict_mode(true)
        .set_max_width(usize::MAX)
        .set_max_height(usize::MAX)
        .jpeg_set_out_colorspace(zune_core::colorspace::ColorSpace::RGB);
    let mut d = zune_jpeg::JpegDecoder::new_with_options(
        zune_core::bytestream::ZCursor::new(bytes),
        options,
    );
    let px = d.decode().unwrap();
    let (w, h) = d.dimensions().unwrap();
    (resize(&px, w as u32, h as u32), w as u32, h as u32)
}

/// The scale rule: the largest d of 8, 4, 2 with both sides of the 1/d image at least twice the
/// target's; else 1.
fn denominator(w: u32, h: u32) -> u32 {
    [8, 4, 2]
        .into_iter()
        .find(|d| w / d >= 2 * *TARGET && h / d >= 2 * *TARGET)
        .unwrap_or(1)
}

fn jpeg_decoder_at(bytes: &[u8], d: u32) -> Result<(Vec<u8>, u32, u32), String> {
    let mut dec = jpeg_decoder::Decoder::new(bytes);
    dec.read_info().map_err(|e| e.to_string())?;
    let info = dec.info().ok_or("no info")?;
    let (w, h) = (info.width as u32, info.height as u32);
    let (sw, sh) = (w.div_ceil(d), h.div_ceil(d));
    // `scale` takes the smallest IDCT whose output reaches either requested side: asking for
    // exactly the 1/d size gives 1/d.
    let got = dec.scale(sw as u16, sh as u16).map_err(|e| e.to_string())?;
    assert_eq!((got.0 as u32, got.1 as u32), (sw, sh));
    let px = dec.decode().map_err(|e| e.to_string())?;
    Ok((px, sw, sh))
}

fn scaled(bytes: &[u8], d: u32) -> Vec<u8> {
    let (px, w, h) = jpeg_decoder_at(bytes, d).unwrap();
    resize(&px, w, h)
}

fn batch(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut spec = TensorSpec::new(*TARGET, *TARGET);
    spec.dtype = Dtype::U8;
    let samples = [Sample {
        index: 0,
        source: Source::Encoded(bytes),
    }];
    batch_tensor(&samples, &spec, false)
        .map(|b| b.data.as_u8().unwrap().to_vec())
        .map_err(|e| e.reject.detail)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn compare(a: &[u8], b: &[u8]) -> (f64, u8) {
    let mse = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| (x as f64 - y as f64).powi(2))
        .sum::<f64>()
        / a.len() as f64;
    let max = a.iter().zip(b).map(|(&x, &y)| x.abs_diff(y)).max().unwrap();
    (10.0 * (255.0f64 * 255.0 / mse).log10(), max)
}

fn progressive(bytes: &[u8]) -> bool {
    let mut at = 2;
    while at + 4 <= bytes.len() && bytes[at] == 0xFF {
        match bytes[at + 1] {
            0xC2 => return true,
            0xC0 | 0xC1 | 0xDA => return false,
            _ => at += 2 + u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]) as usize,
        }
    }
    false
}

fn timings(paths: &[String]) {
    println!("| photo | size | MP | kind | 1/d | full ms | scaled ms | speedup | batch ms | PSNR dB | max diff | batch vs scaled max diff |");
    println!("|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for path in paths {
        let bytes = std::fs::read(path).unwrap();
        let (reference, w, h) = full(&bytes);
        let d = denominator(w, h);
        let small = scaled(&bytes, d);
        let from_batch = batch(&bytes).unwrap();
        let (mut tf, mut ts, mut tb) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            let t = Instant::now();
            black_box(full(black_box(&bytes)));
            tf.push(t.elapsed().as_secs_f64() * 1e3);
            let t = Instant::now();
            black_box(scaled(black_box(&bytes), d));
            ts.push(t.elapsed().as_secs_f64() * 1e3);
            let t = Instant::now();
            black_box(batch(black_box(&bytes)).unwrap());
            tb.push(t.elapsed().as_secs_f64() * 1e3);
        }
        let (f, s, b) = (median(tf), median(ts), median(tb));
        // Decomposition (only with SCALED_DECODE_MORE set): jpeg-decoder alone at 1/1 and 1/8
        // (no resize), and the 1/8 path's difference (a margin of 1x instead of 2x).
        let more = std::env::var_os("SCALED_DECODE_MORE").map(|_| {
            let (mut t1, mut t8) = (Vec::new(), Vec::new());
            for _ in 0..ROUNDS {
                let t = Instant::now();
                black_box(jpeg_decoder_at(black_box(&bytes), 1).unwrap());
                t1.push(t.elapsed().as_secs_f64() * 1e3);
                let t = Instant::now();
                black_box(jpeg_decoder_at(black_box(&bytes), 8).unwrap());
                t8.push(t.elapsed().as_secs_f64() * 1e3);
            }
            let (psnr8, max8) = compare(&reference, &scaled(&bytes, 8));
            format!(
                " jpeg-decoder 1/1 {:.1} ms, 1/8 {:.1} ms; 1/8 + resize vs full: {psnr8:.1} dB, max {max8} |",
                median(t1),
                median(t8)
            )
        });
        let (psnr, max) = compare(&reference, &small);
        // batch_tensor applies EXIF orientation; compare only where none is stated.
        let batch_diff = if from_batch.len() == small.len() {
            format!("{}", compare(&from_batch, &small).1)
        } else {
            "-".into()
        };
        let name = std::path::Path::new(path)
            .file_name()
            .unwrap()
            .to_string_lossy();
        println!(
            "| {name} | {w}x{h} | {:.1} | {} | 1/{d} | {f:.1} | {s:.1} | {:.2}x | {b:.1} | {psnr:.1} | {max} | {batch_diff} |{}",
            w as f64 * h as f64 / 1e6,
            if progressive(&bytes) { "progressive" } else { "baseline" },
            f / s,
            more.unwrap_or_default(),
        );
    }
}

fn cuts(paths: &[String]) {
    println!("| file | cut | bytes | decode (full size, zune-jpeg strict) | batch_tensor (scaled path) | jpeg-decoder alone |");
    println!("|---|---|---:|---|---|---|");
    for path in paths {
        let bytes = std::fs::read(path).unwrap();
        let name = std::path::Path::new(path)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_string();
        let mut cases: Vec<(String, Vec<u8>)> = vec![("as is".into(), bytes.clone())];
        if !name.contains("cut") && !name.contains("truncated") && !name.contains("scan_2") {
            for pct in [50, 90] {
                let cut = bytes[..bytes.len() * pct / 100].to_vec();
                let mut eoi = cut.clone();
                eoi.extend_from_slice(&[0xFF, 0xD9]);
                cases.push((format!("{pct}%"), cut));
                cases.push((format!("{pct}% + FFD9"), eoi));
            }
        }
        for (what, data) in cases {
            let via_batch = match batch(&data) {
                Ok(_) => "decoded".to_string(),
                Err(e) => format!("refused: {e}"),
            };
            let alone = (|| {
                let mut dec = jpeg_decoder::Decoder::new(&data[..]);
                dec.read_info().map_err(|e| e.to_string())?;
                let info = dec.info().ok_or("no info")?;
                let d = denominator(info.width as u32, info.height as u32);
                jpeg_decoder_at(&data, d).map(|_| format!("decoded at 1/{d}"))
            })();
            let alone = match alone {
                Ok(s) => s,
                Err(e) => format!("refused: {e}"),
            };
            let sample = Sample {
                index: 0,
                source: Source::Encoded(&data),
            };
            let full = match decode(0, &sample, DEFAULT_MAX_INPUT_PIXELS, &mut Vec::new()) {
                Ok(_) => "decoded".to_string(),
                Err(e) => format!("refused: {}", e.reject.detail),
            };
            println!(
                "| {name} | {what} | {} | {full} | {via_batch} | {alone} |",
                data.len()
            );
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--cuts") => cuts(&args[1..]),
        Some(_) => timings(&args),
        None => eprintln!("usage: scaled_decode [--cuts] FILE.jpg..."),
    }
}
