//! Decoding every file of the curated public suites (`test/fixtures/suites/*/expected.json`):
//! the decoded size equals the size header reading gives and the references give, and every
//! refused file gets the recorded code. Plus the bomb guards of issues 11 and 13.

use mm_batcher_core::formats::{read_header, MAX_IMAGE_PIXELS};
use mm_batcher_imaging::{
    batch_tensor, check_batch, decode, Dtype, Mode, Sample, Source, TensorSpec,
    DEFAULT_MAX_INPUT_PIXELS,
};
use std::path::PathBuf;

#[path = "../../../test/fixtures/suites/expected.rs"]
mod expected;

fn suites() -> PathBuf {
    expected::root(env!("CARGO_MANIFEST_DIR"))
}

fn run(bytes: &[u8], max: u64) -> Result<(u32, u32), (String, String)> {
    let mut rgb = Vec::new();
    let sample = Sample {
        index: 0,
        source: Source::Encoded(bytes),
    };
    decode(0, &sample, max, &mut rgb)
        .map(|d| {
            assert_eq!(rgb.len() as u64, d.width as u64 * d.height as u64 * 3);
            (d.width, d.height)
        })
        // The code, and the reject as "FORMAT: detail".
        .map_err(|f| (f.reject.code.to_string(), f.reject.to_string()))
}

#[test]
fn default_limit_is_the_shared_one() {
    assert_eq!(DEFAULT_MAX_INPUT_PIXELS, MAX_IMAGE_PIXELS);
}

