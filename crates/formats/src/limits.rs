//! The limits header reading applies, in one place.

/// What header reading accepts. [`Limits::DEFAULT`] is what planning applies; decoding applies
/// its own pixel limit (`maxInputPixels`), which defaults to the same number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest image, in pixels (upright width x height). Default: 89,478,485.
    ///
    /// 89,478,485 pixels is Pillow's `Image.MAX_IMAGE_PIXELS`, the size above which Pillow (the
    /// seed library's stack) warns of a decompression bomb (it refuses at twice that). It covers
    /// every camera sensor in common use (61 MP full frame, 9504 x 6336, fits; 100 MP medium
    /// format does not) and any page scan up to A3 at 600 dpi. Decoding one image this large costs
    /// at most 11 bytes per pixel (16-bit RGBA from the PNG decoder plus the 8-bit RGB copy), about
    /// 0.98 GB, which leaves room for a 1 GiB batch tensor inside wasm32's 4 GiB. A larger header is
    /// `IMAGE_TOO_LARGE` (a size no real image to be batched has).
    pub max_image_pixels: u64,
    /// Largest side any header may state. Default: 2^31 - 1 (PNG caps both sides there and BMP
    /// stores them as signed 32-bit integers); a header stating more contradicts its own format:
    /// `INVALID_IMAGE`. Planning accepts sides up to the same bound.
    pub max_side: u32,
}

impl Limits {
    pub const DEFAULT: Limits = Limits {
        max_image_pixels: 89_478_485,
        max_side: i32::MAX as u32,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// [`Limits::DEFAULT`]'s pixel limit: planning's, and decoding's default `maxInputPixels`.
pub const MAX_IMAGE_PIXELS: u64 = Limits::DEFAULT.max_image_pixels;
/// [`Limits::DEFAULT`]'s side limit.
pub const MAX_SIDE: u32 = Limits::DEFAULT.max_side;
