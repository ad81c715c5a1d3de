//! One image to RGB8 pixels, upright. Validates before it allocates: the size is checked against
//! `max_input_pixels` from the header, before any pixel is decoded.

use crate::{ImageFailure, Sample, Source};
use image::metadata::Orientation;
use image::{DynamicImage, ImageReader, Limits, RgbImage};
use mm_batcher_core::formats::{
    implausibly_short, inspect, jpeg, Details, HeaderError, HeaderInfo,
};
use mm_batcher_core::{ErrorCode, ImageFormat, Reject};
use std::io::{Cursor, ErrorKind};
use std::num::NonZeroU64;

/// Size and format of a decoded image; the pixels are in the caller's buffer (RGB8, row-major).
/// `format` is `None` for raw RGBA pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decoded {
    pub format: Option<ImageFormat>,
    pub width: u32,
    pub height: u32,
}

/// Decodes `sample` into `rgb` (cleared first). JPEG EXIF orientation is applied (as the header
/// reader does for planning); GIF gives its first frame on the logical screen grown to that
/// frame's extent (as Pillow and sharp do, and as the header reader states); alpha is dropped.
pub fn decode(
    position: usize,
    sample: &Sample<'_>,
    max_input_pixels: u64,
    rgb: &mut Vec<u8>,
) -> Result<Decoded, ImageFailure> {
    decode_shrunk(position, sample, max_input_pixels, &|_, _| 1, rgb).map(|(decoded, _)| decoded)
}

/// [`decode`], except that a JPEG may be decoded at 1/2, 1/4 or 1/8 of its size per side, in the
/// DCT domain (libjpeg's `scale_denom`): `denominator` is given the upright full size (after
/// EXIF orientation, as the header states it) and answers 1, 2, 4 or 8 (anything else is 1);
/// other formats are always decoded at full size. Every check before decoding is the same as
/// [`decode`]'s. Returns the full upright size (as [`decode`] does) and the denominator `d` used:
/// `rgb` then holds `ceil(width / d) x ceil(height / d)` pixels, upright.
pub(crate) fn decode_shrunk(
    position: usize,
    sample: &Sample<'_>,
    max_input_pixels: u64,
    denominator: &dyn Fn(u32, u32) -> u32,
    rgb: &mut Vec<u8>,
) -> Result<(Decoded, u32), ImageFailure> {
    let failure = |code, format, detail| failure_of(position, sample, format, (code, detail));
    rgb.clear();
    match sample.source {
        Source::Rgba {
            data,
            width,
            height,
        } => {
            if width == 0 || height == 0 {
                return Err(failure(
                    ErrorCode::InvalidImage,
                    None,
                    format!("RGBA pixels: zero-sized image ({width} x {height})"),
                ));
            }
            let need = width as u64 * height as u64 * 4;
            if data.len() as u64 != need {
                return Err(failure(
                    ErrorCode::InvalidImage,
                    None,
                    format!(
                        "RGBA pixels: the data holds {} bytes, but a {width} x {height} RGBA image needs {need}",
                        data.len()
                    ),
                ));
            }
            rgb.reserve(width as usize * height as usize * 3);
            for px in data.chunks_exact(4) {
                rgb.extend_from_slice(&px[..3]);
            }
            Ok((
                Decoded {
                    format: None,
                    width,
                    height,
                },
                1,
            ))
        }
        Source::Encoded(bytes) => {
            let format = ImageFormat::sniff(bytes);
            decode_encoded(bytes, max_input_pixels, denominator, rgb)
                .map(|(width, height, d)| {
                    (
                        Decoded {
                            format,
                            width,
                            height,
                        },
                        d,
                    )
                })
                .map_err(|(code, detail)| failure(code, format, detail))
        }
    }
}

type Fail = (ErrorCode, String);

/// `sample` (at `position` in the batch) failed: its reject.
fn failure_of(
    position: usize,
    sample: &Sample<'_>,
    format: Option<ImageFormat>,
    (code, detail): Fail,
) -> ImageFailure {
    ImageFailure {
        position,
        reject: Reject {
            index: sample.index,
            code,
            format,
            detail,
        },
    }
}

fn invalid(cause: impl Into<String>) -> Fail {
    (ErrorCode::InvalidImage, cause.into())
}

/// What the checks before decoding established about an encoded file.
struct Checked {
    info: HeaderInfo,
    codec: image::ImageFormat,
    /// Stored (pre-orientation) size: what the decoder must produce.
    stored: (u32, u32),
    /// From the JPEG framing walk: the file stops inside entropy-coded data.
    ends_inside_scan: bool,
    /// A progressive JPEG (SOF2): at 1/8 its DC scans alone suffice ([`decode_jpeg_dc_only`]).
    progressive_jpeg: bool,
}

