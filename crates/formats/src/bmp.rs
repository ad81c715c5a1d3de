//! BMP: OS/2 1.x core headers (12 bytes) hold unsigned 16-bit sizes; every later header signed
//! 32-bit ones, where a negative height means rows stored top-down.

use crate::format::{starts_with, Sniff};
use crate::reader::{Parsed, Reader};
use crate::{Details, HeaderError};

pub(crate) fn sniff(bytes: &[u8]) -> Sniff {
    starts_with(bytes, b"BM")
}

pub(crate) fn parse(r: &Reader) -> Result<Parsed, HeaderError> {
    let pixel_offset = r.le32(10)?;
    let header_size = r.le32(14)?;
    let (w, h, top_down, bpp, compression) = if header_size == 12 {
        let (w, h) = (r.le16(18)? as u32, r.le16(20)? as u32);
        (w, h, false, r.le16(24)?, 0)
    } else if (16..=124).contains(&header_size) {
        let w = r.le32(18)? as i32;
        let h = r.le32(22)? as i32;
        let bpp = r.le16(28)?;
        let compression = if header_size >= 20 { r.le32(30)? } else { 0 };
        if w < 0 {
            return Err(r.corrupt(format!("negative width {w}")));
        }
        if h == i32::MIN {
            return Err(r.corrupt(format!("height {h}")));
        }
        (w as u32, h.unsigned_abs(), h < 0, bpp, compression)
    } else {
        return Err(r.corrupt(format!("unknown info header size {header_size}")));
    };
    if !matches!(bpp, 1 | 2 | 4 | 8 | 16 | 24 | 32 | 64) {
        return Err(r.corrupt(format!("{bpp} bits per pixel")));
    }
    Ok((
        w,
        h,
        1,
        Details::Bmp {
            pixel_offset,
            bits_per_pixel: bpp,
            compression,
            top_down,
            header_size,
        },
    ))
}

/// Without compression (BI_RGB, BITFIELDS, ALPHABITFIELDS) every row is stored, so the whole file
/// must reach `pixel offset + stride * (height - 1) + one row`. Returns the cause when it does not.
pub(crate) fn too_short(
    bytes: &[u8],
    w: u64,
    h: u64,
    pixel_offset: u32,
    bits_per_pixel: u16,
    compression: u32,
) -> Option<String> {
    if !matches!(compression, 0 | 3 | 6) {
        return None;
    }
    let row = (w * bits_per_pixel as u64).div_ceil(8);
    let stride = row.div_ceil(4) * 4;
    let need = pixel_offset as u64 + stride * (h - 1) + row;
    (need > bytes.len() as u64).then(|| {
        format!(
            "truncated: {w} x {h} uncompressed pixels need {need} bytes but the file holds {}",
            bytes.len()
        )
    })
}
