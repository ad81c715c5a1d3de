//! Image sizes from encoded bytes, without decoding pixels.
//!
//! [`read_header`] names the format (PNG, JPEG, WebP, GIF, BMP), reads width and height with a
//! hand-written parser per format (no codec: the planning wasm module must not link any) and, for
//! JPEG, the EXIF orientation, so the size it returns is the size the image has once shown upright
//! (orientations 5-8 swap the sides). The parsers follow the decoders of `mm-batcher-imaging`:
//! a test runs every fixture of `test/fixtures/suites` through both and requires the same size.
//!
//! Error codes: a header that contradicts its own format (first PNG chunk not IHDR, a side above
//! 2^31 - 1, an undefined bit depth) is `INVALID_IMAGE`; a well-formed header stating more than
//! [`MAX_IMAGE_PIXELS`] pixels is `IMAGE_TOO_LARGE`; a format variant the decoder lacks is found
//! by the decoder (`UNSUPPORTED_IMAGE`), since its size is still right for planning.
//!
//! Callers usually hold only the first bytes of each file (a prefix): when the size lies beyond the
//! prefix the result is [`HeaderError::NeedMore`], and the caller retries with the whole file.

use std::fmt;

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
    /// The header states more than [`MAX_IMAGE_PIXELS`] pixels (upright size given).
    TooLarge {
        format: ImageFormat,
        width: u32,
        height: u32,
    },
    /// The header gives a width or height of 0.
    ZeroSized {
        format: ImageFormat,
        width: u32,
        height: u32,
    },
}

impl HeaderError {
    /// The error code the bindings report: `UNSUPPORTED_IMAGE`, `IMAGE_TOO_LARGE` or `INVALID_IMAGE`.
    pub fn code(&self) -> ErrorCode {
        match self {
            HeaderError::Unsupported { .. } => ErrorCode::UnsupportedImage,
            HeaderError::TooLarge { .. } => ErrorCode::ImageTooLarge,
            _ => ErrorCode::InvalidImage,
        }
    }

    pub fn format(&self) -> Option<ImageFormat> {
        match self {
            HeaderError::Unsupported { .. } => None,
            HeaderError::NeedMore { format }
            | HeaderError::Truncated { format, .. }
            | HeaderError::Corrupt { format, .. }
            | HeaderError::TooLarge { format, .. }
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
            HeaderError::TooLarge {
                format,
                width,
                height,
            } => write!(
                f,
                "{format} header: {width} x {height} = {} pixels, above the {MAX_IMAGE_PIXELS}-pixel limit (MAX_IMAGE_PIXELS)",
                *width as u64 * *height as u64
            ),
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

/// The largest image, in pixels, that header reading and planning accept, and the default
/// `maxInputPixels` of decoding (`mm-batcher-imaging`).
///
/// 89,478,485 pixels is Pillow's `Image.MAX_IMAGE_PIXELS`, the size above which Pillow (the seed
/// library's stack) warns of a decompression bomb (it refuses at twice that). It covers every
/// camera sensor in common use (61 MP full frame, 9504 x 6336, fits; 100 MP medium format does
/// not) and any page scan up to A3 at 600 dpi. Decoding one image this large costs at most 11
/// bytes per pixel (16-bit RGBA from the PNG decoder plus the 8-bit RGB copy), about 0.98 GB,
/// which leaves room for a 1 GiB batch tensor inside wasm32's 4 GiB. Planning refuses larger
/// headers with `IMAGE_TOO_LARGE` (a size no real image to be batched has); decoding refuses them
/// unless the caller raises `maxInputPixels`.
pub const MAX_IMAGE_PIXELS: u64 = 89_478_485;

/// Largest side any header may state: PNG caps both sides at 2^31 - 1 and BMP stores them as
/// signed 32-bit integers. A header stating more contradicts its own format: `INVALID_IMAGE`.
pub const MAX_HEADER_SIDE: u32 = i32::MAX as u32;

/// A JPEG coding process the decoder does not implement, from its SOF marker.
pub fn jpeg_variant_name(sof: u8) -> Option<&'static str> {
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

/// Format-specific facts found on the way to the size, for the decoder's checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Png {
        /// An Apple `CgBI` chunk precedes IHDR (iOS-optimised PNG: not standard zlib data).
        cgbi: bool,
        bit_depth: u8,
        color_type: u8,
        interlaced: bool,
    },
    Jpeg {
        /// The SOF marker (0xC0..=0xCF), naming the coding process.
        sof: u8,
    },
    Webp,
    Gif {
        /// The logical screen, before growing to the first frame.
        screen_width: u16,
        screen_height: u16,
    },
    Bmp {
        pixel_offset: u32,
        bits_per_pixel: u16,
        compression: u32,
        top_down: bool,
        /// The BMP's header size: 12 for an OS/2 1.x core header.
        header_size: u32,
    },
}

/// What [`inspect`] finds: the header's size (not yet checked against [`MAX_IMAGE_PIXELS`]) and
/// the layout details.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inspection {
    pub info: HeaderInfo,
    pub layout: Layout,
}