/// Validates everything that can be validated before a pixel buffer exists (header, claimed size
/// against `max_input_pixels`, the file's length against the pixels it claims, every GIF frame,
/// a BMP's RLE stream, a JPEG's framing and scan lengths), without decoding a pixel.
fn check_encoded(bytes: &[u8], max_input_pixels: u64) -> Result<Checked, Fail> {
    // A format without a decoder here is refused as such, whatever state its header is in.
    let unknown = || HeaderError::Unsupported { format: None };
    let format = ImageFormat::sniff(bytes).ok_or_else(unknown);
    let codec = match format.map(|f| (f, codec(f))) {
        Ok((format, None)) => {
            let detail = if format.sizes_readable() {
                "decoding is not supported (this package decodes PNG, JPEG, WebP, GIF and BMP); its size is read for planning".to_string()
            } else {
                HeaderError::Unsupported {
                    format: Some(format),
                }
                .detail()
            };
            return Err((ErrorCode::UnsupportedImage, detail));
        }
        Ok((_, Some(codec))) => codec,
        Err(e) => return Err((e.code().into(), e.detail())),
    };
    let found = inspect(bytes, true).map_err(|e: HeaderError| (e.code().into(), e.detail()))?;
    let info = found.info;
    if info.width as u64 * info.height as u64 > max_input_pixels {
        return Err((
            ErrorCode::ImageTooLarge,
            too_large(info.width, info.height, max_input_pixels),
        ));
    }
    if let Some(cause) = implausibly_short(bytes, &found) {
        return Err(invalid(cause));
    }
    let (sw, sh) = if info.orientation >= 5 {
        (info.height, info.width)
    } else {
        (info.width, info.height)
    };
    let mut ends_inside_scan = false;
    let progressive_jpeg = matches!(found.details, Details::Jpeg { sof: 0xC2 });
    match found.details {
        Details::Png { cgbi: true, .. } => {
            return Err((
                ErrorCode::UnsupportedImage,
                "unsupported variant: Apple CgBI PNG (iOS-optimised: raw deflate data and premultiplied BGRA, which standard PNG decoders refuse)".into(),
            ))
        }
        Details::Jpeg { sof } => {
            if let Some(variant) = jpeg::variant_name(sof) {
                return Err((
                    ErrorCode::UnsupportedImage,
                    format!("unsupported variant: {variant}"),
                ));
            }
            ends_inside_scan = jpeg_scans_hold_their_blocks(bytes)?;
        }
        Details::Webp => {
            if let Some(cause) = webp_truncation(bytes) {
                return Err(invalid(cause));
            }
        }
        Details::Gif { .. } => gif_frames_fit(bytes, max_input_pixels)?,
        Details::Bmp {
            pixel_offset,
            bits_per_pixel,
            compression,
            ..
        } if matches!((compression, bits_per_pixel), (1, 8) | (2, 4)) => {
            bmp_rle_check(bytes, pixel_offset, compression == 2, sw, sh)?
        }
        _ => {}
    }
    Ok(Checked {
        info,
        codec,
        stored: (sw, sh),
        ends_inside_scan,
        progressive_jpeg,
    })
}

/// The checks of [`decode`] that run before any pixel is decoded, for a decoder outside this
/// crate (a browser's): returns the upright size [`decode`] would give, or the failure those
/// checks find. Stricter than them in one way, since other decoders fill what is missing without
/// an error: a JPEG that ends inside a scan (entropy-coded data with no marker after it) is
/// refused as truncated. Damage only a full decode finds is not found here.
pub(crate) fn check(
    position: usize,
    sample: &Sample<'_>,
    max_input_pixels: u64,
) -> Result<Decoded, ImageFailure> {
    match sample.source {
        Source::Encoded(bytes) => {
            let format = ImageFormat::sniff(bytes);
            let checked = check_encoded(bytes, max_input_pixels).and_then(|c| {
                if c.ends_inside_scan {
                    Err(invalid(format!(
                        "truncated: the file ends inside a scan after {} bytes",
                        bytes.len()
                    )))
                } else {
                    Ok(c)
                }
            });
            checked
                .map(|c| Decoded {
                    format,
                    width: c.info.width,
                    height: c.info.height,
                })
                .map_err(|fail| failure_of(position, sample, format, fail))
        }
        // Raw pixels: the same length checks as decoding (cheap: the copy is all it does).
        Source::Rgba { .. } => decode(position, sample, max_input_pixels, &mut Vec::new()),
    }
}

