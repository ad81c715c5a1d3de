//! Image sizes from encoded bytes, without decoding pixels.
//!
//! [`read_header`] names the format (PNG, JPEG, WebP, GIF, BMP), reads width and height with the
//! `imagesize` crate (header parsers only: no codec) and, for JPEG, the EXIF orientation, so the
//! size it returns is the size the image has once shown upright (orientations 5-8 swap the sides).
//!
//! Callers usually hold only the first bytes of each file (a prefix): when the size lies beyond the
//! prefix the result is [`HeaderError::NeedMore`], and the caller retries with the whole file.

use std::fmt;
use std::io::ErrorKind;

use crate::error::ErrorCode;

/// The encoded formats the package accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageFormat {
    Png,
    Jpeg,
    Webp,
    Gif,
    Bmp,
}

impl ImageFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ImageFormat::Png => "PNG",
            ImageFormat::Jpeg => "JPEG",
            ImageFormat::Webp => "WebP",
            ImageFormat::Gif => "GIF",
            ImageFormat::Bmp => "BMP",
        }
    }

    /// Recognises a format from its signature (the first 12 bytes are enough).
    pub fn sniff(bytes: &[u8]) -> Option<ImageFormat> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(ImageFormat::Png)
        } else if bytes.starts_with(b"\xFF\xD8\xFF") {
            Some(ImageFormat::Jpeg)
        } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(ImageFormat::Webp)
        } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
            Some(ImageFormat::Gif)
        } else if bytes.starts_with(b"BM") {
            Some(ImageFormat::Bmp)
        } else {
            None
        }
    }
}

impl fmt::Display for ImageFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a header says about an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderInfo {
    pub format: ImageFormat,
    /// Width once shown upright (EXIF orientation applied).
    pub width: u32,
    /// Height once shown upright (EXIF orientation applied).
    pub height: u32,
    /// EXIF orientation 1-8 (1 when absent or not JPEG).
    pub orientation: u8,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderError {
    /// The size lies beyond the bytes given; the file is longer: retry with all of it.
    NeedMore { format: ImageFormat },
    /// No supported signature (PNG, JPEG, WebP, GIF, BMP).
    Unsupported { signature: String },
    /// The whole file was given and it ends before its size could be read.
    Truncated { format: ImageFormat, length: usize },
    /// The header is malformed.
    Corrupt { format: ImageFormat, cause: String },
    /// The header gives a width or height of 0.
    ZeroSized {
        format: ImageFormat,
        width: u32,
        height: u32,
    },
}

impl HeaderError {
    /// The error code the bindings report: `UNSUPPORTED_IMAGE` or `INVALID_IMAGE`.
    pub fn code(&self) -> ErrorCode {
        match self {
            HeaderError::Unsupported { .. } => ErrorCode::UnsupportedImage,
            _ => ErrorCode::InvalidImage,
        }
    }

    pub fn format(&self) -> Option<ImageFormat> {
        match self {
            HeaderError::Unsupported { .. } => None,
            HeaderError::NeedMore { format }
            | HeaderError::Truncated { format, .. }
            | HeaderError::Corrupt { format, .. }
            | HeaderError::ZeroSized { format, .. } => Some(*format),
        }
    }
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderError::NeedMore { format } => {
                write!(f, "{format} header: its size lies beyond the bytes given")
            }
            HeaderError::Unsupported { signature } => write!(
                f,
                "unsupported format: the bytes start with {signature}, which is none of PNG, JPEG, WebP, GIF or BMP"
            ),
            HeaderError::Truncated { format, length } => write!(
                f,
                "{format} header: truncated, the file ends after {length} bytes before its size"
            ),
            HeaderError::Corrupt { format, cause } => write!(f, "{format} header: corrupt ({cause})"),
            HeaderError::ZeroSized {
                format,
                width,
                height,
            } => write!(f, "{format} header: zero-sized image ({width} x {height})"),
        }
    }
}

impl std::error::Error for HeaderError {}

/// Shows the first bytes of a file for an error message, e.g. `00 01 02 03`.
pub fn signature_hex(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "nothing (0 bytes)".into();
    }
    let shown: Vec<String> = bytes.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("`{}`", shown.join(" "))
}

/// Reads the size of an encoded image. `complete` says whether `bytes` is the whole file (then a
/// short read is a truncated file) or a prefix (then it is [`HeaderError::NeedMore`]).
pub fn read_header(bytes: &[u8], complete: bool) -> Result<HeaderInfo, HeaderError> {
    let Some(format) = ImageFormat::sniff(bytes) else {
        if !complete && bytes.len() < 12 {
            // Too few bytes to tell (WebP needs 12); only possible for tiny prefixes.
            if let Some(f) = plausible_prefix(bytes) {
                return Err(HeaderError::NeedMore { format: f });
            }
        }
        return Err(HeaderError::Unsupported {
            signature: signature_hex(bytes),
        });
    };
    let short = |format| {
        if complete {
            HeaderError::Truncated {
                format,
                length: bytes.len(),
            }
        } else {
            HeaderError::NeedMore { format }
        }
    };
    let size = match imagesize::blob_size(bytes) {
        Ok(size) => size,
        Err(imagesize::ImageError::IoError(e)) if e.kind() == ErrorKind::UnexpectedEof => {
            return Err(short(format))
        }
        Err(imagesize::ImageError::IoError(e)) => {
            return Err(HeaderError::Corrupt {
                format,
                cause: e.to_string(),
            })
        }
        Err(imagesize::ImageError::CorruptedImage) => {
            return Err(HeaderError::Corrupt {
                format,
                cause: "malformed header".into(),
            })
        }
        Err(imagesize::ImageError::NotSupported) => {
            return Err(HeaderError::Corrupt {
                format,
                cause: "a variant of the format that cannot be read".into(),
            })
        }
    };
    let (width, height) = (
        u32::try_from(size.width).unwrap_or(u32::MAX),
        u32::try_from(size.height).unwrap_or(u32::MAX),
    );
    if width == 0 || height == 0 {
        return Err(HeaderError::ZeroSized {
            format,
            width,
            height,
        });
    }
    let orientation = if format == ImageFormat::Jpeg {
        jpeg_orientation(bytes)
    } else {
        1
    };
    let (width, height) = if orientation >= 5 {
        (height, width)
    } else {
        (width, height)
    };
    Ok(HeaderInfo {
        format,
        width,
        height,
        orientation,
    })
}