#[test]
fn every_fixture_decodes_as_expected() {
    let (mut failures, mut n) = (Vec::new(), 0);
    for (path, name, want) in expected::entries(&suites()) {
        n += 1;
        let bytes = std::fs::read(&path).unwrap();
        let got = run(&bytes, DEFAULT_MAX_INPUT_PIXELS);
        let ok = match (&got, want.get("error")) {
            (Ok((w, h)), None) => {
                want["width"].as_u64() == Some(*w as u64)
                    && want["height"].as_u64() == Some(*h as u64)
            }
            (Err((code, _)), Some(c)) => c.as_str() == Some(code.as_str()),
            _ => false,
        };
        // Header and decoder never disagree on a file both accept; a file whose size is read
        // but whose decoding is refused (AVIF, HEIC, unsupported variants) names its format.
        match (&got, read_header(&bytes, true)) {
            (Ok((w, h)), Ok(info)) if (info.width, info.height) != (*w, *h) => {
                failures.push(format!(
                    "{name}: header {}x{} decode {w}x{h}",
                    info.width, info.height
                ))
            }
            (Err((code, reason)), Ok(info))
                if code == "UNSUPPORTED_IMAGE" && !reason.contains(info.format.as_str()) =>
            {
                failures.push(format!(
                    "{name}: refused without naming {}: {reason}",
                    info.format
                ))
            }
            _ => {}
        }
        if !ok {
            failures.push(format!("{name}: got {got:?}, expected {want}"));
        }
    }
    assert!(n > 300, "fixtures missing: {n}");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn cause_of(rel: &str) -> (String, String) {
    run(
        &std::fs::read(suites().join(rel)).unwrap(),
        DEFAULT_MAX_INPUT_PIXELS,
    )
    .unwrap_err()
}

#[test]
fn truncation_and_variants_are_named() {
    let (code, cause) = cause_of("generated/exif_thumb_cut.jpg");
    assert_eq!(code, "INVALID_IMAGE");
    assert!(cause.contains("truncated"), "{cause}");
    let (code, cause) = cause_of("generated/scan_2_bytes.jpg");
    assert_eq!(code, "INVALID_IMAGE");
    assert!(cause.contains("truncated"), "{cause}");
    let (code, cause) = cause_of("libjpeg-turbo/testimgari.jpg");
    assert_eq!(code, "UNSUPPORTED_IMAGE");
    assert!(cause.contains("arithmetic-coded (SOF9)"), "{cause}");
    let (code, cause) = cause_of("generated/sof3_header.jpg");
    assert_eq!(code, "UNSUPPORTED_IMAGE");
    assert!(cause.contains("lossless (SOF3)"), "{cause}");
    let (code, cause) = cause_of("image-size/cgbi_sample_fried.png");
    assert_eq!(code, "UNSUPPORTED_IMAGE");
    assert!(cause.contains("CgBI"), "{cause}");
    assert_eq!(
        run(
            &std::fs::read(suites().join("pillow/no_palette.gif")).unwrap(),
            DEFAULT_MAX_INPUT_PIXELS
        ),
        Ok((1, 1))
    );
}

/// Every cut of a JPEG inside its scan is refused (the decoder's own end-of-data signal).
#[test]
fn every_cut_of_a_jpeg_scan_is_refused() {
    let bytes = std::fs::read(suites().join("generated/exif_thumb.jpg")).unwrap();
    assert!(run(&bytes, DEFAULT_MAX_INPUT_PIXELS).is_ok());
    let base = bytes.windows(2).rposition(|w| w == [0xFF, 0xDA]).unwrap();
    for cut in (base + 20..bytes.len() - 2).step_by(97) {
        let got = run(&bytes[..cut], DEFAULT_MAX_INPUT_PIXELS);
        assert!(
            matches!(&got, Err((c, m)) if c == "INVALID_IMAGE" && m.contains("truncated")),
            "cut {cut}: {got:?}"
        );
    }
}

/// Through `batch_tensor` at `side x side` (u8): a JPEG of 128 px or more per side is decoded at
/// 1/8 for a 8 x 8 target (the scaled path), at full size for a large target.
fn run_tensor(bytes: &[u8], side: u32, mode: Mode) -> Result<Vec<u8>, (String, String)> {
    let mut spec = TensorSpec::new(side, side);
    spec.dtype = Dtype::U8;
    spec.mode = mode;
    let sample = Sample {
        index: 0,
        source: Source::Encoded(bytes),
    };
    batch_tensor(&[sample], &spec, false)
        .map(|b| b.data.as_u8().unwrap().to_vec())
        .map_err(|f| (f.reject.code.to_string(), f.reject.to_string()))
}

/// The scaled JPEG path (issue 24) accepts and refuses what full decoding does, on every JPEG of
/// the suites, in every mode.
#[test]
fn scaled_jpeg_path_refuses_what_full_decoding_refuses() {
    let mut failures = Vec::new();
    let mut n = 0;
    for (path, name, want) in expected::entries(&suites()) {
        let bytes = std::fs::read(&path).unwrap();
        if !bytes.starts_with(&[0xFF, 0xD8]) {
            continue;
        }
        n += 1;
        for mode in [Mode::Stretch, Mode::Letterbox, Mode::Crop] {
            let got = run_tensor(&bytes, 8, mode);
            let ok = match (&got, want.get("error")) {
                (Ok(_), None) => true,
                (Err((code, _)), Some(c)) => c.as_str() == Some(code.as_str()),
                _ => false,
            };
            if !ok {
                failures.push(format!("{name} ({mode:?}): got {got:?}, expected {want}"));
            }
        }
    }
    assert!(n >= 10, "JPEG fixtures missing: {n}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_cut_of_a_jpeg_scan_is_refused_on_the_scaled_path() {
    let bytes = std::fs::read(suites().join("generated/exif_thumb.jpg")).unwrap();
    assert!(run_tensor(&bytes, 8, Mode::Stretch).is_ok());
    let base = bytes.windows(2).rposition(|w| w == [0xFF, 0xDA]).unwrap();
    for cut in (base + 20..bytes.len() - 2).step_by(97) {
        let got = run_tensor(&bytes[..cut], 8, Mode::Stretch);
        assert!(
            matches!(&got, Err((c, m)) if c == "INVALID_IMAGE" && m.contains("truncated")),
            "cut {cut}: {got:?}"
        );
    }
}

fn progressive_photo() -> Vec<u8> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(
            "../../packages/mm-tokenize-batcher/test/fixtures/photos/astronaut-progressive.jpg",
        ),
    )
    .unwrap()
}

/// A progressive JPEG at 1/8 is decoded from its DC scans alone (issue 24); every cut of it, in
/// any scan, DC or AC, or between them, is still refused as truncated.
#[test]
fn every_cut_of_a_progressive_jpeg_is_refused_on_the_dc_only_path() {
    let bytes = progressive_photo();
    // 512 x 384 to 8 x 8: 1/8 (64 x 48 keeps twice the target), the DC-only path.
    let whole = run_tensor(&bytes, 8, Mode::Stretch).unwrap();
    let first_scan = bytes.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap();
    let mut cuts = 0;
    for cut in (first_scan + 4..bytes.len() - 1).step_by(37) {
        let got = run_tensor(&bytes[..cut], 8, Mode::Stretch);
        assert!(
            matches!(&got, Err((c, m)) if c == "INVALID_IMAGE" && m.contains("truncated")),
            "cut {cut}: {got:?}"
        );
        cuts += 1;
    }
    assert!(cuts > 100, "{cuts}");
    assert_eq!(whole.len(), 8 * 8 * 3);
}