/// [`check_encoded`], then decodes. Returns the upright size and the scale denominator of the
/// pixels in `rgb` (see [`decode_shrunk`]).
fn decode_encoded(
    bytes: &[u8],
    max_input_pixels: u64,
    denominator: &dyn Fn(u32, u32) -> u32,
    rgb: &mut Vec<u8>,
) -> Result<(u32, u32, u32), Fail> {
    let Checked {
        info,
        codec,
        stored: (sw, sh),
        ends_inside_scan,
        progressive_jpeg,
    } = check_encoded(bytes, max_input_pixels)?;
    let mut d = match info.format {
        ImageFormat::Jpeg => match denominator(info.width, info.height) {
            d @ (2 | 4 | 8) => d,
            _ => 1,
        },
        _ => 1,
    };
    let (w, h) = match info.format {
        ImageFormat::Jpeg if d > 1 => {
            match decode_jpeg_dc_only(bytes, progressive_jpeg && d == 8, rgb).map_or_else(
                || decode_jpeg_scaled(bytes, ends_inside_scan, d, rgb),
                |size| Ok(Some(size)),
            )? {
                Some(size) => size,
                None => {
                    d = 1;
                    decode_jpeg(bytes, ends_inside_scan, rgb)?
                }
            }
        }
        ImageFormat::Jpeg => decode_jpeg(bytes, ends_inside_scan, rgb)?,
        ImageFormat::Gif => decode_gif(bytes, sw, sh, max_input_pixels, rgb)?,
        _ => decode_with_image(bytes, codec, max_input_pixels, rgb)?,
    };
    let (ew, eh) = (sw.div_ceil(d), sh.div_ceil(d));
    if (w, h) != (ew, eh) {
        let scale = if d > 1 {
            format!(" at 1/{d}")
        } else {
            String::new()
        };
        return Err(invalid(format!(
            "the decoder gives {w} x {h} pixels{scale} but the header states {sw} x {sh}"
        )));
    }
    if rgb.len() as u64 != w as u64 * h as u64 * 3 {
        return Err(invalid("decoder returned fewer pixels than its size"));
    }
    if info.orientation > 1 {
        if let Some(o) = Orientation::from_exif(info.orientation) {
            let buf = RgbImage::from_raw(w, h, std::mem::take(rgb))
                .ok_or_else(|| invalid("decoder returned fewer pixels than its size"))?;
            let mut img = DynamicImage::ImageRgb8(buf);
            img.apply_orientation(o);
            *rgb = img.into_rgb8().into_raw();
        }
    }
    Ok((info.width, info.height, d))
}

fn image_error(e: image::ImageError, len: usize) -> Fail {
    match &e {
        image::ImageError::Limits(_) => (ErrorCode::ImageTooLarge, format!("decoding: {e}")),
        image::ImageError::Unsupported(_) => (
            ErrorCode::UnsupportedImage,
            format!("unsupported variant ({e})"),
        ),
        image::ImageError::IoError(io) if io.kind() == ErrorKind::UnexpectedEof => {
            invalid(format!("truncated, the file ends early ({len} bytes)"))
        }
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
            invalid(format!("decoding: {what} ({text})"))
        }
    }
}

/// An OS/2 2.x BMP (64-byte info header) as a Windows BMP: the first 40 bytes of the two headers
/// agree, so dropping the last 24 (OS/2 halftoning fields) and moving the pixel offset gives a
/// file the `image` crate reads. Only uncompressed and RLE data (the codes both share).
fn os2_v2_as_windows(bytes: &[u8]) -> Option<Vec<u8>> {
    let header_size = u32::from_le_bytes(bytes.get(14..18)?.try_into().ok()?);
    let compression = u32::from_le_bytes(bytes.get(30..34)?.try_into().ok()?);
    let offset = u32::from_le_bytes(bytes.get(10..14)?.try_into().ok()?);
    if header_size != 64 || compression > 2 || offset < 14 + 64 || bytes.len() < 14 + 64 {
        return None;
    }
    let mut copy = Vec::with_capacity(bytes.len() - 24);
    copy.extend_from_slice(&bytes[..14 + 40]);
    copy.extend_from_slice(&bytes[14 + 64..]);
    copy[10..14].copy_from_slice(&(offset - 24).to_le_bytes());
    copy[14..18].copy_from_slice(&40u32.to_le_bytes());
    Some(copy)
}

/// PNG, WebP, BMP through the `image` crate, with its allocation limit.
fn decode_with_image(
    bytes: &[u8],
    codec: image::ImageFormat,
    max_input_pixels: u64,
    rgb: &mut Vec<u8>,
) -> Result<(u32, u32), Fail> {
    let rewritten = match codec {
        image::ImageFormat::Bmp => os2_v2_as_windows(bytes),
        _ => None,
    };
    let bytes = rewritten.as_deref().unwrap_or(bytes);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), codec);
    let mut limits = Limits::default();
    // Decoders' own allocations: output (up to 8 bytes per pixel for 16-bit RGBA) plus slack.
    limits.max_alloc = Some(max_input_pixels.saturating_mul(8).saturating_add(64 << 20));
    reader.limits(limits);
    let decoder = reader
        .into_decoder()
        .map_err(|e| image_error(e, bytes.len()))?;
    let img = DynamicImage::from_decoder(decoder).map_err(|e| image_error(e, bytes.len()))?;
    let (width, height) = (img.width(), img.height());
    *rgb = match img {
        DynamicImage::ImageRgb8(buf) => buf.into_raw(),
        other => other.into_rgb8().into_raw(),
    };
    Ok((width, height))
}

