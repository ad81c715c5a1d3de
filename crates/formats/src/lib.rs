//! # mm-batcher-formats
//!
//! Image sizes from encoded bytes, without decoding pixels and without any codec (the planning
//! wasm module links this crate and must stay small). A file per format, as image-rs lays out its
//! codecs; one signature table ([`FORMATS`]); one [`Limits`].
//!
//! [`read_header`] names the format and reads width and height, and for JPEG the EXIF
//! orientation (for AVIF and HEIC, the container's `clap` crop and `irot` rotation), so the size
//! it returns is the size the image has once shown upright (orientations 5-8 swap the sides). The parsers follow the decoders of
//! `mm-batcher-imaging`: a test runs every fixture of `test/fixtures/suites` through both and
//! requires the same size.
//!
//! Callers usually hold only the first bytes of each file (a prefix): when the size lies beyond
//! the prefix the result is [`HeaderError::NeedMore`], and [`ladder`] says how much to read next.
//!
//! ```
//! use mm_batcher_formats::{read_header, ImageFormat};
//! // A GIF's logical screen (640 x 480), then its first image descriptor.
//! let gif = b"GIF89a\x80\x02\xe0\x01\0\0\0\x2c\0\0\0\0\x80\x02\xe0\x01\0";
//! let info = read_header(gif, false).unwrap();
//! assert_eq!((info.format, info.width, info.height), (ImageFormat::Gif, 640, 480));
//! ```

mod bmp;
mod error;
mod exif;
mod format;
mod gif;
mod isobmff;
pub mod jpeg;
pub mod ladder;
mod limits;
mod png;
mod reader;
#[cfg(test)]
mod tests;
mod webp;

pub use error::{HeaderCode, HeaderError};
pub use format::{FormatRow, ImageFormat, FORMATS};
pub use limits::{Limits, MAX_IMAGE_PIXELS, MAX_SIDE};

use reader::Reader;

/// What a header says about an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderInfo {
    pub format: ImageFormat,
    /// Width once shown upright (orientation applied).
    pub width: u32,
    /// Height once shown upright (orientation applied).
    pub height: u32,
    /// EXIF-style orientation 1-8 (1 when absent). For AVIF and HEIC the size already holds the
    /// container's crop and rotation (applied in their order, which no orientation could say), so
    /// this stays 1.
    pub orientation: u8,
}

/// Format-specific facts found on the way to the size, for the decoder's checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Details {
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
    /// AVIF or HEIC.
    Isobmff,
}

/// What [`inspect`] finds: the header's size (not yet checked against the pixel limit) and the
/// format's details.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inspection {
    pub info: HeaderInfo,
    pub details: Details,
}

/// Reads the size of an encoded image. `complete` says whether `bytes` is the whole file (then a
/// short read is a truncated file) or a prefix (then it is [`HeaderError::NeedMore`]).
///
/// Sizes above [`Limits::max_image_pixels`] are [`HeaderError::TooLarge`]. With the whole file,
/// cheap plausibility checks also run: an uncompressed BMP or a PNG too short for the pixels its
/// header claims is corrupt (see [`implausibly_short`]).
pub fn read_header(bytes: &[u8], complete: bool) -> Result<HeaderInfo, HeaderError> {
    let found = inspect(bytes, complete)?;
    let info = found.info;
    if info.width as u64 * info.height as u64 > Limits::DEFAULT.max_image_pixels {
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
pub fn inspect(bytes: &[u8], complete: bool) -> Result<Inspection, HeaderError> {
    if bytes.is_empty() && complete {
        return Err(HeaderError::Empty);
    }
    let Some(format) = ImageFormat::sniff(bytes) else {
        if !complete {
            // Too few bytes to tell (WebP needs 12, AVIF and HEIC their `ftyp` box).
            if let Some(format) = ImageFormat::sniff_prefix(bytes) {
                return Err(HeaderError::NeedMore { format });
            }
        }
        return Err(HeaderError::Unsupported { format: None });
    };
    let Some(parse) = format::entry(format).parse else {
        return Err(HeaderError::Unsupported {
            format: Some(format),
        });
    };
    let r = Reader {
        bytes,
        complete,
        format,
    };
    let (width, height, orientation, details) = parse(&r)?;
    if width == 0 || height == 0 {
        return Err(HeaderError::ZeroSized {
            format,
            width,
            height,
        });
    }
    if width > MAX_SIDE || height > MAX_SIDE {
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
        details,
    })
}

/// Checks, on a whole file, that it can hold the pixels its header claims, without decoding
/// (uncompressed BMP rows; PNG's compressed data against deflate's best ratio). Returns the
/// cause when the file is too short.
pub fn implausibly_short(bytes: &[u8], found: &Inspection) -> Option<String> {
    let (w, h) = match found.info.orientation {
        5..=8 => (found.info.height as u64, found.info.width as u64),
        _ => (found.info.width as u64, found.info.height as u64),
    };
    match found.details {
        Details::Bmp {
            pixel_offset,
            bits_per_pixel,
            compression,
            ..
        } => bmp::too_short(bytes, w, h, pixel_offset, bits_per_pixel, compression),
        Details::Png {
            cgbi: false,
            bit_depth,
            color_type,
            ..
        } => png::too_short(bytes, w, h, bit_depth, color_type),
        _ => None,
    }
}
