use image::{ImageEncoder, RgbImage};
use mm_batcher_imaging::*;

fn gradient(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([
            (x * 255 / w.max(2).saturating_sub(1).max(1)) as u8,
            (y * 255 / h.max(2).saturating_sub(1).max(1)) as u8,
            128,
        ])
    })
}

fn encode(img: &RgbImage, format: image::ImageFormat) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, format).unwrap();
    out.into_inner()
}

fn jpeg_with_orientation(img: &RgbImage, orientation: u16) -> Vec<u8> {
    let mut jpg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpg, 95)
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    let mut tiff = b"MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01".to_vec();
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    let mut seg = b"Exif\0\0".to_vec();
    seg.extend_from_slice(&tiff);
    let mut out = jpg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((seg.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&seg);
    out.extend_from_slice(&jpg[2..]);
    out
}

fn enc(index: usize, bytes: &[u8]) -> Sample<'_> {
    Sample {
        index,
        source: Source::Encoded(bytes),
    }
}

#[test]
fn every_format_decodes_and_resizes() {
    let img = gradient(40, 30);
    for f in [
        image::ImageFormat::Png,
        image::ImageFormat::Jpeg,
        image::ImageFormat::WebP,
        image::ImageFormat::Gif,
        image::ImageFormat::Bmp,
    ] {
        let bytes = encode(&img, f);
        let mut spec = TensorSpec::new(15, 20);
        spec.dtype = Dtype::U8;
        let out =
            batch_tensor(&[enc(0, &bytes)], &spec, false).unwrap_or_else(|e| panic!("{f:?}: {e}"));
        assert_eq!(out.shape(), [1, 15, 20, 3]);
        let data = out.data.as_u8().unwrap();
        // Left column dark red channel, right column bright: a halved gradient stays a gradient.
        let (left, right) = (data[3 * (7 * 20)] as i32, data[3 * (7 * 20 + 19)] as i32);
        assert!(right - left > 180, "{f:?}: {left} -> {right}");
        // Blue is a constant 128 (GIF palette and JPEG allow a little drift).
        assert!(
            data.chunks(3).all(|p| (p[2] as i32 - 128).abs() <= 12),
            "{f:?}"
        );
    }
}

#[test]
fn constant_image_normalises_exactly() {
    let px = [10u8, 200, 30, 255].repeat(7 * 5);
    let mut spec = TensorSpec::new(4, 6);
    spec.normalize = Normalize {
        mean: [0.5, 0.5, 0.5],
        std: [0.5, 0.25, 0.5],
    };
    let out = batch_tensor(
        &[Sample {
            index: 0,
            source: Source::Rgba {
                data: &px,
                width: 7,
                height: 5,
            },
        }],
        &spec,
        false,
    )
    .unwrap();
    assert_eq!(out.shape(), [1, 3, 4, 6]);
    let d = out.data.as_f32().unwrap();
    let expect = [
        (10.0 / 255.0 - 0.5) / 0.5,
        (200.0 / 255.0 - 0.5) / 0.25,
        (30.0 / 255.0 - 0.5) / 0.5,
    ];
    for c in 0..3 {
        for v in &d[c * 24..(c + 1) * 24] {
            assert!(
                (v - expect[c]).abs() < 1e-5,
                "channel {c}: {v} vs {}",
                expect[c]
            );
        }
    }
}

#[test]
fn letterbox_pads_and_reports_content_boxes() {
    let wide = [255u8; 4 * 100 * 50];
    let tall = [255u8; 4 * 10 * 40];
    let mut spec = TensorSpec::new(20, 20);
    spec.mode = Mode::Letterbox;
    spec.dtype = Dtype::U8;
    spec.pad_value = [1, 2, 3];
    let samples = [
        Sample {
            index: 5,
            source: Source::Rgba {
                data: &wide,
                width: 100,
                height: 50,
            },
        },
        Sample {
            index: 9,
            source: Source::Rgba {
                data: &tall,
                width: 10,
                height: 40,
            },
        },
    ];
    let out = batch_tensor(&samples, &spec, false).unwrap();
    assert_eq!(out.content_boxes, vec![[0, 5, 20, 10], [7, 0, 5, 20]]);
    let d = out.data.as_u8().unwrap();
    assert_eq!(&d[0..3], &[1, 2, 3]); // top-left of the wide one is padding
    assert_eq!(
        &d[(6 * 20 + 10) * 3..(6 * 20 + 10) * 3 + 3],
        &[255, 255, 255]
    );
    let second = &d[20 * 20 * 3..];
    assert_eq!(&second[0..3], &[1, 2, 3]);
    assert_eq!(
        &second[(10 * 20 + 7) * 3..(10 * 20 + 7) * 3 + 3],
        &[255, 255, 255]
    );
}

