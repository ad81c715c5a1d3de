//! WebP: the first chunk gives the size: VP8X (canvas), VP8L (lossless) or VP8 (lossy keyframe;
//! the top two bits of each 16-bit size are upscaling hints, not size).

use crate::format::Sniff;
use crate::reader::{printable, Parsed, Reader};
use crate::{Details, HeaderError};

/// `RIFF`, four bytes of length, `WEBP`.
pub(crate) fn sniff(bytes: &[u8]) -> Sniff {
    let riff = crate::format::starts_with(bytes, b"RIFF");
    match riff {
        Sniff::Yes if bytes.len() < 12 => {
            if bytes.len() <= 8 || b"WEBP".starts_with(&bytes[8..]) {
                Sniff::TooShort
            } else {
                Sniff::No
            }
        }
        Sniff::Yes if &bytes[8..12] == b"WEBP" => Sniff::Yes,
        Sniff::Yes => Sniff::No,
        other => other,
    }
}

pub(crate) fn parse(r: &Reader) -> Result<Parsed, HeaderError> {
    let tag = r.get(12, 4)?;
    match tag {
        b"VP8X" => {
            let w = r.le24(24)? + 1;
            let h = r.le24(27)? + 1;
            if w as u64 * h as u64 > u32::MAX as u64 {
                return Err(r.corrupt(format!(
                    "canvas {w} x {h}: its area exceeds 2^32 - 1, which WebP forbids"
                )));
            }
            Ok((w, h, 1, Details::Webp))
        }
        b"VP8L" => {
            if r.u8(20)? != 0x2F {
                return Err(r.corrupt("VP8L signature byte is not 0x2f"));
            }
            let bits = r.le32(21)?;
            if bits >> 29 != 0 {
                return Err(r.corrupt("VP8L version is not 0"));
            }
            Ok((
                (bits & 0x3FFF) + 1,
                ((bits >> 14) & 0x3FFF) + 1,
                1,
                Details::Webp,
            ))
        }
        b"VP8 " => {
            let tag = r.le24(20)?;
            if tag & 1 != 0 {
                return Err(r.corrupt("the first VP8 frame is not a key frame"));
            }
            if r.get(23, 3)? != [0x9D, 0x01, 0x2A] {
                return Err(r.corrupt("VP8 start code missing"));
            }
            let w = (r.le16(26)? & 0x3FFF) as u32;
            let h = (r.le16(28)? & 0x3FFF) as u32;
            Ok((w, h, 1, Details::Webp))
        }
        other => Err(r.corrupt(format!(
            "the first chunk is `{}`, none of VP8, VP8L, VP8X",
            printable(other)
        ))),
    }
}
