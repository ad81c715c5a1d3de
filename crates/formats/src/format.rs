//! The one signature table: every format the package recognises, how its first bytes name it,
//! and its header parser where the package reads its size. Adding a format is a file with its
//! parser and one row of [`FORMATS`].

use std::fmt;

use crate::reader::{Parsed, Reader};
use crate::{bmp, gif, isobmff, jpeg, png, webp, HeaderError};

/// Formats the package recognises by signature. Sizes are read for those whose row has a parser
/// ([`ImageFormat::sizes_readable`]); the others are named in the error that refuses them, so a
/// TIFF is called a TIFF, and no file's bytes are ever quoted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ImageFormat {
    Png,
    Jpeg,
    Webp,
    Gif,
    Bmp,
    Avif,
    Heic,
    Tiff,
    JpegXl,
    Jpeg2000,
    Ico,
    Psd,
    Qoi,
    OpenExr,
    Pdf,
}

impl ImageFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ImageFormat::Png => "PNG",
            ImageFormat::Jpeg => "JPEG",
            ImageFormat::Webp => "WebP",
            ImageFormat::Gif => "GIF",
            ImageFormat::Bmp => "BMP",
            ImageFormat::Avif => "AVIF",
            ImageFormat::Heic => "HEIC",
            ImageFormat::Tiff => "TIFF",
            ImageFormat::JpegXl => "JPEG XL",
            ImageFormat::Jpeg2000 => "JPEG 2000",
            ImageFormat::Ico => "ICO",
            ImageFormat::Psd => "PSD",
            ImageFormat::Qoi => "QOI",
            ImageFormat::OpenExr => "OpenEXR",
            ImageFormat::Pdf => "PDF",
        }
    }

    /// Whether the package reads this format's size from its header.
    pub fn sizes_readable(self) -> bool {
        entry(self).parse.is_some()
    }

    /// Recognises a format from the first bytes (32 are enough for every row).
    pub fn sniff(bytes: &[u8]) -> Option<ImageFormat> {
        FORMATS
            .iter()
            .find(|row| (row.sniff)(bytes) == Sniff::Yes)
            .map(|row| row.format)
    }

    /// A format whose signature `bytes` could still turn out to be (too few bytes to tell).
    pub(crate) fn sniff_prefix(bytes: &[u8]) -> Option<ImageFormat> {
        FORMATS
            .iter()
            .find(|row| (row.sniff)(bytes) == Sniff::TooShort)
            .map(|row| row.format)
    }

    /// The formats whose sizes the package reads, as a sentence: "PNG, JPEG, ... or HEIC".
    pub fn readable_list() -> String {
        let names: Vec<&str> = FORMATS
            .iter()
            .filter(|row| row.parse.is_some())
            .map(|row| row.format.as_str())
            .collect();
        match names.split_last() {
            Some((last, init)) if !init.is_empty() => format!("{} or {last}", init.join(", ")),
            _ => names.concat(),
        }
    }
}

impl fmt::Display for ImageFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a signature test says of the first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sniff {
    Yes,
    No,
    /// The bytes are a prefix of this format's signature: more are needed to tell.
    TooShort,
}

/// A header parser: the stored size, EXIF-style orientation and the format's details.
pub(crate) type Parser = fn(&Reader) -> Result<Parsed, HeaderError>;

/// One row of the signature table.
pub struct FormatRow {
    pub format: ImageFormat,
    pub(crate) sniff: fn(&[u8]) -> Sniff,
    /// `None`: recognised, not read (refused as `UNSUPPORTED_IMAGE` naming the format).
    pub(crate) parse: Option<Parser>,
}

/// A format whose size the package reads.
const fn reads(format: ImageFormat, sniff: fn(&[u8]) -> Sniff, parse: Parser) -> FormatRow {
    FormatRow {
        format,
        sniff,
        parse: Some(parse),
    }
}

/// A format the package only names (refused as `UNSUPPORTED_IMAGE`, never quoted).
const fn names(format: ImageFormat, sniff: fn(&[u8]) -> Sniff) -> FormatRow {
    FormatRow {
        format,
        sniff,
        parse: None,
    }
}

/// Every format the package recognises, in the order signatures are tried.
#[rustfmt::skip]
pub const FORMATS: &[FormatRow] = &[
    reads(ImageFormat::Png, png::sniff, png::parse),
    reads(ImageFormat::Jpeg, jpeg::sniff, jpeg::parse),
    reads(ImageFormat::Webp, webp::sniff, webp::parse),
    reads(ImageFormat::Gif, gif::sniff, gif::parse),
    reads(ImageFormat::Bmp, bmp::sniff, bmp::parse),
    reads(ImageFormat::Avif, isobmff::sniff_avif, isobmff::parse),
    reads(ImageFormat::Heic, isobmff::sniff_heic, isobmff::parse),
    names(ImageFormat::Tiff, |b| starts_with_any(b, &[b"II*\0", b"MM\0*"])),
    names(ImageFormat::JpegXl, |b| starts_with_any(b, &[b"\xFF\x0A", b"\0\0\0\x0CJXL \x0D\x0A\x87\x0A"])),
    names(ImageFormat::Jpeg2000, |b| starts_with(b, b"\0\0\0\x0CjP  \x0D\x0A\x87\x0A")),
    names(ImageFormat::Ico, |b| starts_with(b, b"\0\0\x01\0")),
    names(ImageFormat::Psd, |b| starts_with(b, b"8BPS")),
    names(ImageFormat::Qoi, |b| starts_with(b, b"qoif")),
    names(ImageFormat::OpenExr, |b| starts_with(b, b"\x76\x2F\x31\x01")),
    names(ImageFormat::Pdf, |b| starts_with(b, b"%PDF-")),
];

pub(crate) fn entry(format: ImageFormat) -> &'static FormatRow {
    FORMATS
        .iter()
        .find(|row| row.format == format)
        .expect("every ImageFormat has a row in FORMATS")
}

/// `Yes` when `bytes` starts with `signature`, `TooShort` when it is a proper prefix of it.
pub(crate) fn starts_with(bytes: &[u8], signature: &[u8]) -> Sniff {
    if bytes.starts_with(signature) {
        Sniff::Yes
    } else if !bytes.is_empty() && signature.starts_with(bytes) {
        Sniff::TooShort
    } else {
        Sniff::No
    }
}

/// [`starts_with`] for a format with several signatures: the best answer of any.
pub(crate) fn starts_with_any(bytes: &[u8], signatures: &[&[u8]]) -> Sniff {
    signatures
        .iter()
        .map(|s| starts_with(bytes, s))
        .fold(Sniff::No, |best, answer| match (best, answer) {
            (Sniff::Yes, _) | (_, Sniff::Yes) => Sniff::Yes,
            (Sniff::TooShort, _) | (_, Sniff::TooShort) => Sniff::TooShort,
            _ => Sniff::No,
        })
}