#[test]
fn crop_takes_the_centre() {
    // Left third red, middle third green, right third blue; a square crop of the centre is green.
    let (w, h) = (90u32, 30u32);
    let mut px = Vec::new();
    for _y in 0..h {
        for x in 0..w {
            px.extend_from_slice(&match x / 30 {
                0 => [255, 0, 0, 255],
                1 => [0, 255, 0, 255],
                _ => [0, 0, 255, 255],
            });
        }
    }
    let mut spec = TensorSpec::new(10, 10);
    spec.mode = Mode::Crop;
    spec.dtype = Dtype::U8;
    let out = batch_tensor(
        &[Sample {
            index: 0,
            source: Source::Rgba {
                data: &px,
                width: w,
                height: h,
            },
        }],
        &spec,
        false,
    )
    .unwrap();
    // Edge columns blend with the neighbours just outside the crop (the kernel reaches them).
    let d = out.data.as_u8().unwrap();
    for y in 0..10 {
        for x in 1..9 {
            assert_eq!(
                &d[(y * 10 + x) * 3..(y * 10 + x) * 3 + 3],
                &[0, 255, 0],
                "({x}, {y})"
            );
        }
    }
}

#[test]
fn jpeg_orientation_is_applied_and_matches_the_header() {
    let img = gradient(48, 32);
    for o in [1u16, 3, 6, 8] {
        let bytes = jpeg_with_orientation(&img, o);
        let header = mm_batcher_core::read_header(&bytes, true).unwrap();
        let mut buf = Vec::new();
        let d = decode(0, &enc(0, &bytes), DEFAULT_MAX_INPUT_PIXELS, &mut buf).unwrap();
        assert_eq!(
            (d.width, d.height),
            (header.width, header.height),
            "orientation {o}"
        );
        assert_eq!(
            (d.width, d.height),
            if o >= 5 { (32, 48) } else { (48, 32) }
        );
        // Red grows left to right in the source. Orientation 6 (rotate 90 cw): the left column
        // becomes the top row; orientation 8 (90 ccw): the bottom row.
        if o >= 5 {
            let (top, bottom) = (buf[0] as i32, buf[(47 * 32) * 3] as i32);
            let (dark, bright) = if o == 6 { (top, bottom) } else { (bottom, top) };
            assert!(
                dark < 40 && bright > 200,
                "orientation {o}: top {top}, bottom {bottom}"
            );
        }
    }
}

