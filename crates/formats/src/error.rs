//! Why a header could not give a size: a typed error whose fields carry the format and the
//! facts, so each binding composes its own message (it knows which sample or file it was).

use std::fmt;

use crate::{ImageFormat, MAX_IMAGE_PIXELS};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderError {
    /// The size lies beyond the bytes given; the file is longer: retry with more of it.
    NeedMore { format: ImageFormat },
    /// A format the package recognises but does not read (`Some`), or no known signature.
    Unsupported { format: Option<ImageFormat> },
    /// No bytes at all (an empty file).
    Empty,
    /// The whole file was given and it ends before its size could be read.
    Truncated { format: ImageFormat, length: usize },
    /// The header is malformed.
    Corrupt { format: ImageFormat, cause: String },
    /// The header states more than the pixel limit (upright size given).
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

/// The wire error code a header error maps to (the bindings' `ErrorCode` holds these three).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderCode {
    /// `UNSUPPORTED_IMAGE`
    Unsupported,
    /// `INVALID_IMAGE`
    Invalid,
    /// `IMAGE_TOO_LARGE`
    TooLarge,
}

impl HeaderCode {
    /// The code as the bindings spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            HeaderCode::Unsupported => "UNSUPPORTED_IMAGE",
            HeaderCode::Invalid => "INVALID_IMAGE",
            HeaderCode::TooLarge => "IMAGE_TOO_LARGE",
        }
    }
}

impl fmt::Display for HeaderCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl HeaderError {
    pub fn code(&self) -> HeaderCode {
        match self {
            HeaderError::Unsupported { .. } | HeaderError::Empty => HeaderCode::Unsupported,
            HeaderError::TooLarge { .. } => HeaderCode::TooLarge,
            _ => HeaderCode::Invalid,
        }
    }

    /// The format the bytes are, where known.
    pub fn format(&self) -> Option<ImageFormat> {
        match self {
            HeaderError::Unsupported { format } => *format,
            HeaderError::Empty => None,
            HeaderError::NeedMore { format }
            | HeaderError::Truncated { format, .. }
            | HeaderError::Corrupt { format, .. }
            | HeaderError::TooLarge { format, .. }
            | HeaderError::ZeroSized { format, .. } => Some(*format),
        }
    }

    /// What is wrong, without the format's name (which travels as [`HeaderError::format`]).
    pub fn detail(&self) -> String {
        match self {
            HeaderError::NeedMore { .. } => "header: its size lies beyond the bytes given".into(),
            HeaderError::Unsupported { format: Some(_) } => format!(
                "not a format this package reads (sizes: {})",
                ImageFormat::readable_list()
            ),
            HeaderError::Unsupported { format: None } => format!(
                "not an image: the bytes match no known format's signature (sizes are read from {})",
                ImageFormat::readable_list()
            ),
            HeaderError::Empty => "empty: there are no bytes to read".into(),
            HeaderError::Truncated { length, .. } => {
                format!("header truncated: the file ends after {length} bytes, before its size")
            }
            HeaderError::Corrupt { cause, .. } => format!("corrupt header ({cause})"),
            HeaderError::ZeroSized { width, height, .. } => {
                format!("zero-sized image ({width} x {height})")
            }
            HeaderError::TooLarge { width, height, .. } => format!(
                "{width} x {height} = {} pixels, above the {MAX_IMAGE_PIXELS}-pixel limit (Limits::max_image_pixels)",
                *width as u64 * *height as u64
            ),
        }
    }
}

/// `FORMAT: detail` (or the detail alone when no format is known).
impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderError::Empty => f.write_str(&self.detail()),
            _ => match self.format() {
                Some(format) => write!(f, "{format}: {}", self.detail()),
                None => f.write_str(&self.detail()),
            },
        }
    }
}

impl std::error::Error for HeaderError {}
