//! AVIF and HEIC (HEIF): ISOBMFF boxes. The brand in `ftyp` names the format; the size is the
//! primary item's `ispe`, cropped by `clap` and turned by `irot`, as decoders show it.

use crate::format::Sniff;
use crate::reader::{Parsed, Reader};
use crate::HeaderError;

/// Brands of an `ftyp` box (major, then compatible) from a box at the start of `bytes`.
fn brands(bytes: &[u8]) -> Result<Vec<[u8; 4]>, Sniff> {
    if bytes.len() < 8 {
        let ftyp = b"ftyp";
        return if bytes.len() <= 4 || ftyp.starts_with(&bytes[4..]) {
            Err(Sniff::TooShort)
        } else {
            Err(Sniff::No)
        };
    }
    if &bytes[4..8] != b"ftyp" {
        return Err(Sniff::No);
    }
    let size = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
    if !(16..=4096).contains(&size) {
        return Err(Sniff::No);
    }
    if bytes.len() < size {
        return Err(Sniff::TooShort);
    }
    let mut out = vec![[bytes[8], bytes[9], bytes[10], bytes[11]]];
    out.extend(
        bytes[16..size]
            .chunks_exact(4)
            .map(|c| [c[0], c[1], c[2], c[3]]),
    );
    Ok(out)
}

fn sniff_brands(bytes: &[u8], wanted: &[&[u8; 4]], excluded: &[&[u8; 4]]) -> Sniff {
    match brands(bytes) {
        Err(s) => s,
        Ok(list) if list.iter().any(|b| excluded.contains(&b)) => Sniff::No,
        Ok(list) if list.iter().any(|b| wanted.contains(&b)) => Sniff::Yes,
        Ok(_) => Sniff::No,
    }
}

const AVIF_BRANDS: [&[u8; 4]; 2] = [b"avif", b"avis"];
const HEIF_BRANDS: [&[u8; 4]; 8] = [
    b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1",
];

pub(crate) fn sniff_avif(bytes: &[u8]) -> Sniff {
    sniff_brands(bytes, &AVIF_BRANDS, &[])
}

/// HEIF with HEVC (or a generic HEIF brand) and no AVIF brand.
pub(crate) fn sniff_heic(bytes: &[u8]) -> Sniff {
    sniff_brands(bytes, &HEIF_BRANDS, &AVIF_BRANDS)
}

pub(crate) fn parse(r: &Reader) -> Result<Parsed, HeaderError> {
    Err(HeaderError::Unsupported {
        format: Some(r.format),
    })
}
