//! One image to RGB8 pixels, upright. Validates before it allocates: the size is checked against
//! `max_input_pixels` from the header, before any pixel is decoded.

use crate::{ImageFailure, Sample, Source};
use image::{DynamicImage, ImageDecoder, ImageReader, Limits};
use mm_batcher_core::{header::signature_hex, ErrorCode, HeaderError, ImageFormat};
use std::io::{Cursor, ErrorKind};

/// Size and format of a decoded image; the pixels are in the caller's buffer (RGB8, row-major).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decoded {
    pub format: &'static str,
    pub width: u32,
    pub height: u32,
}

/// Decodes `sample` into `rgb` (cleared first). JPEG EXIF orientation is applied (as the header
/// reader does for planning); GIF gives its first frame; alpha is dropped.
pub fn decode(
    position: usize,
    sample: &Sample<'_>,
    max_input_pixels: u64,
    rgb: &mut Vec<u8>,
) -> Result<Decoded, ImageFailure> {
    let failure = |code: ErrorCode, format: &'static str, cause: String| ImageFailure {
        position,
        index: sample.index,
        code,
        format,
        cause,
    };
    rgb.clear();
    match sample.source {
        Source::Rgba {
            data,
            width,
            height,
        } => {
            const F: &str = "RGBA pixels";
            if width == 0 || height == 0 {
                return Err(failure(
                    ErrorCode::InvalidImage,
                    F,
                    format!("zero-sized image ({width} x {height})"),
                ));
            }
            let need = width as u64 * height as u64 * 4;
            if data.len() as u64 != need {
                return Err(failure(
                    ErrorCode::InvalidImage,
                    F,
                    format!(
                        "pixel data holds {} bytes, but a {width} x {height} RGBA image needs {need}",
                        data.len()
                    ),
                ));
            }
            rgb.reserve(width as usize * height as usize * 3);
            for px in data.chunks_exact(4) {
                rgb.extend_from_slice(&px[..3]);
            }
            Ok(Decoded {
                format: F,
                width,
                height,
            })
        }
        Source::Encoded(bytes) => {
            let Some(format) = ImageFormat::sniff(bytes) else {
                return Err(failure(
                    ErrorCode::UnsupportedImage,
                    "unknown",
                    format!(
                        "unsupported format: the bytes start with {}, which is none of PNG, JPEG, WebP, GIF or BMP",
                        signature_hex(bytes)
                    ),
                ));
            };
            let name = format.as_str();
            // The header first (no decoder allocates anything yet): zero sizes and bombs stop here.
            match mm_batcher_core::read_header(bytes, true) {
                Ok(info) => {
                    let pixels = info.width as u64 * info.height as u64;
                    if pixels > max_input_pixels {
                        return Err(failure(
                            ErrorCode::ImageTooLarge,
                            name,
                            too_large(info.width, info.height, max_input_pixels),
                        ));
                    }
                }
                Err(HeaderError::ZeroSized { width, height, .. }) => {
                    return Err(failure(
                        ErrorCode::InvalidImage,
                        name,
                        format!("zero-sized image ({width} x {height})"),
                    ));
                }
                Err(HeaderError::Truncated { length, .. }) => {
                    return Err(failure(
                        ErrorCode::InvalidImage,
                        name,
                        format!("truncated, the file ends after {length} bytes, inside its header"),
                    ));
                }
                Err(HeaderError::Corrupt { cause, .. }) => {
                    return Err(failure(
                        ErrorCode::InvalidImage,
                        name,
                        format!("corrupt header ({cause})"),
                    ));
                }
                Err(_) => {}
            }
            if let Some(cause) = truncation(format, bytes) {
                return Err(failure(ErrorCode::InvalidImage, name, cause));
            }
            let image_error = |stage: &str, e: image::ImageError| {
                let (code, cause) = match &e {
                    image::ImageError::Limits(_) => (ErrorCode::ImageTooLarge, format!("{stage}: {e}")),
                    image::ImageError::Unsupported(_) => (
                        ErrorCode::UnsupportedImage,
                        format!("{stage}: unsupported variant ({e})"),
                    ),
                    image::ImageError::IoError(io) if io.kind() == ErrorKind::UnexpectedEof => (
                        ErrorCode::InvalidImage,
                        format!(
                            "{stage}: truncated, the file ends early ({} bytes)",
                            bytes.len()
                        ),
                    ),
                    _ => {
                        let text = e.to_string();
                        let text = text.trim_end();
                        // Decoders word a short file differently; name the cause plainly.
                        let short = [
                            "not enough bytes",
                            "unexpected end",
                            "eof",
                            "truncated",
                            "failed to fill whole buffer",
                        ]
                        .iter()
                        .any(|m| text.to_lowercase().contains(m));
                        let what = if short {
                            "truncated or corrupt data"
                        } else {
                            "corrupt data"
                        };
                        (ErrorCode::InvalidImage, format!("{stage}: {what} ({text})"))
                    }
                };
                failure(code, name, cause)
            };
            let mut reader = ImageReader::with_format(Cursor::new(bytes), codec(format));
            let mut limits = Limits::default();
            // Decoders' own allocations: output (up to 8 bytes per pixel for 16-bit RGBA) plus slack.
            limits.max_alloc = Some(max_input_pixels.saturating_mul(8).saturating_add(64 << 20));
            reader.limits(limits);
            let mut decoder = reader
                .into_decoder()
                .map_err(|e| image_error("reading the header", e))?;
            let (w, h) = decoder.dimensions();
            if w == 0 || h == 0 {
                return Err(failure(
                    ErrorCode::InvalidImage,
                    name,
                    format!("zero-sized image ({w} x {h})"),
                ));
            }
            let pixels = w as u64 * h as u64;
            if pixels > max_input_pixels {
                return Err(failure(
                    ErrorCode::ImageTooLarge,
                    name,
                    too_large(w, h, max_input_pixels),
                ));
            }
            let orientation = if format == ImageFormat::Jpeg {
                decoder.orientation().ok()
            } else {
                None
            };
            let mut img =
                DynamicImage::from_decoder(decoder).map_err(|e| image_error("decoding", e))?;
            if let Some(o) = orientation {
                img.apply_orientation(o);
            }
            let (width, height) = (img.width(), img.height());
            *rgb = match img {
                DynamicImage::ImageRgb8(buf) => buf.into_raw(),
                other => other.into_rgb8().into_raw(),
            };
            if rgb.len() as u64 != width as u64 * height as u64 * 3 {
                return Err(failure(
                    ErrorCode::InvalidImage,
                    name,
                    "decoder returned fewer pixels than its size".into(),
                ));
            }
            Ok(Decoded {
                format: name,
                width,
                height,
            })
        }
    }
}