/// Orientation and layout on the scaled path: the upright image, scaled, gives nearly the
/// tensor of full decoding (the EXIF-6 640 x 480 file is 480 x 640 upright; a 60 x 40 target
/// decodes it at 1/4 in stretch mode: 120 >= 2 x 60 and 160 >= 2 x 40).
#[test]
fn scaled_path_keeps_orientation_and_layout() {
    let bytes = std::fs::read(suites().join("generated/exif_thumb.jpg")).unwrap();
    for mode in [Mode::Stretch, Mode::Letterbox, Mode::Crop] {
        let mut spec = TensorSpec::new(40, 60);
        spec.dtype = Dtype::U8;
        spec.mode = mode;
        let sample = Sample {
            index: 0,
            source: Source::Encoded(&bytes),
        };
        let scaled = batch_tensor(&[sample], &spec, false).unwrap();
        // Full decode, then the same resize, by hand.
        let mut rgb = Vec::new();
        let d = decode(0, &sample, DEFAULT_MAX_INPUT_PIXELS, &mut rgb).unwrap();
        assert_eq!((d.width, d.height), (480, 640));
        let mut full_spec = spec.clone();
        full_spec.height = 40;
        let raw = Sample {
            index: 0,
            source: Source::Rgba {
                data: &rgb
                    .chunks_exact(3)
                    .flat_map(|p| [p[0], p[1], p[2], 255])
                    .collect::<Vec<u8>>(),
                width: d.width,
                height: d.height,
            },
        };
        let full = batch_tensor(&[raw], &full_spec, false).unwrap();
        assert_eq!(scaled.content_boxes, full.content_boxes, "{mode:?}");
        let (a, b) = (scaled.data.as_u8().unwrap(), full.data.as_u8().unwrap());
        let max = a.iter().zip(b).map(|(x, y)| x.abs_diff(*y)).max().unwrap();
        let mean = a
            .iter()
            .zip(b)
            .map(|(x, y)| x.abs_diff(*y) as f64)
            .sum::<f64>()
            / a.len() as f64;
        assert!(max <= 24 && mean < 2.0, "{mode:?}: max {max}, mean {mean}");
    }
}

/// A GIF: `screen` logical screen, then frames `(left, top, width, height)`, each coded as a
/// clear code, one pixel (index 0) and the end code (so only 1 x 1 frames are whole): tiny files
/// claiming big frames.
fn gif(screen: (u16, u16), frames: &[(u16, u16, u16, u16)]) -> Vec<u8> {
    let mut v = b"GIF89a".to_vec();
    v.extend_from_slice(&screen.0.to_le_bytes());
    v.extend_from_slice(&screen.1.to_le_bytes());
    v.extend_from_slice(&[0x80, 0, 0, 0, 0, 0, 255, 255, 255]); // 2-colour global palette
    for &(x, y, w, h) in frames {
        v.push(0x2C);
        for n in [x, y, w, h] {
            v.extend_from_slice(&n.to_le_bytes());
        }
        v.push(0);
        v.extend_from_slice(&[2, 2, 0x44, 0x01, 0]); // min code size 2: clear, 0, end
    }
    v.push(0x3B);
    v
}

#[test]
fn gif_bomb_guard_checks_every_frame() {
    // Issue 13: a 16 x 16 screen and a 10000 x 10000 first frame. The canvas grows to the frame
    // (as Pillow and sharp do), so the header already states 10000 x 10000: refused.
    let first = gif((16, 16), &[(0, 0, 10000, 10000)]);
    assert_eq!(
        read_header(&first, true).unwrap_err().code().as_str(),
        "IMAGE_TOO_LARGE"
    );
    let (code, _) = run(&first, DEFAULT_MAX_INPUT_PIXELS).unwrap_err();
    assert_eq!(code, "IMAGE_TOO_LARGE");
    // The big frame second: the header (first frame) is 16 x 16, the frame walk refuses frame 1.
    let second = gif((16, 16), &[(0, 0, 1, 1), (0, 0, 10000, 10000)]);
    let info = read_header(&second, true).unwrap();
    assert_eq!((info.width, info.height), (16, 16));
    let (code, cause) = run(&second, DEFAULT_MAX_INPUT_PIXELS).unwrap_err();
    assert_eq!(code, "IMAGE_TOO_LARGE");
    assert!(cause.contains("frame 1 is 10000 x 10000"), "{cause}");
    // Under a limit that allows the frames, the first frame decodes on the 16 x 16 screen.
    assert_eq!(run(&second, 200_000_000), Ok((16, 16)));
    // A small first frame past the screen's edge grows the canvas, header and decoder alike.
    let grown = gif((16, 16), &[(39, 23, 1, 1)]);
    let info = read_header(&grown, true).unwrap();
    assert_eq!((info.width, info.height), (40, 24));
    assert_eq!(run(&grown, DEFAULT_MAX_INPUT_PIXELS), Ok((40, 24)));
}

