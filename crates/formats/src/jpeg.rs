//! JPEG: segments up to the first SOF marker, with the EXIF orientation from an APP1 before it.

use crate::exif::tiff_orientation;
use crate::format::{starts_with, Sniff};
use crate::reader::{Parsed, Reader};
use crate::{Details, HeaderError};

pub(crate) fn sniff(bytes: &[u8]) -> Sniff {
    starts_with(bytes, b"\xFF\xD8\xFF")
}

/// JPEG: segments up to the first SOF marker. EXIF orientation comes from an APP1 before it.
pub(crate) fn parse(r: &Reader) -> Result<Parsed, HeaderError> {
    let mut at = 2usize;
    let mut orientation = 1u8;
    loop {
        let b = r.u8(at)?;
        if b != 0xFF {
            return Err(r.corrupt(format!(
                "byte {b:#04x} at offset {at} where a marker should start"
            )));
        }
        let marker = r.u8(at + 1)?;
        match marker {
            0xFF => at += 1,               // fill byte
            0x01 | 0xD0..=0xD8 => at += 2, // markers without a length
            0xD9 => return Err(r.corrupt("end-of-image marker before any frame header")),
            0xDA => return Err(r.corrupt("scan before any frame header")),
            0x00 => return Err(r.corrupt(format!("stray data byte at offset {at}"))),
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                let len = r.be16(at + 2)?;
                if len < 8 {
                    return Err(r.corrupt(format!("frame header of {len} bytes")));
                }
                let h = r.be16(at + 5)? as u32;
                let w = r.be16(at + 7)? as u32;
                return Ok((w, h, orientation, Details::Jpeg { sof: marker }));
            }
            _ => {
                let len = r.be16(at + 2)? as usize;
                if len < 2 {
                    return Err(r.corrupt(format!("segment length {len} at offset {at}")));
                }
                if marker == 0xE1 && orientation == 1 {
                    // The EXIF segment must be whole to be read; a prefix asks for more.
                    let seg = r.get(at + 4, len - 2)?;
                    if let Some(tiff) = seg.strip_prefix(b"Exif\0\0") {
                        orientation = tiff_orientation(tiff).unwrap_or(1);
                    }
                }
                at += 2 + len;
            }
        }
    }
}

/// A JPEG coding process the decoder does not implement, from its SOF marker.
pub fn variant_name(sof: u8) -> Option<&'static str> {
    match sof {
        0xC0..=0xC2 => None,
        0xC3 => Some("lossless (SOF3) JPEG"),
        0xC5 => Some("hierarchical (SOF5, differential sequential) JPEG"),
        0xC6 => Some("hierarchical (SOF6, differential progressive) JPEG"),
        0xC7 => Some("hierarchical lossless (SOF7) JPEG"),
        0xC9 => Some("arithmetic-coded (SOF9) JPEG"),
        0xCA => Some("arithmetic-coded progressive (SOF10) JPEG"),
        0xCB => Some("arithmetic-coded lossless (SOF11) JPEG"),
        0xCD => Some("arithmetic-coded hierarchical (SOF13) JPEG"),
        0xCE => Some("arithmetic-coded hierarchical progressive (SOF14) JPEG"),
        0xCF => Some("arithmetic-coded hierarchical lossless (SOF15) JPEG"),
        _ => Some("JPEG of an unknown coding process"),
    }
}