/// JPEG through zune-jpeg in strict mode: its end-of-data signal (a scan that runs out of bytes:
/// "premature end" or "exhausted data") is an error instead of grey fill, so a file cut inside
/// its scan is refused whatever its metadata holds (an EXIF thumbnail's `FF D9` included).
///
/// `ends_inside_scan` (from the framing walk): the file stops inside entropy-coded data, with no
/// marker after it. Any decoder error is then reported as the truncation it is.
fn decode_jpeg(
    bytes: &[u8],
    ends_inside_scan: bool,
    rgb: &mut Vec<u8>,
) -> Result<(u32, u32), Fail> {
    use zune_jpeg::errors::DecodeErrors;
    let options = zune_core::options::DecoderOptions::default()
        .set_strict_mode(true)
        .set_max_width(usize::MAX)
        .set_max_height(usize::MAX)
        .jpeg_set_out_colorspace(zune_core::colorspace::ColorSpace::RGB);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(
        zune_core::bytestream::ZCursor::new(bytes),
        options,
    );
    let classify = |e: DecodeErrors| {
        let text = format!("{e:?}").trim_end().to_string();
        jpeg_failure(
            bytes.len(),
            ends_inside_scan,
            match e {
                DecodeErrors::Unsupported(kind) => JpegError::Unsupported(format!("{kind:?}")),
                DecodeErrors::ExhaustedData => JpegError::RanOut(None),
                _ if ["premature", "exhausted", "no more bytes", "eof", "end of"]
                    .iter()
                    .any(|m| text.to_lowercase().contains(m)) =>
                {
                    JpegError::RanOut(Some(text))
                }
                _ => JpegError::Other(text),
            },
        )
    };
    let pixels = decoder.decode().map_err(classify)?;
    let (w, h) = decoder
        .dimensions()
        .ok_or_else(|| invalid("decoder gave no size"))?;
    *rgb = pixels;
    Ok((w as u32, h as u32))
}

/// A JPEG decoder's error, whichever decoder gave it: the one reading of both.
enum JpegError {
    /// A coding process or feature the decoder lacks.
    Unsupported(String),
    /// The entropy-coded data ran out (`Some`: the decoder's own words for it).
    RanOut(Option<String>),
    /// Anything else, in the decoder's words.
    Other(String),
}

/// The failure a JPEG decoder's error means. `ends_inside_scan` (from the framing walk): the file
/// stops inside entropy-coded data, so any error is the truncation it is.
fn jpeg_failure(length: usize, ends_inside_scan: bool, e: JpegError) -> Fail {
    match e {
        JpegError::Unsupported(kind) => (
            ErrorCode::UnsupportedImage,
            format!("unsupported variant ({kind})"),
        ),
        JpegError::RanOut(None) => invalid(format!(
            "truncated: the scan runs out of data, the file ends after {length} bytes"
        )),
        JpegError::RanOut(Some(text)) => invalid(format!(
            "truncated: the scan ends early, the file ends after {length} bytes ({text})"
        )),
        JpegError::Other(text) if ends_inside_scan => invalid(format!(
            "truncated: the file ends inside a scan after {length} bytes (decoder: {text})"
        )),
        JpegError::Other(text) => invalid(format!("decoding: corrupt data ({text})")),
    }
}

/// JPEG at 1/`d` of its size per side (`d` = 2, 4 or 8) through jpeg-decoder's reduced IDCTs
/// (4x4, 2x2 or 1x1 outputs per 8x8 block, as libjpeg's `jidctred.c`): every coefficient is still
/// entropy-decoded (progressive AC scans too, except at 1/8: [`decode_jpeg_dc_only`]), only the IDCT, upsampling and colour conversion
/// run on 1/d^2 of the pixels. `None` for what it does not give as RGB or grey (CMYK/YCCK): the
/// caller decodes those at full size.
///
/// Damage: a file that ends inside a scan is an error here too (jpeg-decoder reads past the end
/// of the data: `UnexpectedEof`). A scan ended early *by a marker* is filled with zeros without
/// an error (zune-jpeg's strict mode refuses it): only [`jpeg_scans_hold_their_blocks`], run
/// before, catches that case, and only where the scan is shorter than its blocks' minimum.
fn decode_jpeg_scaled(
    bytes: &[u8],
    ends_inside_scan: bool,
    d: u32,
    rgb: &mut Vec<u8>,
) -> Result<Option<(u32, u32)>, Fail> {
    use jpeg_decoder::{Error, PixelFormat};
    let classify = |e: Error| {
        jpeg_failure(
            bytes.len(),
            ends_inside_scan,
            match e {
                Error::Unsupported(kind) => JpegError::Unsupported(format!("{kind:?}")),
                Error::Io(io) if io.kind() == ErrorKind::UnexpectedEof => JpegError::RanOut(None),
                e => JpegError::Other(e.to_string()),
            },
        )
    };
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    decoder.read_info().map_err(classify)?;
    let info = decoder
        .info()
        .ok_or_else(|| invalid("decoder gave no size"))?;
    if !matches!(info.pixel_format, PixelFormat::RGB24 | PixelFormat::L8) {
        return Ok(None);
    }
    let (w, h) = (
        (info.width as u32).div_ceil(d),
        (info.height as u32).div_ceil(d),
    );
    // `scale` picks the smallest reduced IDCT whose output reaches either requested side; asking
    // for exactly the 1/d size gives 1/d.
    let (gw, gh) = decoder.scale(w as u16, h as u16).map_err(classify)?;
    if (gw as u32, gh as u32) != (w, h) {
        return Err(invalid(format!(
            "the decoder offers {gw} x {gh} pixels for 1/{d} of {} x {}",
            info.width, info.height
        )));
    }
    let pixels = decoder.decode().map_err(classify)?;
    *rgb = match info.pixel_format {
        PixelFormat::L8 => pixels.iter().flat_map(|&v| [v, v, v]).collect(),
        _ => pixels,
    };
    Ok(Some((w, h)))
}

