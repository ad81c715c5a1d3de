//! Errors are values: every problem the caller can cause is reported with a stable code, the
//! sample index where one applies, and a sentence saying what was wrong.

use std::fmt;

use mm_batcher_formats::{HeaderCode, HeaderError, ImageFormat};

use crate::options::OptionError;

/// Stable, machine-readable error codes: every code that crosses into a binding, from planning
/// and from imaging alike. The TypeScript package's `ErrorCode` union holds the same strings (a
/// test checks it against [`ErrorCode::ALL`]), plus `NOT_INITIALIZED`, which only JS can raise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// An option is missing, unknown, of the wrong type or out of range.
    InvalidOption,
    /// A sample's width or height is not a positive integer within range.
    InvalidDimensions,
    /// A sample's sort key (custom `key` of the sorted strategy) is not a finite number.
    InvalidKey,
    /// One image alone costs more tokens than `maxTokens` at its size.
    OverTokenBudget,
    /// Internal inputs disagree (for example arrays of different lengths): a bug in a binding.
    InvalidInput,
    /// A sample has no image (or is not an object).
    MissingImage,
    /// An image of a kind whose size cannot be read, or a valid but unsupported encoding.
    UnsupportedImage,
    /// Encoded bytes that cannot be read: truncated, corrupt or zero-sized.
    InvalidImage,
    /// An image above the pixel limit (decompression-bomb guard), refused before decoding.
    ImageTooLarge,
    /// A file or URL that could not be read (no such file, HTTP error status, network failure).
    ReadFailed,
    /// A URL whose bytes did not arrive within `timeoutMs`.
    Timeout,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidOption => "INVALID_OPTION",
            ErrorCode::InvalidDimensions => "INVALID_DIMENSIONS",
            ErrorCode::InvalidKey => "INVALID_KEY",
            ErrorCode::OverTokenBudget => "OVER_TOKEN_BUDGET",
            ErrorCode::InvalidInput => "INVALID_INPUT",
            ErrorCode::MissingImage => "MISSING_IMAGE",
            ErrorCode::UnsupportedImage => "UNSUPPORTED_IMAGE",
            ErrorCode::InvalidImage => "INVALID_IMAGE",
            ErrorCode::ImageTooLarge => "IMAGE_TOO_LARGE",
            ErrorCode::ReadFailed => "READ_FAILED",
            ErrorCode::Timeout => "TIMEOUT",
        }
    }

    pub const ALL: [ErrorCode; 11] = [
        ErrorCode::InvalidOption,
        ErrorCode::InvalidDimensions,
        ErrorCode::InvalidKey,
        ErrorCode::OverTokenBudget,
        ErrorCode::InvalidInput,
        ErrorCode::MissingImage,
        ErrorCode::UnsupportedImage,
        ErrorCode::InvalidImage,
        ErrorCode::ImageTooLarge,
        ErrorCode::ReadFailed,
        ErrorCode::Timeout,
    ];
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<HeaderCode> for ErrorCode {
    fn from(code: HeaderCode) -> Self {
        match code {
            HeaderCode::Unsupported => ErrorCode::UnsupportedImage,
            HeaderCode::Invalid => ErrorCode::InvalidImage,
            HeaderCode::TooLarge => ErrorCode::ImageTooLarge,
        }
    }
}

/// A problem with one sample, as fields: where (`index`), what (`code`), the image's format when
/// known, and the facts (`detail`, without the sample or the format). Each binding composes its
/// message once, at its own edge ("sample 3: JPEG: ...", "stream sample 1030: ...", a file's
/// path in the CLI). With `skipInvalid` it becomes an entry of the plan's rejects; otherwise the
/// first one (lowest index) is the error.
#[derive(Debug, Clone, PartialEq)]
pub struct Reject {
    pub index: usize,
    pub code: ErrorCode,
    pub format: Option<ImageFormat>,
    pub detail: String,
}

impl Reject {
    pub fn new(index: usize, code: ErrorCode, detail: impl Into<String>) -> Self {
        Reject {
            index,
            code,
            format: None,
            detail: detail.into(),
        }
    }

    /// Sample `index`'s header could not give a size.
    pub fn header(index: usize, error: &HeaderError) -> Self {
        Reject {
            index,
            code: error.code().into(),
            format: error.format(),
            detail: error.detail(),
        }
    }
}

/// `FORMAT: detail`, or the detail alone (what follows "sample N: " in a message).
impl fmt::Display for Reject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.format {
            Some(format) => write!(f, "{format}: {}", self.detail),
            None => f.write_str(&self.detail),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum PlanError {
    Option(OptionError),
    Sample(Reject),
    Input { message: String },
}

impl PlanError {
    pub fn option(option: &str, message: impl Into<String>) -> Self {
        PlanError::Option(OptionError::new(option, message))
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            PlanError::Option(_) => ErrorCode::InvalidOption,
            PlanError::Sample(reject) => reject.code,
            PlanError::Input { .. } => ErrorCode::InvalidInput,
        }
    }

    pub fn index(&self) -> Option<usize> {
        match self {
            PlanError::Sample(reject) => Some(reject.index),
            _ => None,
        }
    }
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanError::Option(e) => e.fmt(f),
            PlanError::Sample(r) => write!(f, "sample {}: {r}", r.index),
            PlanError::Input { message } => write!(f, "{message}"),
        }
    }
}

impl std::error::Error for PlanError {}

impl From<OptionError> for PlanError {
    fn from(e: OptionError) -> Self {
        PlanError::Option(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_codes_are_the_wire_codes() {
        for code in [
            HeaderCode::Unsupported,
            HeaderCode::Invalid,
            HeaderCode::TooLarge,
        ] {
            assert_eq!(ErrorCode::from(code).as_str(), code.as_str());
        }
    }
}
