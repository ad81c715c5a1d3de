//! PNG: IHDR must be the first chunk (after Apple's `CgBI`, which iOS tools put first), 13 bytes
//! long, with a valid CRC and a legal bit depth / colour type pair.

use crate::format::{starts_with, Sniff};
use crate::reader::{printable, Parsed, Reader};
use crate::{Details, HeaderError, MAX_SIDE};

pub(crate) fn sniff(bytes: &[u8]) -> Sniff {
    starts_with(bytes, b"\x89PNG\r\n\x1a\n")
}

pub(crate) fn parse(r: &Reader) -> Result<Parsed, HeaderError> {
    let mut at = 8;
    let mut cgbi = false;
    if r.get(at + 4, 4)? == b"CgBI" {
        let len = r.be32(at)? as usize;
        cgbi = true;
        at = at
            .checked_add(12 + len)
            .ok_or_else(|| r.corrupt("CgBI chunk too long"))?;
    }
    let len = r.be32(at)?;
    let tag = r.get(at + 4, 4)?;
    if tag != b"IHDR" {
        return Err(r.corrupt(format!("the first chunk is `{}`, not IHDR", printable(tag))));
    }
    if len != 13 {
        return Err(r.corrupt(format!("IHDR is {len} bytes long instead of 13")));
    }
    let data = r.get(at + 8, 13)?;
    let crc = r.be32(at + 21)?;
    if crc32(&[b"IHDR", data]) != crc {
        return Err(r.corrupt("IHDR checksum mismatch"));
    }
    let (w, h) = (r.be32(at + 8)?, r.be32(at + 12)?);
    let (depth, color) = (data[8], data[9]);
    let legal = match color {
        0 => matches!(depth, 1 | 2 | 4 | 8 | 16),
        3 => matches!(depth, 1 | 2 | 4 | 8),
        2 | 4 | 6 => matches!(depth, 8 | 16),
        _ => false,
    };
    if !legal {
        return Err(r.corrupt(format!(
            "IHDR gives colour type {color} with bit depth {depth}, which PNG does not define"
        )));
    }
    if data[10] != 0 || data[11] != 0 || data[12] > 1 {
        return Err(r.corrupt(format!(
            "IHDR gives compression {}, filter {}, interlace {}; PNG defines only 0, 0, 0-1",
            data[10], data[11], data[12]
        )));
    }
    if w > MAX_SIDE || h > MAX_SIDE {
        return Err(r.corrupt(format!(
            "IHDR states {w} x {h}; PNG allows at most 2^31 - 1 per side"
        )));
    }
    Ok((
        w,
        h,
        1,
        Details::Png {
            cgbi,
            bit_depth: depth,
            color_type: color,
            interlaced: data[12] == 1,
        },
    ))
}

/// Deflate expands at most 1032:1, so the IDAT chunks together must hold at least
/// `filtered bytes / 1032` bytes (a PNG stating 7000 x 7000 in 107 bytes fails here). Walks chunk
/// headers only. Returns the cause when the whole file is too short for its pixels.
pub(crate) fn too_short(
    bytes: &[u8],
    w: u64,
    h: u64,
    bit_depth: u8,
    color_type: u8,
) -> Option<String> {
    let channels: u64 = match color_type {
        2 => 3,
        4 => 2,
        6 => 4,
        _ => 1,
    };
    let raw = h * (1 + (w * channels * bit_depth as u64).div_ceil(8));
    let floor = raw / 1032;
    let mut at = 8usize;
    let mut idat = 0u64;
    while let Some(head) = bytes.get(at..at + 8) {
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as u64;
        if &head[4..8] == b"IDAT" {
            idat += len;
            if idat >= floor {
                return None;
            }
        }
        at = at.saturating_add(12).saturating_add(len as usize);
    }
    (idat < floor).then(|| {
        format!(
            "truncated or corrupt: {w} x {h} pixels need at least {floor} bytes of compressed data (deflate expands at most 1032:1) but the file holds {idat}",
        )
    })
}

/// CRC-32 (ISO-HDLC, as PNG uses), bitwise: only ever run over one 17-byte IHDR.
pub(crate) fn crc32(parts: &[&[u8]]) -> u32 {
    let mut crc = !0u32;
    for part in parts {
        for &b in *part {
            crc ^= b as u32;
            for _ in 0..8 {
                crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
            }
        }
    }
    !crc
}