#[test]
fn bad_input_gives_clear_failures_and_skip_keeps_the_rest() {
    let good = encode(&gradient(16, 16), image::ImageFormat::Png);
    let truncated = good[..good.len() / 2].to_vec();
    let mut corrupt = good.clone();
    for b in corrupt[40..].iter_mut() {
        *b = b.wrapping_mul(31).wrapping_add(7);
    }
    let unsupported = b"GIF-nope not an image at all".to_vec();
    // A PNG header claiming 100000 x 100000 pixels.
    let mut bomb = good[..33].to_vec();
    bomb[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    bomb[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let crc = crc32(&bomb[12..29]);
    bomb[29..33].copy_from_slice(&crc.to_be_bytes());
    bomb.extend_from_slice(&good[33..]);
    let short_pixels = [0u8; 10];
    let zero: [u8; 0] = [];
    let samples = [
        enc(10, &good),
        enc(11, &truncated),
        enc(12, &corrupt),
        enc(13, &unsupported),
        enc(14, &bomb),
        Sample {
            index: 15,
            source: Source::Rgba {
                data: &short_pixels,
                width: 2,
                height: 2,
            },
        },
        Sample {
            index: 16,
            source: Source::Rgba {
                data: &zero,
                width: 0,
                height: 3,
            },
        },
        enc(17, &good),
    ];
    let spec = TensorSpec::new(8, 8);
    let out = batch_tensor(&samples, &spec, true).unwrap();
    assert_eq!(out.kept, vec![0, 7]);
    assert_eq!(out.shape(), [2, 3, 8, 8]);
    let by_index = |i: usize| {
        out.failures
            .iter()
            .find(|f| f.reject.index == i)
            .unwrap_or_else(|| panic!("no failure for {i}"))
    };
    assert_eq!(by_index(11).reject.format, Some(ImageFormat::Png));
    assert_eq!(by_index(12).reject.code, ErrorCode::InvalidImage);
    assert_eq!(by_index(13).reject.code, ErrorCode::UnsupportedImage);
    assert_eq!(by_index(14).reject.code, ErrorCode::ImageTooLarge);
    assert!(
        by_index(14).to_string().contains("maxInputPixels"),
        "{}",
        by_index(14)
    );
    assert!(
        by_index(15).to_string().contains("needs 16"),
        "{}",
        by_index(15)
    );
    assert!(by_index(16).reject.detail.contains("zero-sized"));
    for f in &out.failures {
        assert!(
            f.to_string()
                .starts_with(&format!("sample {}: ", f.reject.index)),
            "{f}"
        );
    }
    // JPEG and WebP cut short are named as truncated (their decoders would pad or say "corrupt").
    for f in [image::ImageFormat::Jpeg, image::ImageFormat::WebP] {
        let whole = encode(&gradient(64, 64), f);
        let cut = &whole[..whole.len() * 2 / 3];
        let e = batch_tensor(&[enc(3, cut)], &spec, false).unwrap_err();
        assert!(e.reject.detail.contains("truncated"), "{f:?}: {e}");
    }
    // Without skip the first failure is the error.
    let err = batch_tensor(&samples, &spec, false).unwrap_err();
    assert_eq!(err.reject.index, 11);
}

#[test]
fn garbage_never_panics() {
    let good = [
        encode(&gradient(9, 7), image::ImageFormat::Png),
        encode(&gradient(9, 7), image::ImageFormat::Jpeg),
        encode(&gradient(9, 7), image::ImageFormat::WebP),
        encode(&gradient(9, 7), image::ImageFormat::Gif),
        encode(&gradient(9, 7), image::ImageFormat::Bmp),
    ];
    let mut x: u64 = 0x2545F4914F6CDD1D;
    let spec = TensorSpec::new(4, 4);
    for g in &good {
        for cut in (0..g.len()).step_by(3) {
            let _ = batch_tensor(&[enc(0, &g[..cut])], &spec, true);
        }
        for _ in 0..200 {
            let mut v = g.clone();
            for _ in 0..4 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let at = (x as usize) % v.len();
                v[at] = (x >> 32) as u8;
            }
            let _ = batch_tensor(&[enc(0, &v)], &spec, true);
        }
    }
}

fn options(json: &str) -> mm_batcher_core::OptionMap {
    serde_json::from_str(json).unwrap()
}

#[test]
fn options_are_validated() {
    assert!(TensorSpec::parse(&options(r#"{"size": [8, 8]}"#)).is_ok());
    let bad = |json: &str, option: &str| {
        let e = TensorSpec::parse(&options(json)).unwrap_err();
        assert_eq!(e.option, option, "{json}");
        assert!(
            e.to_string().starts_with(&format!("option `{option}`")),
            "{json}: {e}"
        );
    };
    bad(r#"{"size": [0, 8]}"#, "size");
    bad(r#"{"size": [8, 1.5]}"#, "size");
    bad(r#"{}"#, "size");
    bad(r#"{"size": [8, 8], "mode": "fill"}"#, "mode");
    bad(r#"{"size": [8, 8], "filter": "nearest"}"#, "filter");
    bad(
        r#"{"size": [8, 8], "normalize": {"mean": [0, 0, 0], "std": [0, 1, 1]}}"#,
        "std",
    );
    bad(
        r#"{"size": [8, 8], "normalize": {"mean": [1, 2], "std": [1]}}"#,
        "mean",
    );
    bad(r#"{"size": [8, 8], "normalize": "openai"}"#, "normalize");
    bad(r#"{"size": [8, 8], "padValue": [256]}"#, "padValue");
    bad(r#"{"size": [8, 8], "maxInputPixels": 0}"#, "maxInputPixels");
    bad(
        r#"{"size": [8, 8], "maxInputPixels": "100"}"#,
        "maxInputPixels",
    );
    bad(r#"{"size": [8, 8], "patchSize": 3}"#, "patchSize");
    bad(
        r#"{"size": [8, 8], "dtype": "uint8", "normalize": "clip"}"#,
        "normalize",
    );
    bad(r#"{"size": [8, 8], "sizes": 1}"#, "sizes");
    let clip = TensorSpec::parse(&options(
        r#"{"size": [448, 224], "normalize": "clip", "patchSize": 14}"#,
    ))
    .unwrap();
    assert_eq!(clip.normalize, NORMALIZE_PRESETS[0].1);
    assert_eq!(clip.patch_grid(), Some((32, 16)));
    // A batch whose tensor would pass 1 GiB is refused before anything is allocated.
    let mut big = TensorSpec::parse(&options(r#"{"size": [16384, 16384]}"#)).unwrap();
    assert!(big
        .check_batch(1)
        .unwrap_err()
        .to_string()
        .starts_with("option `size`"));
    big.dtype = Dtype::U8;
    assert!(big.check_batch(1).is_ok());
    let px = [0u8; 4];
    let one = Sample {
        index: 3,
        source: Source::Rgba {
            data: &px,
            width: 1,
            height: 1,
        },
    };
    let e = batch_tensor(&[one; 5], &big, true).unwrap_err();
    assert_eq!(
        (e.reject.code, e.reject.index),
        (ErrorCode::ImageTooLarge, 3)
    );
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn shrink_on_load_decodes_large_jpegs_scaled_and_can_be_turned_off() {
    // 1200 x 900 to 64 x 64: the rule takes 1/4 (300 x 225 still holds twice the target).
    let jpeg = encode(&gradient(1200, 900), image::ImageFormat::Jpeg);
    let samples = [enc(0, &jpeg)];
    let scaled = TensorSpec::parse(&options(r#"{"size": [64, 64], "dtype": "uint8"}"#)).unwrap();
    assert!(scaled.shrink_on_load, "on by default");
    let full = TensorSpec::parse(&options(
        r#"{"size": [64, 64], "dtype": "uint8", "shrinkOnLoad": false}"#,
    ))
    .unwrap();
    let a = batch_tensor(&samples, &scaled, false).unwrap();
    let b = batch_tensor(&samples, &full, false).unwrap();
    assert_eq!(
        (a.shape(), a.content_boxes.clone()),
        (b.shape(), b.content_boxes.clone())
    );
    let (a, b) = (a.data.as_u8().unwrap(), b.data.as_u8().unwrap());
    let max = a.iter().zip(b).map(|(x, y)| x.abs_diff(*y)).max().unwrap();
    assert!(a != b, "the scaled path ran");
    assert!(
        max <= 12,
        "scaled and full decode differ by {max} at most 12"
    );
    // A target too large for any scale: both paths are the same full decode.
    let big = r#"{"size": [800, 600], "dtype": "uint8"}"#;
    let big_off = r#"{"size": [800, 600], "dtype": "uint8", "shrinkOnLoad": false}"#;
    let (c, d) = (
        batch_tensor(&samples, &TensorSpec::parse(&options(big)).unwrap(), false).unwrap(),
        batch_tensor(
            &samples,
            &TensorSpec::parse(&options(big_off)).unwrap(),
            false,
        )
        .unwrap(),
    );
    assert_eq!(c.data, d.data);
}