/// A scan ended by a marker (EOI, usually) long before its blocks are coded: zune-jpeg fills the
/// rest with zeros without an error, as libjpeg does with a warning ("premature end of data
/// segment", which sharp treats as an error). Every Huffman code is at least 1 bit long, so a
/// sequential scan codes each block in at least 2 bits (DC difference and end-of-block) and a
/// progressive DC scan in at least 1; a scan shorter than that was cut. This walks the file's
/// framing (segment lengths, and the entropy-coded data up to its terminating marker), as any
/// decoder does; it does not search for `FF D9`. Returns whether the file ends inside a scan
/// (entropy-coded data with no marker after it).
fn jpeg_scans_hold_their_blocks(bytes: &[u8]) -> Result<bool, Fail> {
    let be16 = |at: usize| -> Option<usize> {
        Some(u16::from_be_bytes([*bytes.get(at)?, *bytes.get(at + 1)?]) as usize)
    };
    // (component id, h, v) from the frame header; image size; progressive?
    let mut comps: Vec<(u8, usize, usize)> = Vec::new();
    let (mut width, mut height, mut progressive) = (0usize, 0usize, false);
    let mut at = 2usize;
    while at + 4 <= bytes.len() {
        if bytes[at] != 0xFF {
            return Ok(false); // the decoder reports malformed framing itself
        }
        let marker = bytes[at + 1];
        if marker == 0xFF || marker == 0x01 || (0xD0..=0xD8).contains(&marker) {
            at += if marker == 0xFF { 1 } else { 2 };
            continue;
        }
        if marker == 0xD9 {
            return Ok(false);
        }
        let Some(len) = be16(at + 2) else {
            return Ok(false);
        };
        let seg = at + 4;
        if (0xC0..=0xC2).contains(&marker) {
            progressive = marker == 0xC2;
            height = be16(seg + 1).unwrap_or(0);
            width = be16(seg + 3).unwrap_or(0);
            let n = bytes.get(seg + 5).copied().unwrap_or(0) as usize;
            comps = (0..n)
                .filter_map(|i| {
                    let c = bytes.get(seg + 6 + i * 3..seg + 9 + i * 3)?;
                    Some((
                        c[0],
                        (c[1] >> 4).max(1) as usize,
                        (c[1] & 15).max(1) as usize,
                    ))
                })
                .collect();
        }
        at = seg + len.saturating_sub(2);
        if marker != 0xDA {
            continue;
        }
        // Start of scan: which components, which spectral band.
        let n = bytes.get(seg).copied().unwrap_or(0) as usize;
        let ids: Vec<u8> = (0..n)
            .filter_map(|i| bytes.get(seg + 1 + i * 2).copied())
            .collect();
        let ss = bytes.get(seg + 1 + n * 2).copied().unwrap_or(0);
        // Entropy-coded data runs to the first marker other than a stuffed 00 or a restart.
        if at >= bytes.len() {
            return Ok(true); // the scan header itself is cut
        }
        let start = at;
        let (end, ran_out) = entropy_data_end(bytes, start);
        let bits_per_block: u64 = if !progressive {
            2
        } else if ss == 0 {
            1
        } else {
            0
        };
        let (hmax, vmax) = comps
            .iter()
            .fold((1, 1), |(h, v), c| (h.max(c.1), v.max(c.2)));
        let in_scan: Vec<&(u8, usize, usize)> =
            comps.iter().filter(|c| ids.contains(&c.0)).collect();
        let blocks: u64 = if in_scan.len() == 1 {
            let c = in_scan[0];
            let cw = (width * c.1).div_ceil(hmax);
            let ch = (height * c.2).div_ceil(vmax);
            (cw.div_ceil(8) * ch.div_ceil(8)) as u64
        } else {
            let mcus = width.div_ceil(8 * hmax) * height.div_ceil(8 * vmax);
            (mcus * in_scan.iter().map(|c| c.1 * c.2).sum::<usize>()) as u64
        };
        let need = (blocks * bits_per_block).div_ceil(8);
        let have = (end - start) as u64;
        if have < need {
            return Err(invalid(format!(
                "truncated: a scan holds {have} bytes of coded data, but its {blocks} blocks need at least {need} (the scan ends early, at offset {end})"
            )));
        }
        if ran_out {
            return Ok(true);
        }
        at = end;
    }
    Ok(false)
}

