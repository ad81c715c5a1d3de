//! Header parsers on built headers: sizes, orientation, prefixes, errors, garbage.

use crate::png::crc32;
use crate::*;

fn png(w: u32, h: u32) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    v.extend_from_slice(&w.to_be_bytes());
    v.extend_from_slice(&h.to_be_bytes());
    v.extend_from_slice(&[8, 2, 0, 0, 0]);
    let crc = crc32(&[&v[12..29]]);
    v.extend_from_slice(&crc.to_be_bytes());
    v
}

/// A JPEG header: SOI, an APP1 EXIF with the given orientation, then SOF0 of w x h.
fn jpeg(w: u16, h: u16, orientation: Option<u16>, big_endian: bool) -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8];
    if let Some(o) = orientation {
        let mut tiff: Vec<u8> = if big_endian {
            let mut t = b"MM\0\x2a\0\0\0\x08".to_vec();
            t.extend_from_slice(&[0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1]);
            t.extend_from_slice(&o.to_be_bytes());
            t.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
            t
        } else {
            let mut t = b"II\x2a\0\x08\0\0\0".to_vec();
            t.extend_from_slice(&[1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0]);
            t.extend_from_slice(&o.to_le_bytes());
            t.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
            t
        };
        let mut seg = b"Exif\0\0".to_vec();
        seg.append(&mut tiff);
        v.extend_from_slice(&[0xFF, 0xE1]);
        v.extend_from_slice(&((seg.len() + 2) as u16).to_be_bytes());
        v.extend_from_slice(&seg);
    }
    v.extend_from_slice(&[0xFF, 0xC0, 0, 17, 8]);
    v.extend_from_slice(&h.to_be_bytes());
    v.extend_from_slice(&w.to_be_bytes());
    v.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
    v.extend_from_slice(&[0xFF, 0xD9]);
    v
}

#[test]
fn png_size() {
    let info = read_header(&png(640, 480), false).unwrap();
    assert_eq!(
        (info.format, info.width, info.height),
        (ImageFormat::Png, 640, 480)
    );
}

#[test]
fn jpeg_orientation_swaps_5_to_8() {
    for o in 1..=8u16 {
        for be in [false, true] {
            let info = read_header(&jpeg(300, 200, Some(o), be), true).unwrap();
            assert_eq!(info.orientation as u16, o);
            let expect = if o >= 5 { (200, 300) } else { (300, 200) };
            assert_eq!((info.width, info.height), expect, "orientation {o}");
        }
    }
    assert_eq!(
        read_header(&jpeg(300, 200, None, false), true)
            .unwrap()
            .orientation,
        1
    );
    assert_eq!(
        read_header(&jpeg(300, 200, Some(9), false), true)
            .unwrap()
            .orientation,
        1
    );
}

#[test]
fn prefix_asks_for_more_and_whole_file_is_truncated() {
    let j = jpeg(300, 200, Some(6), false);
    let cut = &j[..j.len() - 18];
    assert_eq!(
        read_header(cut, false),
        Err(HeaderError::NeedMore {
            format: ImageFormat::Jpeg
        })
    );
    assert!(matches!(
        read_header(cut, true),
        Err(HeaderError::Truncated {
            format: ImageFormat::Jpeg,
            ..
        })
    ));
    assert_eq!(
        read_header(b"\x89P", false),
        Err(HeaderError::NeedMore {
            format: ImageFormat::Png
        })
    );
}

#[test]
fn unsupported_zero_and_corrupt() {
    let e = read_header(b"hello, world", true).unwrap_err();
    assert_eq!(e, HeaderError::Unsupported { format: None });
    // Never any of the file's bytes in the message.
    assert!(!e.to_string().contains("68 65"), "{e}");
    assert_eq!(
        read_header(&png(0, 10), true),
        Err(HeaderError::ZeroSized {
            format: ImageFormat::Png,
            width: 0,
            height: 10
        })
    );
    let bad = [0xFF, 0xD8, 0xFF, 0xE0, 0, 0, 0x12, 0x34];
    assert!(matches!(
        read_header(&bad, true),
        Err(HeaderError::Corrupt { .. } | HeaderError::Truncated { .. })
    ));
}