fn codec(format: ImageFormat) -> image::ImageFormat {
    match format {
        ImageFormat::Png => image::ImageFormat::Png,
        ImageFormat::Jpeg => image::ImageFormat::Jpeg,
        ImageFormat::Webp => image::ImageFormat::WebP,
        ImageFormat::Gif => image::ImageFormat::Gif,
        ImageFormat::Bmp => image::ImageFormat::Bmp,
    }
}

/// Truncation the decoders would not report: zune-jpeg fills a JPEG cut inside its scan with grey,
/// and image-webp calls a short WebP a corrupt bitstream. Other formats' decoders say so themselves.
fn truncation(format: ImageFormat, bytes: &[u8]) -> Option<String> {
    match format {
        ImageFormat::Jpeg => {
            // Entropy-coded data stuffs every 0xFF as FF 00, so FF D9 after the first scan is the
            // end-of-image marker; without it the file was cut.
            let sos = bytes.windows(2).position(|w| w == [0xFF, 0xDA])?;
            let ended = bytes[sos..].windows(2).any(|w| w == [0xFF, 0xD9]);
            (!ended).then(|| {
                format!(
                    "truncated, the file ends after {} bytes without its end-of-image marker",
                    bytes.len()
                )
            })
        }
        ImageFormat::Webp => {
            let declared = u32::from_le_bytes(bytes.get(4..8)?.try_into().ok()?) as u64 + 8;
            (declared > bytes.len() as u64).then(|| {
                format!(
                    "truncated, the RIFF header declares {declared} bytes but the file holds {}",
                    bytes.len()
                )
            })
        }
        _ => None,
    }
}

fn too_large(w: u32, h: u32, max_input_pixels: u64) -> String {
    let pixels = w as u64 * h as u64;
    format!(
        "{w} x {h} = {pixels} pixels exceeds maxInputPixels ({max_input_pixels}); refused before decoding (decompression-bomb guard)"
    )
}