/// Where a scan's entropy-coded data starting at `start` ends: at the first marker other than a
/// stuffed `FF 00` or a restart marker. `(end, true)` when the file ends first (`end` is its length).
fn entropy_data_end(bytes: &[u8], start: usize) -> (usize, bool) {
    let mut end = start;
    while end + 1 < bytes.len() {
        if bytes[end] == 0xFF && bytes[end + 1] != 0 && !(0xD0..=0xD7).contains(&bytes[end + 1]) {
            return (end, false);
        }
        end += 1;
    }
    (bytes.len(), true)
}

/// A progressive JPEG at 1/8 from its DC scans alone (`dc_only`; otherwise `None` at once).
/// At 1/8 every 8 x 8 block becomes one pixel computed from its DC coefficient only (the 1 x 1
/// reduced IDCT reads nothing else), so the AC scans, most of a progressive file's coded data,
/// need not be entropy-decoded: this gives exactly the pixels of decoding every scan at 1/8.
///
/// Damage: only a file whose framing runs cleanly to its EOI marker takes this path, and any
/// decoder error here sends it to the path that decodes every scan; so a cut file (no EOI), or one
/// whose DC data is damaged, is refused exactly as before, with the same message. What this path
/// does not see is damage inside an AC scan that leaves the framing intact (a corrupt Huffman code
/// there): that file is accepted, as its 1/8 pixels do not depend on those coefficients.
fn decode_jpeg_dc_only(bytes: &[u8], dc_only: bool, rgb: &mut Vec<u8>) -> Option<(u32, u32)> {
    if !dc_only {
        return None;
    }
    let dc = jpeg_dc_scans(bytes)?;
    match decode_jpeg_scaled(&dc, false, 8, rgb) {
        Ok(Some(size)) => Some(size),
        _ => None,
    }
}

/// The file less its AC scans (a scan header with a spectral start above 0, and its coded data),
/// ending at its EOI; `None` when the framing does not run cleanly to an EOI.
fn jpeg_dc_scans(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len() / 3);
    out.extend_from_slice(bytes.get(..2)?);
    let mut at = 2usize;
    loop {
        if *bytes.get(at)? != 0xFF {
            return None;
        }
        let marker = *bytes.get(at + 1)?;
        match marker {
            0xFF => {
                at += 1; // a fill byte
                continue;
            }
            0xD9 => {
                out.extend_from_slice(&[0xFF, 0xD9]);
                return Some(out);
            }
            0x01 | 0xD0..=0xD8 => {
                out.extend_from_slice(&bytes[at..at + 2]);
                at += 2;
                continue;
            }
            _ => {}
        }
        let len = u16::from_be_bytes([*bytes.get(at + 2)?, *bytes.get(at + 3)?]) as usize;
        let segment_end = at + 2 + len.max(2);
        if segment_end > bytes.len() {
            return None;
        }
        if marker != 0xDA {
            out.extend_from_slice(&bytes[at..segment_end]);
            at = segment_end;
            continue;
        }
        let components = *bytes.get(at + 4)? as usize;
        let spectral_start = *bytes.get(at + 5 + components * 2)?;
        let (end, ran_out) = entropy_data_end(bytes, segment_end);
        if ran_out {
            return None;
        }
        if spectral_start == 0 {
            out.extend_from_slice(&bytes[at..end]);
        }
        at = end;
    }
}

