//! Bounded reads over the bytes given: a read past the end is `NeedMore` for a prefix and
//! `Truncated` for a whole file, so no parser indexes out of bounds or guesses.

use crate::{Details, HeaderError, ImageFormat};

/// What a parser finds: the stored width and height, the orientation (1-8; 1 when the format has
/// none), and the format's details.
pub(crate) type Parsed = (u32, u32, u8, Details);

pub(crate) struct Reader<'a> {
    pub bytes: &'a [u8],
    pub complete: bool,
    pub format: ImageFormat,
}

impl Reader<'_> {
    pub fn short(&self) -> HeaderError {
        if self.complete {
            HeaderError::Truncated {
                format: self.format,
                length: self.bytes.len(),
            }
        } else {
            HeaderError::NeedMore {
                format: self.format,
            }
        }
    }
    pub fn corrupt(&self, cause: impl Into<String>) -> HeaderError {
        HeaderError::Corrupt {
            format: self.format,
            cause: cause.into(),
        }
    }
    pub fn get(&self, at: usize, n: usize) -> Result<&[u8], HeaderError> {
        at.checked_add(n)
            .and_then(|end| self.bytes.get(at..end))
            .ok_or_else(|| self.short())
    }
    pub fn u8(&self, at: usize) -> Result<u8, HeaderError> {
        Ok(self.get(at, 1)?[0])
    }
    pub fn be16(&self, at: usize) -> Result<u16, HeaderError> {
        let b = self.get(at, 2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    pub fn le16(&self, at: usize) -> Result<u16, HeaderError> {
        let b = self.get(at, 2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    pub fn be32(&self, at: usize) -> Result<u32, HeaderError> {
        let b = self.get(at, 4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    pub fn le32(&self, at: usize) -> Result<u32, HeaderError> {
        let b = self.get(at, 4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    pub fn le24(&self, at: usize) -> Result<u32, HeaderError> {
        let b = self.get(at, 3)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], 0]))
    }
    pub fn be64(&self, at: usize) -> Result<u64, HeaderError> {
        let b = self.get(at, 8)?;
        Ok(u64::from_be_bytes([
            b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
        ]))
    }
}

/// A chunk or box tag as text: printable ASCII as is, other bytes as `\xNN`.
pub(crate) fn printable(tag: &[u8]) -> String {
    tag.iter()
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                (b as char).to_string()
            } else {
                format!("\\x{b:02x}")
            }
        })
        .collect()
}
