//! Header reading on every file of the curated public suites (`test/fixtures/suites/*`): the size
//! (or error code) must be what `expected.json` records, which for every file both references
//! decode is the size Pillow and sharp give (for AVIF and HEIC, the size libheif shows: see the
//! folder's README). Prefixes never contradict the whole file.

use mm_batcher_formats::{read_header, HeaderError, MAX_IMAGE_PIXELS};
use std::path::PathBuf;

#[path = "../../../test/fixtures/suites/expected.rs"]
mod expected;

fn suites() -> PathBuf {
    expected::root(env!("CARGO_MANIFEST_DIR"))
}

fn entries() -> Vec<(PathBuf, String, serde_json::Value)> {
    expected::entries(&suites())
}

#[test]
fn every_fixture_header_as_expected() {
    let mut failures = Vec::new();
    for (path, name, e) in entries() {
        let bytes = std::fs::read(&path).unwrap();
        let want = &e["header"];
        let got = read_header(&bytes, true);
        let ok = match (&got, want.get("error")) {
            (Ok(info), None) => {
                want["width"].as_u64() == Some(info.width as u64)
                    && want["height"].as_u64() == Some(info.height as u64)
            }
            (Err(err), Some(code)) => code.as_str() == Some(err.code().as_str()),
            _ => false,
        };
        if !ok {
            failures.push(format!("{name}: got {got:?}, expected {want}"));
        }
        // A prefix either asks for more or agrees with the whole file.
        for cut in [12usize, 40, 200, 1000, 5000] {
            if cut >= bytes.len() {
                break;
            }
            match (read_header(&bytes[..cut], false), &got) {
                (Err(HeaderError::NeedMore { .. }), _) => {}
                (Ok(p), Ok(f)) if p == *f => {}
                // Whole-file checks (a file too short for its pixels) only run on whole files.
                (Ok(_), Err(HeaderError::Corrupt { .. })) => {}
                (Err(pe), Err(fe)) if pe.code().as_str() == fe.code().as_str() => {}
                (p, f) => failures.push(format!(
                    "{name}: prefix {cut} gives {p:?}, whole file {f:?}"
                )),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The cases of issue 11, named, so a regression says which one broke.
#[test]
fn issue_11_cases() {
    let read = |rel: &str| read_header(&std::fs::read(suites().join(rel)).unwrap(), true);
    let size = |rel: &str| {
        read(rel)
            .map(|i| (i.width, i.height))
            .unwrap_or_else(|e| panic!("{rel}: {e}"))
    };
    assert_eq!(
        size("bmpsuite/g/pal8topdown.bmp"),
        (127, 64),
        "top-down BMP"
    );
    assert_eq!(
        size("bmpsuite/g/pal8os2.bmp"),
        (127, 64),
        "OS/2 core header BMP"
    );
    assert_eq!(
        size("libwebp-test-data/vp80-03-segmentation-1425.webp"),
        (176, 144),
        "VP8 scale bits"
    );
    assert_eq!(
        size("image-size/cgbi_sample_fried.png"),
        (128, 68),
        "Apple CgBI PNG"
    );
    let e = read("image-size/ihdo_first_chunk.png").unwrap_err();
    assert_eq!(e.code().as_str(), "INVALID_IMAGE");
    assert!(e.to_string().contains("IHDO"), "{e}");
    assert_eq!(
        read("pillow/broken.png").unwrap_err().code().as_str(),
        "INVALID_IMAGE"
    );
    let e = read("bmpsuite/b/reallybig.bmp").unwrap_err();
    assert_eq!(e.code().as_str(), "IMAGE_TOO_LARGE", "{e}");
    assert_eq!(
        size("exif-orientation-examples/Landscape_6.jpg"),
        (1800, 1200),
        "EXIF 6 swaps"
    );
}

/// AVIF and HEIC as decoders show them (issue 23): rotation, mirror, crop, a phone's grid, cuts.
#[test]
fn avif_heic_cases() {
    use mm_batcher_formats::ladder::{header_pass, EncodedPrefixes, HeaderPass};
    use mm_batcher_formats::ImageFormat::{Avif, Heic};
    let bytes = |rel: &str| std::fs::read(suites().join(rel)).unwrap();
    let read = |rel: &str| {
        read_header(&bytes(rel), true)
            .map(|i| (i.format, i.width, i.height))
            .unwrap_or_else(|e| panic!("{rel}: {e}"))
    };
    let kimono = "link-u-avif-sample-images/kimono";
    assert_eq!(
        read(&format!("{kimono}.rotate90.avif")),
        (Avif, 722, 1024),
        "irot 3"
    );
    assert_eq!(
        read(&format!("{kimono}.mirror-vertical.rotate270.crop.avif")),
        (Avif, 385, 330),
        "clap, then irot 1, then imir"
    );
    assert_eq!(
        read("libavif/clap_irot_imir_non_essential.avif"),
        (Avif, 10, 8)
    );
    assert_eq!(
        read("image-size/sample.heic"),
        (Heic, 123, 456),
        "clap by -1/2"
    );
    assert_eq!(
        read("libavif/draw_points_idat_metasize0.avif"),
        (Avif, 33, 11),
        "meta of size 0"
    );
    // An iPhone 8 Plus photo cut after its `meta`: a grid of 4032 x 3024 turned by irot 3. Its
    // first 2 KiB do not hold `meta`, so the ladder asks for the next rung.
    let iphone = bytes("pillow-heif/arrow_cut6000.heic");
    assert_eq!(read("pillow-heif/arrow_cut6000.heic"), (Heic, 3024, 4032));
    let offsets = [0u32, 2048];
    let unknown = [f64::INFINITY];
    let prefix = EncodedPrefixes {
        bytes: &iphone[..2048],
        offsets: &offsets,
        lengths: &unknown,
    };
    assert_eq!(header_pass(prefix), vec![HeaderPass::More(64 * 1024)]);
    // Cut inside `meta`: every prefix asks for more, the whole file is truncated.
    for rel in [
        "pillow-heif/arrow_cut2000.heic",
        "libavif/clap_irot_imir_non_essential_cut300.avif",
    ] {
        let cut = bytes(rel);
        for n in (20..cut.len()).step_by(7) {
            assert!(
                matches!(
                    read_header(&cut[..n], false),
                    Err(HeaderError::NeedMore { .. })
                ),
                "{rel} prefix {n}"
            );
        }
        assert!(
            matches!(read_header(&cut, true), Err(HeaderError::Truncated { .. })),
            "{rel}"
        );
    }
}

#[test]
fn pixel_limit_is_inclusive_and_shared() {
    // A PNG header exactly at the limit passes, one pixel over is IMAGE_TOO_LARGE.
    fn png(w: u32, h: u32) -> Vec<u8> {
        let mut ihdr = b"IHDR".to_vec();
        ihdr.extend_from_slice(&w.to_be_bytes());
        ihdr.extend_from_slice(&h.to_be_bytes());
        ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
        let mut crc = !0u32;
        for &b in &ihdr {
            crc ^= b as u32;
            for _ in 0..8 {
                crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
            }
        }
        let mut v = b"\x89PNG\r\n\x1a\n\0\0\0\x0d".to_vec();
        v.extend_from_slice(&ihdr);
        v.extend_from_slice(&(!crc).to_be_bytes());
        v
    }
    // 89,478,485 = 5 x 17,895,697 (prime factors), so use a 1-row image.
    assert!(read_header(&png(MAX_IMAGE_PIXELS as u32, 1), false).is_ok());
    let e = read_header(&png(MAX_IMAGE_PIXELS as u32 + 1, 1), false).unwrap_err();
    assert_eq!(e.code().as_str(), "IMAGE_TOO_LARGE");
    let e = read_header(&png(1 << 31, 1), false).unwrap_err();
    assert_eq!(e.code().as_str(), "INVALID_IMAGE", "{e}");
}