/// Every GIF frame's size against the limit, before any frame buffer exists. Walks block
/// headers only (sub-blocks are skipped by length); stops quietly where the file ends, since only
/// the first frame is decoded and the decoder reports damage there.
fn gif_frames_fit(bytes: &[u8], max_input_pixels: u64) -> Result<(), Fail> {
    let byte = |at: usize| bytes.get(at).copied();
    let le16 = |at: usize| Some(u16::from_le_bytes([byte(at)?, byte(at + 1)?]) as u64);
    let skip_sub_blocks = |mut at: usize| -> Option<usize> {
        loop {
            let n = byte(at)? as usize;
            at += 1 + n;
            if n == 0 {
                return Some(at);
            }
        }
    };
    let Some(flags) = byte(10) else { return Ok(()) };
    let mut at = 13
        + if flags & 0x80 != 0 {
            3 << ((flags & 7) + 1)
        } else {
            0
        };
    let mut frame = 0usize;
    loop {
        match byte(at) {
            Some(0x21) => match skip_sub_blocks(at + 2) {
                Some(next) => at = next,
                None => return Ok(()),
            },
            Some(0x2C) => {
                let (Some(w), Some(h), Some(f)) = (le16(at + 5), le16(at + 7), byte(at + 9)) else {
                    return Ok(());
                };
                if w * h > max_input_pixels {
                    return Err((
                        ErrorCode::ImageTooLarge,
                        format!(
                            "frame {frame} is {w} x {h} = {} pixels, above maxInputPixels ({max_input_pixels}); refused before decoding (decompression-bomb guard, checked on every frame)",
                            w * h
                        ),
                    ));
                }
                frame += 1;
                at += 10 + if f & 0x80 != 0 { 3 << ((f & 7) + 1) } else { 0 };
                match skip_sub_blocks(at + 1) {
                    Some(next) => at = next,
                    None => return Ok(()),
                }
            }
            _ => return Ok(()),
        }
    }
}

/// The first GIF frame on a canvas of `width x height` (the logical screen grown to that frame,
/// as the header reader gives). A frame without a local palette uses the global one; a file with
/// neither is shown as greyscale (index = grey level), as Pillow does.
fn decode_gif(
    bytes: &[u8],
    width: u32,
    height: u32,
    max_input_pixels: u64,
    rgb: &mut Vec<u8>,
) -> Result<(u32, u32), Fail> {
    let gif_error = |e: gif::DecodingError| match e {
        gif::DecodingError::Io(io) if io.kind() == ErrorKind::UnexpectedEof => invalid(format!(
            "truncated, the file ends early ({} bytes)",
            bytes.len()
        )),
        e => {
            let text = e.to_string();
            if text.to_lowercase().contains("eof") || text.contains("end of") {
                invalid(format!("truncated or corrupt data ({text})"))
            } else {
                invalid(format!("decoding: corrupt data ({text})"))
            }
        }
    };
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::Indexed);
    options.set_memory_limit(
        NonZeroU64::new(max_input_pixels.saturating_add(1 << 20))
            .map_or(gif::MemoryLimit::Unlimited, gif::MemoryLimit::Bytes),
    );
    // The gif crate refuses a frame with neither a local nor a global palette; Pillow and sharp
    // show such a file as greyscale. A copy with a grey global palette decodes the same way
    // (frames with their own palette keep using it).
    let had_global = bytes.get(10).is_some_and(|f| f & 0x80 != 0);
    let patched: Vec<u8>;
    let source = if had_global || bytes.len() < 13 {
        bytes
    } else {
        let mut copy = Vec::with_capacity(bytes.len() + 768);
        copy.extend_from_slice(&bytes[..13]);
        copy[10] |= 0x87;
        copy.extend((0..=255u8).flat_map(|v| [v, v, v]));
        copy.extend_from_slice(&bytes[13..]);
        patched = copy;
        &patched
    };
    let mut decoder = options.read_info(Cursor::new(source)).map_err(gif_error)?;
    let global = decoder.global_palette().map(<[u8]>::to_vec);
    let background = decoder.bg_color();
    let frame = decoder
        .read_next_frame()
        .map_err(gif_error)?
        .ok_or_else(|| invalid("no image in the file"))?;
    let palette: Vec<u8> = match (&frame.palette, &global) {
        (Some(p), _) | (None, Some(p)) => p.clone(),
        (None, None) => (0..=255u8).flat_map(|v| [v, v, v]).collect(),
    };
    let colour = |i: u8| -> [u8; 3] {
        let at = i as usize * 3;
        match palette.get(at..at + 3) {
            Some(c) => [c[0], c[1], c[2]],
            None => [0, 0, 0],
        }
    };
    let fill = match (background, &global, frame.transparent) {
        (Some(b), Some(_), t) if had_global && t != Some(b as u8) && b < 256 => colour(b as u8),
        _ => [0, 0, 0],
    };
    let total = width as usize * height as usize * 3;
    rgb.clear();
    rgb.try_reserve_exact(total).map_err(|_| {
        (
            ErrorCode::ImageTooLarge,
            format!("cannot allocate {total} bytes"),
        )
    })?;
    for _ in 0..width as usize * height as usize {
        rgb.extend_from_slice(&fill);
    }
    let (fx, fy) = (frame.left as usize, frame.top as usize);
    let (fw, fh) = (frame.width as usize, frame.height as usize);
    if frame.buffer.len() < fw * fh {
        return Err(invalid("the first frame holds fewer pixels than its size"));
    }
    for y in 0..fh.min((height as usize).saturating_sub(fy)) {
        for x in 0..fw.min((width as usize).saturating_sub(fx)) {
            let i = frame.buffer[y * fw + x];
            if Some(i) == frame.transparent {
                continue;
            }
            let d = ((fy + y) * width as usize + fx + x) * 3;
            rgb[d..d + 3].copy_from_slice(&colour(i));
        }
    }
    Ok((width, height))
}

