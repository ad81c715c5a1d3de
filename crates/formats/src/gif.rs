//! GIF: the logical screen, grown to the first frame's extent when that frame reaches past it
//! (as Pillow and sharp/libvips do, and as the decoder does). So the first image descriptor must
//! be read: past the palette and any extensions before it.

use crate::format::{starts_with_any, Sniff};
use crate::reader::{Parsed, Reader};
use crate::{Details, HeaderError};

pub(crate) fn sniff(bytes: &[u8]) -> Sniff {
    starts_with_any(bytes, &[b"GIF87a", b"GIF89a"])
}

pub(crate) fn parse(r: &Reader) -> Result<Parsed, HeaderError> {
    let (sw, sh) = (r.le16(6)?, r.le16(8)?);
    let flags = r.u8(10)?;
    let mut at = 13usize;
    if flags & 0x80 != 0 {
        at += 3 << ((flags & 7) + 1);
    }
    loop {
        match r.u8(at)? {
            0x21 => {
                at += 2;
                loop {
                    let n = r.u8(at)? as usize;
                    at += 1 + n;
                    if n == 0 {
                        break;
                    }
                }
            }
            0x2C => {
                let (x, y) = (r.le16(at + 1)? as u32, r.le16(at + 3)? as u32);
                let (fw, fh) = (r.le16(at + 5)? as u32, r.le16(at + 7)? as u32);
                let w = (sw as u32).max(x + fw);
                let h = (sh as u32).max(y + fh);
                return Ok((
                    w,
                    h,
                    1,
                    Details::Gif {
                        screen_width: sw,
                        screen_height: sh,
                    },
                ));
            }
            0x3B => return Err(r.corrupt("the file ends (trailer) before its first image")),
            b => {
                return Err(r.corrupt(format!(
                    "unknown block {b:#04x} at offset {at} before the first image"
                )))
            }
        }
    }
}