#[test]
fn never_panics_on_garbage() {
    // Deterministic pseudo-random bytes behind every signature, at every length.
    let mut x: u64 = 0x9E3779B97F4A7C15;
    let sigs: [&[u8]; 6] = [
        b"\x89PNG\r\n\x1a\n",
        b"\xFF\xD8\xFF",
        b"RIFF\0\0\0\0WEBPVP8 ",
        b"GIF89a",
        b"BM",
        b"",
    ];
    for sig in sigs {
        for len in 0..200 {
            let mut v = sig.to_vec();
            for _ in 0..len {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                v.push(x as u8);
            }
            let _ = read_header(&v, true);
            let _ = read_header(&v, false);
        }
    }
}

/// An uncompressed 24-bit BMP of `w x h` (black), whole.
fn bmp(w: u32, h: u32) -> Vec<u8> {
    let row = (w * 3).div_ceil(4) * 4;
    let size = 54 + row * h;
    let mut v = b"BM".to_vec();
    v.extend_from_slice(&size.to_le_bytes());
    v.extend_from_slice(&[0, 0, 0, 0, 54, 0, 0, 0, 40, 0, 0, 0]);
    v.extend_from_slice(&w.to_le_bytes());
    v.extend_from_slice(&h.to_le_bytes());
    v.extend_from_slice(&[1, 0, 24, 0, 0, 0, 0, 0]);
    v.extend_from_slice(&(row * h).to_le_bytes());
    v.extend_from_slice(&[0; 16]);
    v.resize(size as usize, 0);
    v
}

#[test]
fn known_formats_are_named_and_never_quoted() {
    let cases: [(&[u8], ImageFormat); 4] = [
        (b"II*\0\x08\0\0\0secret", ImageFormat::Tiff),
        (b"MM\0*\0\0\0\x08secret", ImageFormat::Tiff),
        (b"%PDF-1.7 secret", ImageFormat::Pdf),
        (b"8BPS\0\x01secret", ImageFormat::Psd),
    ];
    for (bytes, format) in cases {
        let e = read_header(bytes, true).unwrap_err();
        assert_eq!(
            e,
            HeaderError::Unsupported {
                format: Some(format)
            }
        );
        assert_eq!(e.code(), HeaderCode::Unsupported);
        assert!(e.detail().starts_with(format.as_str()), "{e}");
        assert!(!e.to_string().contains("secret"), "{e}");
    }
}

#[test]
fn header_passes_climb_the_ladder() {
    use crate::ladder::*;
    let b = bmp(30, 40);
    let offsets = [0u32, 12];
    let lengths = [b.len() as f64];
    let cut = EncodedPrefixes {
        bytes: &b[..12],
        offsets: &offsets,
        lengths: &lengths,
    };
    assert_eq!(
        header_pass(cut),
        vec![HeaderPass::More(HEADER_PREFIX_PASSES[1])]
    );
    // The whole file, cut: nothing more to ask for.
    let whole = [12.0];
    let ended = EncodedPrefixes {
        lengths: &whole,
        ..cut
    };
    assert!(matches!(
        header_pass(ended)[0],
        HeaderPass::Read(Err(HeaderError::Truncated { .. }))
    ));
    // A length not known (a URL without one) and a prefix that holds the header.
    let full_offsets = [0u32, b.len() as u32];
    let unknown = [f64::INFINITY];
    let full = EncodedPrefixes {
        bytes: &b,
        offsets: &full_offsets,
        lengths: &unknown,
    };
    assert!(
        matches!(&header_pass(full)[0], HeaderPass::Read(Ok(info)) if info.width == 30 && info.height == 40)
    );
    assert_eq!(
        next_prefix(HEADER_PREFIX_PASSES[1]),
        Some(HEADER_PREFIX_PASSES[2])
    );
    assert_eq!(next_prefix(HEADER_PREFIX_PASSES[2]), Some(usize::MAX));
    assert_eq!(next_prefix(usize::MAX), None);
}