/// Walks a BMP's RLE4/RLE8 stream without writing pixels: it must reach its end-of-bitmap code
/// or cover every row before the file ends, or the file was cut (a 253-byte file claiming
/// 18803 x 2554 fails here, before a 144 MB canvas is allocated).
fn bmp_rle_check(
    bytes: &[u8],
    pixel_offset: u32,
    four_bit: bool,
    width: u32,
    height: u32,
) -> Result<(), Fail> {
    let data = bytes.get(pixel_offset as usize..).unwrap_or(&[]);
    let (mut at, mut y) = (0usize, 0u64);
    let cut = || {
        invalid(format!(
            "truncated: the RLE data ends before its end-of-bitmap code, {} bytes into a {width} x {height} image",
            data.len()
        ))
    };
    while y < height as u64 {
        let (Some(&count), Some(&value)) = (data.get(at), data.get(at + 1)) else {
            return Err(cut());
        };
        at += 2;
        if count > 0 {
            continue;
        }
        match value {
            0 => y += 1,
            1 => return Ok(()),
            2 => {
                let Some(&dy) = data.get(at + 1) else {
                    return Err(cut());
                };
                y += dy as u64;
                at += 2;
            }
            n => {
                let stored = if four_bit {
                    (n as usize).div_ceil(2)
                } else {
                    n as usize
                };
                at += stored.div_ceil(2) * 2;
                if at > data.len() {
                    return Err(cut());
                }
            }
        }
    }
    Ok(())
}

/// The decoder of a format, where this package has one (AVIF and HEIC: sizes only).
pub fn codec(format: ImageFormat) -> Option<image::ImageFormat> {
    match format {
        ImageFormat::Png => Some(image::ImageFormat::Png),
        ImageFormat::Jpeg => Some(image::ImageFormat::Jpeg),
        ImageFormat::Webp => Some(image::ImageFormat::WebP),
        ImageFormat::Gif => Some(image::ImageFormat::Gif),
        ImageFormat::Bmp => Some(image::ImageFormat::Bmp),
        _ => None,
    }
}

/// A WebP whose RIFF header declares more bytes than the file holds was cut (image-webp calls
/// that a corrupt bitstream).
fn webp_truncation(bytes: &[u8]) -> Option<String> {
    let declared = u32::from_le_bytes(bytes.get(4..8)?.try_into().ok()?) as u64 + 8;
    (declared > bytes.len() as u64).then(|| {
        format!(
            "truncated, the RIFF header declares {declared} bytes but the file holds {}",
            bytes.len()
        )
    })
}

fn too_large(w: u32, h: u32, max_input_pixels: u64) -> String {
    let pixels = w as u64 * h as u64;
    format!(
        "{w} x {h} = {pixels} pixels exceeds maxInputPixels ({max_input_pixels}); refused before decoding (decompression-bomb guard)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progressive_photo() -> Vec<u8> {
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../packages/mm-tokenize-batcher/test/fixtures/photos/astronaut-progressive.jpg"
        ))
        .unwrap()
    }

    /// At 1/8 the DC scans alone give exactly the pixels of decoding every scan, from far fewer
    /// bytes of coded data.
    #[test]
    fn dc_scans_alone_give_the_pixels_of_every_scan_at_one_eighth() {
        let bytes = progressive_photo();
        let dc = jpeg_dc_scans(&bytes).expect("a whole progressive file");
        assert!(
            dc.len() * 2 < bytes.len(),
            "{} of {} bytes",
            dc.len(),
            bytes.len()
        );
        let (mut every, mut dc_only) = (Vec::new(), Vec::new());
        let all = decode_jpeg_scaled(&bytes, false, 8, &mut every).unwrap();
        let some = decode_jpeg_dc_only(&bytes, true, &mut dc_only);
        assert_eq!(all, Some((64, 48)));
        assert_eq!(some, Some((64, 48)));
        assert_eq!(every, dc_only);
        // Not asked (not progressive, or not 1/8): nothing.
        assert_eq!(decode_jpeg_dc_only(&bytes, false, &mut dc_only), None);
    }

    /// A file cut anywhere (no EOI) or with a scan cut short never takes the DC-only path.
    #[test]
    fn cut_files_do_not_take_the_dc_only_path() {
        let bytes = progressive_photo();
        for cut in (2..bytes.len() - 1).step_by(11) {
            assert_eq!(jpeg_dc_scans(&bytes[..cut]), None, "cut {cut}");
        }
    }
}
