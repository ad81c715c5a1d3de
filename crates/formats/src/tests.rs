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
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let sigs: [&[u8]; 9] = [
        b"\x89PNG\r\n\x1a\n",
        b"\xFF\xD8\xFF",
        b"RIFF\0\0\0\0WEBPVP8 ",
        b"GIF89a",
        b"BM",
        b"",
        b"\0\0\0\x14ftypavif\0\0\0\0mif1",
        b"\0\0\0\x18ftypheic\0\0\0\0mif1heic",
        // ftyp, then a `meta` header: random children.
        b"\0\0\0\x14ftypavif\0\0\0\0mif1\0\0\0\xC8meta\0\0\0\0",
    ];
    for sig in sigs {
        for len in 0..200 {
            let mut v = sig.to_vec();
            v.extend((0..len).map(|_| next() as u8));
            let _ = read_header(&v, true);
            let _ = read_header(&v, false);
        }
    }
    // AVIF and HEIC with random bytes changed inside `meta` (sizes, versions, counts, indices).
    use heif::*;
    let files = [
        image(
            b"avif",
            &[
                ispe(300, 200),
                clap((100, 1), (50, 1), (0, 1), (0, 1)),
                irot(1),
            ],
        ),
        image(b"heic", &[ispe(4032, 3024), imir(0), irot(3)]),
    ];
    for file in files {
        for _ in 0..3000 {
            let mut v = file.clone();
            for _ in 0..1 + next() % 3 {
                let at = 24 + next() as usize % (v.len() - 24);
                v[at] = next() as u8;
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
        assert!(e.to_string().starts_with(&format!("{format}: ")), "{e}");
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

/// ISOBMFF boxes for AVIF and HEIC tests: a box, a FullBox, and the properties.
mod heif {
    pub fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut v = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        v.extend_from_slice(kind);
        v.extend_from_slice(body);
        v
    }

    /// A box with a 64-bit size (size field 1).
    pub fn large(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut v = 1u32.to_be_bytes().to_vec();
        v.extend_from_slice(kind);
        v.extend_from_slice(&((body.len() + 16) as u64).to_be_bytes());
        v.extend_from_slice(body);
        v
    }

    pub fn full(kind: &[u8; 4], version: u8, flags: u32, body: &[u8]) -> Vec<u8> {
        let mut b = vec![version];
        b.extend_from_slice(&flags.to_be_bytes()[1..]);
        b.extend_from_slice(body);
        bx(kind, &b)
    }

    pub fn ftyp(brand: &[u8; 4]) -> Vec<u8> {
        let mut b = brand.to_vec();
        b.extend_from_slice(&[0; 4]);
        b.extend_from_slice(b"mif1miaf");
        bx(b"ftyp", &b)
    }

    pub fn ispe(w: u32, h: u32) -> Vec<u8> {
        full(b"ispe", 0, 0, &[w.to_be_bytes(), h.to_be_bytes()].concat())
    }

    pub fn irot(angle: u8) -> Vec<u8> {
        bx(b"irot", &[angle])
    }

    pub fn imir(axis: u8) -> Vec<u8> {
        bx(b"imir", &[axis])
    }

    /// Clean aperture: width, height, horizontal and vertical offset, each (numerator, denominator).
    pub fn clap(w: (u32, u32), h: (u32, u32), x: (i32, u32), y: (i32, u32)) -> Vec<u8> {
        let v = [w.0, w.1, h.0, h.1, x.0 as u32, x.1, y.0 as u32, y.1];
        bx(
            b"clap",
            &v.iter().flat_map(|n| n.to_be_bytes()).collect::<Vec<_>>(),
        )
    }

    pub fn pitm(version: u8, id: u32) -> Vec<u8> {
        let id = match version {
            0 => (id as u16).to_be_bytes().to_vec(),
            _ => id.to_be_bytes().to_vec(),
        };
        full(b"pitm", version, 0, &id)
    }

    /// `iinf` listing `ids` (`infe` version 3, 32-bit ids, for those above 16 bits).
    pub fn iinf(ids: &[u32]) -> Vec<u8> {
        let mut b = (ids.len() as u16).to_be_bytes().to_vec();
        for &id in ids {
            let (version, mut e) = match u16::try_from(id) {
                Ok(id) => (2, id.to_be_bytes().to_vec()),
                Err(_) => (3, id.to_be_bytes().to_vec()),
            };
            e.extend_from_slice(&[0, 0]); // protection index
            e.extend_from_slice(b"av01\0"); // item type, empty name
            b.extend(full(b"infe", version, 0, &e));
        }
        full(b"iinf", 0, 0, &b)
    }

    /// `ipma` of the given version and flags: per item, its 1-based property indices.
    pub fn ipma(version: u8, flags: u32, items: &[(u32, &[u16])]) -> Vec<u8> {
        let mut b = (items.len() as u32).to_be_bytes().to_vec();
        for &(id, props) in items {
            match version {
                0 => b.extend_from_slice(&(id as u16).to_be_bytes()),
                _ => b.extend_from_slice(&id.to_be_bytes()),
            }
            b.push(props.len() as u8);
            for &k in props {
                match flags & 1 {
                    1 => b.extend_from_slice(&(k | 0x8000).to_be_bytes()),
                    _ => b.push(k as u8 | 0x80),
                }
            }
        }
        full(b"ipma", version, flags, &b)
    }

    pub fn iprp(props: &[Vec<u8>], ipma: Vec<u8>) -> Vec<u8> {
        bx(b"iprp", &[bx(b"ipco", &props.concat()), ipma].concat())
    }

    pub fn meta(children: &[Vec<u8>]) -> Vec<u8> {
        full(b"meta", 0, 0, &children.concat())
    }

    /// The usual layout: one item (1), its properties all associated in order.
    pub fn image(brand: &[u8; 4], props: &[Vec<u8>]) -> Vec<u8> {
        let indices: Vec<u16> = (1..=props.len() as u16).collect();
        let m = meta(&[
            full(b"hdlr", 0, 0, &[0; 21]),
            pitm(0, 1),
            iinf(&[1]),
            iprp(props, ipma(0, 0, &[(1, &indices)])),
        ]);
        [ftyp(brand), m, bx(b"mdat", &[0; 64])].concat()
    }
}

fn size(bytes: &[u8]) -> Result<(ImageFormat, u32, u32), HeaderError> {
    read_header(bytes, true).map(|i| (i.format, i.width, i.height))
}

fn corrupt_naming(bytes: &[u8], word: &str) {
    match read_header(bytes, true) {
        Err(HeaderError::Corrupt { cause, .. }) => assert!(cause.contains(word), "{cause}"),
        other => panic!("expected a corrupt header naming {word}, got {other:?}"),
    }
}

#[test]
fn isobmff_size_and_format() {
    use heif::*;
    let avif = image(b"avif", &[ispe(640, 480)]);
    assert_eq!(size(&avif), Ok((ImageFormat::Avif, 640, 480)));
    let heic = image(b"heic", &[ispe(4032, 3024)]);
    assert_eq!(size(&heic), Ok((ImageFormat::Heic, 4032, 3024)));
    // The size already holds the rotation: no EXIF-style orientation is reported.
    assert_eq!(read_header(&heic, true).unwrap().orientation, 1);
    // ispe of 0 is a zero-sized image, as for every format.
    assert!(matches!(
        read_header(&image(b"avif", &[ispe(0, 480)]), true),
        Err(HeaderError::ZeroSized { .. })
    ));
}

#[test]
fn isobmff_irot_swaps_for_1_and_3_and_imir_keeps_the_size() {
    use heif::*;
    for angle in 0..4u8 {
        // The 6 reserved bits above the angle are ignored.
        let b = image(b"heic", &[ispe(300, 200), irot(angle | 0xFC)]);
        let want = if angle % 2 == 1 {
            (200, 300)
        } else {
            (300, 200)
        };
        assert_eq!(size(&b).map(|s| (s.1, s.2)), Ok(want), "irot {angle}");
    }
    for axis in 0..2 {
        let b = image(b"avif", &[ispe(300, 200), irot(1), imir(axis)]);
        assert_eq!(size(&b).map(|s| (s.1, s.2)), Ok((200, 300)));
    }
}

#[test]
fn isobmff_clap_crops_rounds_and_follows_association_order() {
    use heif::*;
    // 385 x 330 from 1024 x 722, as link-u's kimono.crop.avif.
    let crop = clap((385, 1), (330, 1), (103, 1), (-308, 1));
    assert_eq!(
        size(&image(b"avif", &[ispe(722, 1024), crop.clone()])).map(|s| (s.1, s.2)),
        Ok((385, 330))
    );
    // Cropped, then turned; turned, then cropped (the crop then applies to the turned image).
    let tall = clap((100, 1), (200, 1), (0, 1), (0, 1));
    let b = image(b"heic", &[ispe(300, 400), tall.clone(), irot(1)]);
    assert_eq!(size(&b).map(|s| (s.1, s.2)), Ok((200, 100)));
    let b = image(b"heic", &[ispe(400, 300), irot(1), tall]);
    assert_eq!(size(&b).map(|s| (s.1, s.2)), Ok((100, 200)));
    // Fractions round to nearest, halves up, as libheif: 201/2 -> 101, 1001/10 -> 100.
    let b = image(
        b"avif",
        &[ispe(300, 300), clap((201, 2), (1001, 10), (0, 1), (0, 1))],
    );
    assert_eq!(size(&b).map(|s| (s.1, s.2)), Ok((101, 100)));
    // 123 x 456 from 124 x 456, offset -1/2 (image-size's sample.heic).
    let b = image(
        b"heic",
        &[ispe(124, 456), clap((123, 1), (456, 1), (-1, 2), (0, 2))],
    );
    assert_eq!(size(&b).map(|s| (s.1, s.2)), Ok((123, 456)));
    // The whole image is a valid aperture; one pixel more, or shifted out, is not.
    let whole = clap((300, 1), (200, 1), (0, 1), (0, 1));
    assert!(size(&image(b"avif", &[ispe(300, 200), whole])).is_ok());
    for bad in [
        clap((301, 1), (200, 1), (0, 1), (0, 1)),
        clap((100, 1), (100, 1), (101, 1), (0, 1)),
        clap((100, 1), (100, 1), (0, 1), (-51, 1)),
        clap((0, 1), (100, 1), (0, 1), (0, 1)),
        clap((100, 0), (100, 1), (0, 1), (0, 1)),
        clap((100, 1), (100, 1), (0, 0), (0, 1)),
        clap((u32::MAX, 1), (100, 1), (0, 1), (0, 1)),
    ] {
        corrupt_naming(&image(b"avif", &[ispe(300, 200), bad]), "clap");
    }
}

#[test]
fn isobmff_pitm_and_ipma_versions() {
    use heif::*;
    // Item ids above 16 bits: pitm version 1, infe version 3, ipma version 1. Flag 1 of ipma:
    // 15-bit property indices, here one past the 7-bit range (index 130).
    let mut props: Vec<Vec<u8>> = (0..129).map(|_| bx(b"pasp", &[0; 8])).collect();
    props.push(ispe(1200, 800));
    props.push(irot(3));
    let id = 70_000;
    let m = meta(&[
        pitm(1, id),
        iinf(&[5, id]),
        iprp(&props, ipma(1, 1, &[(5, &[1]), (id, &[130, 131])])),
    ]);
    let b = [ftyp(b"avif"), m].concat();
    assert_eq!(size(&b), Ok((ImageFormat::Avif, 800, 1200)));
    // The same with 7-bit indices would name property 130 & 0x7F = 2, a `pasp`: no ispe.
    let m = meta(&[
        pitm(1, id),
        iinf(&[id]),
        iprp(&props, ipma(1, 0, &[(id, &[130])])),
    ]);
    corrupt_naming(&[ftyp(b"avif"), m].concat(), "ispe");
    // Two ipma boxes (one per version and flags): the item is found in the second. Index 0 is
    // "no property".
    let m = meta(&[
        pitm(0, 2),
        iinf(&[1, 2]),
        iprp(
            &[ispe(10, 20), ispe(30, 40)],
            [ipma(0, 0, &[(1, &[1])]), ipma(0, 1, &[(2, &[0, 2])])].concat(),
        ),
    ]);
    assert_eq!(
        size(&[ftyp(b"heic"), m].concat()).map(|s| (s.1, s.2)),
        Ok((30, 40))
    );
}

/// An iPhone photo: the primary item is a `grid` of 512 x 512 tiles; the grid carries the full
/// image's ispe and the rotation, the tiles only their own ispe.
#[test]
fn isobmff_iphone_style_grid() {
    use heif::*;
    let tiles: Vec<u32> = (1..=48).collect();
    let mut entries: Vec<(u32, &[u16])> = tiles.iter().map(|&t| (t, &[1u16][..])).collect();
    entries.push((49, &[2, 3]));
    let ids: Vec<u32> = (1..=49).collect();
    let m = meta(&[
        full(b"hdlr", 0, 0, &[0; 21]),
        pitm(0, 49),
        iinf(&ids),
        iprp(
            &[ispe(512, 512), ispe(4032, 3024), irot(3)],
            ipma(0, 0, &entries),
        ),
        bx(b"iloc", &[0; 40]),
    ]);
    let b = [ftyp(b"heic"), m, bx(b"mdat", &[0; 100])].concat();
    assert_eq!(size(&b), Ok((ImageFormat::Heic, 3024, 4032)));
}

#[test]
fn isobmff_box_sizes_largesize_zero_and_meta_after_mdat() {
    use heif::*;
    let props = [ispe(640, 480)];
    let plain = image(b"avif", &props);
    let ftyp_len = ftyp(b"avif").len();
    let meta_box = &plain[ftyp_len..plain.len() - 72];
    // `meta` after a large `mdat` with a 64-bit size.
    let b = [ftyp(b"avif"), large(b"mdat", &[0; 5000]), meta_box.to_vec()].concat();
    assert_eq!(size(&b).map(|s| (s.1, s.2)), Ok((640, 480)));
    // A prefix that ends before `meta` asks for more; the whole file cut there is truncated.
    let cut = &b[..3000];
    assert_eq!(
        read_header(cut, false),
        Err(HeaderError::NeedMore {
            format: ImageFormat::Avif
        })
    );
    assert!(matches!(
        read_header(cut, true),
        Err(HeaderError::Truncated { .. })
    ));
    // `meta` itself with a 64-bit size.
    let m = large(b"meta", &meta_box[8..]);
    assert_eq!(
        size(&[ftyp(b"avif"), m].concat()).map(|s| (s.1, s.2)),
        Ok((640, 480))
    );
    // `meta` of size 0 runs to the end of the file, whole or prefix.
    let mut m = meta_box.to_vec();
    m[..4].copy_from_slice(&[0; 4]);
    let b = [ftyp(b"avif"), m].concat();
    assert_eq!(size(&b).map(|s| (s.1, s.2)), Ok((640, 480)));
    assert!(read_header(&b, false).is_ok());
    // An `mdat` of size 0 before `meta` is the last box: there is no `meta`.
    let b = [ftyp(b"avif"), bx(b"mdat", &[0; 8]), meta_box.to_vec()].concat();
    let mut b0 = b.clone();
    b0[ftyp_len..ftyp_len + 4].copy_from_slice(&[0; 4]);
    corrupt_naming(&b0, "meta");
    assert!(matches!(
        read_header(&b0[..ftyp_len + 12], false),
        Err(HeaderError::Corrupt { .. })
    ));
}

#[test]
fn isobmff_every_prefix_asks_for_more_or_agrees() {
    use heif::*;
    let b = image(
        b"heic",
        &[
            ispe(300, 200),
            clap((100, 1), (50, 1), (0, 1), (0, 1)),
            irot(1),
        ],
    );
    let whole = read_header(&b, true).unwrap();
    let ftyp_only = ftyp(b"heic").len();
    for n in 0..b.len() {
        match read_header(&b[..n], false) {
            Err(HeaderError::NeedMore { .. }) => {}
            Ok(info) => assert_eq!(info, whole, "prefix {n}"),
            other => panic!("prefix {n}: {other:?}"),
        }
        // Cut inside `meta`, the whole file is truncated; after it (in `mdat`), the size reads.
        match read_header(&b[..n], true) {
            Err(HeaderError::Truncated { .. })
            | Err(HeaderError::Unsupported { format: None })
            | Err(HeaderError::Empty) => {}
            Err(HeaderError::Corrupt { cause, .. }) if n == ftyp_only => {
                assert!(cause.contains("meta"), "{cause}")
            }
            Ok(info) => assert_eq!(info, whole, "cut {n}"),
            other => panic!("cut {n}: {other:?}"),
        }
    }
}

#[test]
fn isobmff_corrupt_files_name_the_box() {
    use heif::*;
    let with = |children: &[Vec<u8>]| [ftyp(b"heic"), meta(children)].concat();
    let props = || iprp(&[ispe(10, 10)], ipma(0, 0, &[(1, &[1])]));
    // No ispe for the primary item (its only property is a rotation).
    corrupt_naming(
        &with(&[
            pitm(0, 1),
            iinf(&[1]),
            iprp(&[irot(1)], ipma(0, 0, &[(1, &[1])])),
        ]),
        "ispe",
    );
    // The primary item has no ipma entry at all.
    corrupt_naming(
        &with(&[
            pitm(0, 1),
            iinf(&[1]),
            iprp(&[ispe(1, 1)], ipma(0, 0, &[(2, &[1])])),
        ]),
        "ispe",
    );
    // pitm names an item iinf does not list.
    corrupt_naming(&with(&[pitm(0, 7), iinf(&[1]), props()]), "pitm");
    // A missing pitm, iinf, iprp, ipco; an index past ipco's end.
    corrupt_naming(&with(&[iinf(&[1]), props()]), "pitm");
    corrupt_naming(&with(&[pitm(0, 1), props()]), "iinf");
    corrupt_naming(&with(&[pitm(0, 1), iinf(&[1])]), "iprp");
    let no_ipco = bx(b"iprp", &ipma(0, 0, &[(1, &[1])]));
    corrupt_naming(&with(&[pitm(0, 1), iinf(&[1]), no_ipco]), "ipco");
    let past = iprp(&[ispe(10, 10)], ipma(0, 0, &[(1, &[2])]));
    corrupt_naming(&with(&[pitm(0, 1), iinf(&[1]), past]), "ipco");
    // No meta at all.
    corrupt_naming(&[ftyp(b"heic"), bx(b"mdat", &[0; 16])].concat(), "meta");
    // Absurd box sizes: smaller than a box header; a child past its parent's end.
    let mut b = with(&[pitm(0, 1), iinf(&[1]), props()]);
    let at = ftyp(b"heic").len() + 12; // pitm's size field
    b[at..at + 4].copy_from_slice(&3u32.to_be_bytes());
    corrupt_naming(&b, "pitm");
    b[at..at + 4].copy_from_slice(&1000u32.to_be_bytes());
    corrupt_naming(&b, "past the end of `meta`");
    // A field read past its box: an ispe of 8 bytes of content instead of 12.
    let short = full(b"ispe", 0, 0, &[0, 0, 0, 9]);
    corrupt_naming(
        &with(&[
            pitm(0, 1),
            iinf(&[1]),
            iprp(&[short], ipma(0, 0, &[(1, &[1])])),
        ]),
        "ispe",
    );
}

#[test]
fn isobmff_walks_are_capped() {
    use heif::*;
    // 20,000 empty boxes before `meta`: refused after 10,000, without reading on.
    let mut b = ftyp(b"avif");
    for _ in 0..20_000 {
        b.extend(bx(b"free", &[]));
    }
    corrupt_naming(&b, "more than 10000 boxes");
    // An ipma claiming 4 billion items.
    let mut m = ipma(0, 0, &[(1, &[1])]);
    m[12..16].copy_from_slice(&u32::MAX.to_be_bytes());
    let b = [
        ftyp(b"heic"),
        meta(&[
            pitm(0, 1),
            iinf(&[1]),
            bx(b"iprp", &[bx(b"ipco", &ispe(1, 1)), m].concat()),
        ]),
    ]
    .concat();
    corrupt_naming(&b, "ipma");
}
