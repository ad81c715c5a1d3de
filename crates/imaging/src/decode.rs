//! One image to RGB8 pixels, upright. Validates before it allocates: the size is checked against
//! `max_input_pixels` from the header, before any pixel is decoded.

use crate::{ImageFailure, Sample, Source};
use image::{DynamicImage, ImageDecoder, ImageReader, Limits};
use mm_batcher_core::{header::signature_hex, ImageFormat};
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
    let failure = |code: &'static str, format: &'static str, cause: String| ImageFailure {
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
                    "INVALID_IMAGE",
                    F,
                    format!("zero-sized image ({width} x {height})"),
                ));
            }
            let need = width as u64 * height as u64 * 4;
            if data.len() as u64 != need {
                return Err(failure(
                    "INVALID_IMAGE",
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
                    "UNSUPPORTED_IMAGE",
                    "unknown",
                    format!(
                        "unsupported format: the bytes start with {}, which is none of PNG, JPEG, WebP, GIF or BMP",
                        signature_hex(bytes)
                    ),
                ));
            };
            let name = format.as_str();
            let image_error = |stage: &str, e: image::ImageError| {
                let (code, cause) = match &e {
                    image::ImageError::Limits(_) => ("IMAGE_TOO_LARGE", format!("{stage}: {e}")),
                    image::ImageError::Unsupported(_) => {
                        ("UNSUPPORTED_IMAGE", format!("{stage}: unsupported variant ({e})"))
                    }
                    image::ImageError::IoError(io) if io.kind() == ErrorKind::UnexpectedEof => (
                        "INVALID_IMAGE",
                        format!("{stage}: truncated, the file ends early ({} bytes)", bytes.len()),
                    ),
                    _ => {
                        let text = e.to_string();
                        let text = text.trim_end();
                        // Decoders word a short file differently; name the cause plainly.
                        let short = ["not enough bytes", "unexpected end", "eof", "truncated", "failed to fill whole buffer"]
                            .iter()
                            .any(|m| text.to_lowercase().contains(m));
                        let what = if short { "truncated or corrupt data" } else { "corrupt data" };
                        ("INVALID_IMAGE", format!("{stage}: {what} ({text})"))
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
                    "INVALID_IMAGE",
                    name,
                    format!("zero-sized image ({w} x {h})"),
                ));
            }
            let pixels = w as u64 * h as u64;
            if pixels > max_input_pixels {
                return Err(failure(
                    "IMAGE_TOO_LARGE",
                    name,
                    format!(
                        "{w} x {h} = {pixels} pixels exceeds maxInputPixels ({max_input_pixels}); refused before decoding (decompression-bomb guard)"
                    ),
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
                    "INVALID_IMAGE",
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
