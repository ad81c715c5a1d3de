//! Per-sample shape features, computed once per sample and shared by strategies, sizing and
//! metrics.

use crate::error::{ErrorCode, Reject};
use crate::header::MAX_IMAGE_PIXELS;
use crate::options::show;

/// Largest accepted side, in pixels. Sides are carried as `u32` and products as `f64`, so
/// anything up to here is exact; real images are far smaller.
pub const MAX_SIDE: f64 = 2_147_483_647.0; // 2^31 - 1

/// The shape of one image, with the logs every strategy works in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shape {
    pub width: f64,
    pub height: f64,
    /// `ln(width / height)`: 0 for a square, symmetric for portrait and landscape.
    pub ln_aspect: f64,
    /// `ln(width * height)`.
    pub ln_area: f64,
}

impl Shape {
    /// Checks one sample's size and computes its features.
    pub fn new(index: usize, width: f64, height: f64) -> Result<Shape, Reject> {
        // Nearly every sample passes every check: one test of all of them first (the checks one
        // by one, each a call, were a tenth of Simple's planning in wasm at buffer 128).
        let plain = |v: f64| (1.0..=MAX_SIDE).contains(&v) && v.trunc() == v;
        if plain(width) && plain(height) && width * height <= MAX_IMAGE_PIXELS as f64 {
            return Ok(Shape::of(width, height));
        }
        check_side(index, "width", width)?;
        check_side(index, "height", height)?;
        // The shared plausibility limit: no real image to batch is larger (see MAX_IMAGE_PIXELS).
        if width * height > MAX_IMAGE_PIXELS as f64 {
            return Err(Reject {
                index,
                code: ErrorCode::ImageTooLarge,
                message: format!(
                    "image is {width} x {height} = {} pixels, above the limit of {MAX_IMAGE_PIXELS} (no real image to batch is larger)",
                    width * height
                ),
            });
        }
        Ok(Shape::of(width, height))
    }

    fn of(width: f64, height: f64) -> Shape {
        Shape {
            width,
            height,
            // One rounding before the log, so equal ratios (640/480, 1024/768) tie exactly.
            ln_aspect: (width / height).ln(),
            ln_area: (width * height).ln(),
        }
    }
}

fn check_side(index: usize, name: &str, value: f64) -> Result<(), Reject> {
    let problem = if value.is_nan() {
        Some("is not a number (NaN)".to_string())
    } else if value.is_infinite() {
        Some(format!("is {}", show(value)))
    } else if value <= 0.0 {
        Some(format!("is {}; it must be at least 1", show(value)))
    } else if value.fract() != 0.0 {
        Some(format!(
            "is {}; it must be a whole number of pixels",
            show(value)
        ))
    } else if value > MAX_SIDE {
        Some(format!(
            "is {}; the largest accepted side is 2^31 - 1",
            show(value)
        ))
    } else {
        None
    };
    match problem {
        None => Ok(()),
        Some(problem) => Err(Reject {
            index,
            code: ErrorCode::InvalidDimensions,
            message: format!("image {name} {problem}"),
        }),
    }
}