/// Reads the size of an encoded image. `complete` says whether `bytes` is the whole file (then a
/// short read is a truncated file) or a prefix (then it is [`HeaderError::NeedMore`]).
///
/// Sizes above [`MAX_IMAGE_PIXELS`] are [`HeaderError::TooLarge`]. With the whole file, cheap
/// plausibility checks also run: an uncompressed BMP or a PNG too short for the pixels its header
/// claims is [`HeaderError::Truncated`] (see [`implausibly_short`]).
pub fn read_header(bytes: &[u8], complete: bool) -> Result<HeaderInfo, HeaderError> {
    let found = inspect(bytes, complete)?;
    let info = found.info;
    let pixels = info.width as u64 * info.height as u64;
    if pixels > MAX_IMAGE_PIXELS {
        return Err(HeaderError::TooLarge {
            format: info.format,
            width: info.width,
            height: info.height,
        });
    }
    if complete {
        if let Some(cause) = implausibly_short(bytes, &found) {
            return Err(HeaderError::Corrupt {
                format: info.format,
                cause,
            });
        }
    }
    Ok(info)
}

/// Reads the header without the pixel limit (the decoder applies its own `maxInputPixels`).
/// Codec-free: hand-written parsers of the five formats' headers, checked against the `image`
/// crate's decoders on every test fixture (`crates/imaging/tests/suites.rs`).
pub fn inspect(bytes: &[u8], complete: bool) -> Result<Inspection, HeaderError> {
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
    let r = Reader {
        bytes,
        complete,
        format,
    };
    let (width, height, orientation, layout) = match format {
        ImageFormat::Png => png(&r)?,
        ImageFormat::Jpeg => jpeg(&r)?,
        ImageFormat::Webp => webp(&r)?,
        ImageFormat::Gif => gif(&r)?,
        ImageFormat::Bmp => bmp(&r)?,
    };
    if width == 0 || height == 0 {
        return Err(HeaderError::ZeroSized {
            format,
            width,
            height,
        });
    }
    if width > MAX_HEADER_SIDE || height > MAX_HEADER_SIDE {
        return Err(r.corrupt(format!(
            "it states {width} x {height}; no side may exceed 2^31 - 1"
        )));
    }
    let (width, height) = if orientation >= 5 {
        (height, width)
    } else {
        (width, height)
    };
    Ok(Inspection {
        info: HeaderInfo {
            format,
            width,
            height,
            orientation,
        },
        layout,
    })
}

/// Bounds reads: a read past the end is `NeedMore` for a prefix, `Truncated` for a whole file.
struct Reader<'a> {
    bytes: &'a [u8],
    complete: bool,
    format: ImageFormat,
}