fn plausible_prefix(bytes: &[u8]) -> Option<ImageFormat> {
    let candidates: [(&[u8], ImageFormat); 5] = [
        (b"\x89PNG\r\n\x1a\n", ImageFormat::Png),
        (b"\xFF\xD8\xFF", ImageFormat::Jpeg),
        (b"RIFF", ImageFormat::Webp),
        (b"GIF8", ImageFormat::Gif),
        (b"BM", ImageFormat::Bmp),
    ];
    candidates
        .iter()
        .find(|(sig, _)| {
            let n = bytes.len().min(sig.len());
            !bytes.is_empty() && bytes[..n] == sig[..n]
        })
        .map(|(_, f)| *f)
}

/// The EXIF orientation (1-8) of a JPEG, from the APP1 `Exif` segment's IFD0 tag 0x0112. Returns 1
/// when absent, out of range, or when the segment lies beyond the bytes given. Never panics.
pub fn jpeg_orientation(bytes: &[u8]) -> u8 {
    let mut pos = 2usize; // after SOI
    while pos + 4 <= bytes.len() {
        if bytes[pos] != 0xFF {
            return 1;
        }
        let marker = bytes[pos + 1];
        if marker == 0xFF {
            pos += 1; // fill byte
            continue;
        }
        // Start of scan or a frame header: EXIF comes before these in practice.
        if marker == 0xDA
            || (0xC0..=0xCF).contains(&marker) && !matches!(marker, 0xC4 | 0xC8 | 0xCC)
        {
            return 1;
        }
        let len = u16::from_be_bytes([bytes[pos + 2], bytes[pos + 3]]) as usize;
        if len < 2 {
            return 1;
        }
        let start = pos + 4;
        let end = (pos + 2 + len).min(bytes.len());
        if marker == 0xE1 && end >= start + 6 && &bytes[start..start + 6] == b"Exif\0\0" {
            return tiff_orientation(&bytes[start + 6..end]).unwrap_or(1);
        }
        pos += 2 + len;
    }
    1
}

fn tiff_orientation(tiff: &[u8]) -> Option<u8> {
    let little = match tiff.get(0..2)? {
        b"II" => true,
        b"MM" => false,
        _ => return None,
    };
    let u16_at = |at: usize| -> Option<u16> {
        let b = tiff.get(at..at + 2)?;
        Some(if little {
            u16::from_le_bytes([b[0], b[1]])
        } else {
            u16::from_be_bytes([b[0], b[1]])
        })
    };
    let u32_at = |at: usize| -> Option<u32> {
        let b = tiff.get(at..at + 4)?;
        Some(if little {
            u32::from_le_bytes([b[0], b[1], b[2], b[3]])
        } else {
            u32::from_be_bytes([b[0], b[1], b[2], b[3]])
        })
    };
    if u16_at(2)? != 42 {
        return None;
    }
    let ifd = u32_at(4)? as usize;
    let count = u16_at(ifd)? as usize;
    for i in 0..count.min(512) {
        let entry = ifd.checked_add(2 + i * 12)?;
        if u16_at(entry)? == 0x0112 {
            // Type SHORT (3), count 1: the value sits in the first two bytes of the value field.
            let value = u16_at(entry + 8)?;
            return (1..=8).contains(&value).then_some(value as u8);
        }
    }
    None
}

/// Reads many headers laid end to end in `bytes`: sample `i` is `bytes[offsets[i]..offsets[i+1]]`
/// and its whole file is `lengths[i]` bytes long (so a shorter slice is a prefix).
pub fn read_headers(
    bytes: &[u8],
    offsets: &[u32],
    lengths: &[f64],
) -> Vec<Result<HeaderInfo, HeaderError>> {
    let n = offsets.len().saturating_sub(1).min(lengths.len());
    (0..n)
        .map(|i| {
            let (a, b) = (offsets[i] as usize, offsets[i + 1] as usize);
            let slice = bytes.get(a..b.max(a)).unwrap_or(&[]);
            read_header(slice, slice.len() as f64 >= lengths[i])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let mut v = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        v.extend_from_slice(&w.to_be_bytes());
        v.extend_from_slice(&h.to_be_bytes());
        v.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
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
        let info = read_header(&png(640, 480), true).unwrap();
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
        assert_eq!(e.code(), ErrorCode::UnsupportedImage);
        assert!(e.to_string().contains("68 65 6c 6c"), "{e}");
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
    fn many_headers() {
        let a = png(10, 20);
        let b = jpeg(30, 40, Some(8), true);
        let mut all = a.clone();
        all.extend_from_slice(&b[..20]);
        let offsets = [0, a.len() as u32, (a.len() + 20) as u32];
        let r = read_headers(&all, &offsets, &[a.len() as f64, b.len() as f64]);
        assert_eq!(r[0].as_ref().unwrap().width, 10);
        assert_eq!(
            r[1],
            Err(HeaderError::NeedMore {
                format: ImageFormat::Jpeg
            })
        );
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
}