#[test]
fn tiny_files_claiming_huge_sizes_fail_before_allocating() {
    // 253-byte RLE4 BMP claiming 2554 x 18803 and 107-byte PNG claiming 7000 x 7000.
    for (rel, what) in [
        (
            "image-rs/Bad_unusual_extend_buffer_usage.bmp",
            "RLE data ends",
        ),
        ("generated/claims_7000x7000.png", "1032:1"),
    ] {
        let bytes = std::fs::read(suites().join(rel)).unwrap();
        assert!(bytes.len() < 300);
        let (code, cause) = run(&bytes, DEFAULT_MAX_INPUT_PIXELS).unwrap_err();
        assert_eq!(code, "INVALID_IMAGE", "{rel}");
        assert!(cause.contains(what), "{rel}: {cause}");
    }
    // An uncompressed BMP header claiming 4000 x 4000 in 100 bytes: refused by length.
    let mut bmp = b"BM".to_vec();
    bmp.extend_from_slice(&100u32.to_le_bytes());
    bmp.extend_from_slice(&[0, 0, 0, 0]);
    bmp.extend_from_slice(&54u32.to_le_bytes());
    bmp.extend_from_slice(&40u32.to_le_bytes());
    bmp.extend_from_slice(&4000i32.to_le_bytes());
    bmp.extend_from_slice(&(-4000i32).to_le_bytes());
    bmp.extend_from_slice(&1u16.to_le_bytes());
    bmp.extend_from_slice(&24u16.to_le_bytes());
    bmp.resize(100, 0);
    let (code, cause) = run(&bmp, DEFAULT_MAX_INPUT_PIXELS).unwrap_err();
    assert_eq!(code, "INVALID_IMAGE");
    assert!(cause.contains("truncated"), "{cause}");
}

/// The checks a browser decoder's bitmap is trusted after (`check_batch`, `decoder: 'browser'`):
/// never stricter than decoding on a readable file (same upright size, same code when both
/// refuse), and what only a full decode finds is exactly this list (docs/tfjs.md): damaged BMP
/// headers and RLE streams, a PNG cut before its IEND, PNGs with bad CRCs or no IDAT. The runtime
/// matrix shows which of them Chromium's decoders still refuse.
const REFUSED_ONLY_BY_DECODING: [&str; 21] = [
    "bmpsuite/b/badheadersize.bmp",
    "bmpsuite/b/badpalettesize.bmp",
    "bmpsuite/b/badplanes.bmp",
    "bmpsuite/b/badrle.bmp",
    "bmpsuite/b/badrle4.bmp",
    "bmpsuite/b/badrle4bis.bmp",
    "bmpsuite/b/badrle4ter.bmp",
    "bmpsuite/b/badrlebis.bmp",
    "bmpsuite/b/badrleter.bmp",
    "bmpsuite/b/rgb16-880.bmp",
    "bmpsuite/b/rletopdown.bmp",
    "bmpsuite/q/pal1huffmsb.bmp",
    "bmpsuite/q/pal8os2v2-16.bmp",
    "bmpsuite/q/pal8oversizepal.bmp",
    "bmpsuite/q/rgb24rle24.bmp",
    "bmpsuite/q/rgba32abf.bmp",
    "bmpsuite/q/rgba64.bmp",
    "image-rs/Bad_clrsUsed.bmp",
    "pillow/truncated_end_chunk.png",
    "pngsuite/xcsn0g01.png",
    "pngsuite/xdtn0g01.png",
];

#[test]
fn checks_before_decoding_for_browser_decoders() {
    let (mut problems, mut only_decoding) = (Vec::new(), Vec::new());
    for (path, name, _) in expected::entries(&suites()) {
        let bytes = std::fs::read(&path).unwrap();
        let sample = [Sample {
            index: 0,
            source: Source::Encoded(&bytes),
        }];
        let checked = check_batch(&sample, DEFAULT_MAX_INPUT_PIXELS, false);
        match (run(&bytes, DEFAULT_MAX_INPUT_PIXELS), checked) {
            (Ok(size), Ok(c)) if (c.widths[0], c.heights[0]) != size => problems.push(format!(
                "{name}: checked {}x{}, decoded {size:?}",
                c.widths[0], c.heights[0]
            )),
            (Ok(_), Err(f)) => {
                problems.push(format!("{name}: readable, but the checks refuse it: {f}"))
            }
            (Err((code, _)), Err(f)) if f.reject.code.to_string() != code => {
                problems.push(format!("{name}: decoding gives {code}, the checks {f}"))
            }
            (Err(_), Ok(_)) => only_decoding.push(name.to_string()),
            _ => {}
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!(only_decoding, REFUSED_ONLY_BY_DECODING);
}