impl Reader<'_> {
    fn short(&self) -> HeaderError {
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
    fn corrupt(&self, cause: impl Into<String>) -> HeaderError {
        HeaderError::Corrupt {
            format: self.format,
            cause: cause.into(),
        }
    }
    fn get(&self, at: usize, n: usize) -> Result<&[u8], HeaderError> {
        at.checked_add(n)
            .and_then(|end| self.bytes.get(at..end))
            .ok_or_else(|| self.short())
    }
    fn u8(&self, at: usize) -> Result<u8, HeaderError> {
        Ok(self.get(at, 1)?[0])
    }
    fn be16(&self, at: usize) -> Result<u16, HeaderError> {
        let b = self.get(at, 2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    fn le16(&self, at: usize) -> Result<u16, HeaderError> {
        let b = self.get(at, 2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn be32(&self, at: usize) -> Result<u32, HeaderError> {
        let b = self.get(at, 4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn le32(&self, at: usize) -> Result<u32, HeaderError> {
        let b = self.get(at, 4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn le24(&self, at: usize) -> Result<u32, HeaderError> {
        let b = self.get(at, 3)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], 0]))
    }
}

type Parsed = (u32, u32, u8, Layout);

/// CRC-32 (ISO-HDLC, as PNG uses), bitwise: only ever run over one 17-byte IHDR.
fn crc32(parts: &[&[u8]]) -> u32 {
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

fn printable(tag: &[u8]) -> String {
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

/// PNG: IHDR must be the first chunk (after Apple's `CgBI`, which iOS tools put first), 13
/// bytes long, with a valid CRC and a legal bit depth / colour type pair.
fn png(r: &Reader) -> Result<Parsed, HeaderError> {
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
    if w > MAX_HEADER_SIDE || h > MAX_HEADER_SIDE {
        return Err(r.corrupt(format!(
            "IHDR states {w} x {h}; PNG allows at most 2^31 - 1 per side"
        )));
    }
    Ok((
        w,
        h,
        1,
        Layout::Png {
            cgbi,
            bit_depth: depth,
            color_type: color,
            interlaced: data[12] == 1,
        },
    ))
}

/// JPEG: segments up to the first SOF marker. EXIF orientation comes from an APP1 before it.
fn jpeg(r: &Reader) -> Result<Parsed, HeaderError> {
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
                return Ok((w, h, orientation, Layout::Jpeg { sof: marker }));
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

/// WebP: the first chunk gives the size: VP8X (canvas), VP8L (lossless) or VP8 (lossy keyframe;
/// the top two bits of each 16-bit size are upscaling hints, not size).
fn webp(r: &Reader) -> Result<Parsed, HeaderError> {
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
            Ok((w, h, 1, Layout::Webp))
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
                Layout::Webp,
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
            Ok((w, h, 1, Layout::Webp))
        }
        other => Err(r.corrupt(format!(
            "the first chunk is `{}`, none of VP8, VP8L, VP8X",
            printable(other)
        ))),
    }
}

/// GIF: the logical screen, grown to the first frame's extent when that frame reaches past it
/// (as Pillow and sharp/libvips do, and as this crate's decoder does). So the first image
/// descriptor must be read: past the palette and any extensions before it.
fn gif(r: &Reader) -> Result<Parsed, HeaderError> {
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
                    Layout::Gif {
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

/// BMP: OS/2 1.x core headers (12 bytes) hold unsigned 16-bit sizes; every later header signed
/// 32-bit ones, where a negative height means rows stored top-down.
fn bmp(r: &Reader) -> Result<Parsed, HeaderError> {
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
        Layout::Bmp {
            pixel_offset,
            bits_per_pixel: bpp,
            compression,
            top_down,
            header_size,
        },
    ))
}

/// Checks, on a whole file, that it can hold the pixels its header claims, without decoding:
///
/// - BMP without compression (BI_RGB, BITFIELDS, ALPHABITFIELDS): every row is stored, so the
///   file must reach `pixel offset + stride * (height - 1) + one row`.
/// - PNG: deflate expands at most 1032:1, so the IDAT chunks together must hold at least
///   `filtered bytes / 1032` bytes (a PNG stating 7000 x 7000 in 107 bytes fails here).
///
/// Returns the cause when the file is too short. Cheap: walks PNG chunk headers only.
pub fn implausibly_short(bytes: &[u8], found: &Inspection) -> Option<String> {
    let (w, h) = match found.info.orientation {
        5..=8 => (found.info.height as u64, found.info.width as u64),
        _ => (found.info.width as u64, found.info.height as u64),
    };
    match found.layout {
        Layout::Bmp {
            pixel_offset,
            bits_per_pixel,
            compression: 0 | 3 | 6,
            ..
        } => {
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
        Layout::Png {
            cgbi: false,
            bit_depth,
            color_type,
            ..
        } => {
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
        _ => None,
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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
