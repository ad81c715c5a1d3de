//! Per-sample shape features, computed once per sample and shared by strategies, sizing and
//! metrics.

use crate::error::{ErrorCode, Reject};
use crate::options::show;
use mm_batcher_formats::{MAX_IMAGE_PIXELS, MAX_SIDE};

/// Largest accepted side, in pixels: the headers' own bound ([`mm_batcher_formats::Limits`]).
/// Sides are carried as `u32` and products as `f64`, so anything up to here is exact.
const MAX_PLANNED_SIDE: f64 = MAX_SIDE as f64;

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
        // One test of everything first (nearly every sample passes; the checks one by one, each
        // a call, were a tenth of Simple's planning in wasm at buffer 128); which check failed is
        // worked out only for a sample that does not.
        if whole_side(width) && whole_side(height) && width * height <= MAX_IMAGE_PIXELS as f64 {
            Ok(Shape::of(width, height))
        } else {
            Err(reject(index, width, height))
        }
    }

    fn of(width: f64, height: f64) -> Shape {
        Shape {
            width,
            height,
            // One rounding before the log, so equal ratios (640/480, 1024/768) tie exactly.
            ln_aspect: crate::math::ln(width / height),
            ln_area: crate::math::ln(width * height),
        }
    }
}

/// A side `Shape::new` accepts: a whole number of pixels from 1 to the side limit.
fn whole_side(value: f64) -> bool {
    (1.0..=MAX_PLANNED_SIDE).contains(&value) && value.trunc() == value
}

/// Why `Shape::new` refused a size: the first side that is not whole, else the pixel limit.
fn reject(index: usize, width: f64, height: f64) -> Reject {
    let side = [("width", width), ("height", height)]
        .into_iter()
        .find(|&(_, v)| !whole_side(v));
    let (code, message) = match side {
        Some((name, value)) => (
            ErrorCode::InvalidDimensions,
            format!("image {name} {}", side_problem(value)),
        ),
        // The shared plausibility limit: no real image to batch is larger (see MAX_IMAGE_PIXELS).
        None => (
            ErrorCode::ImageTooLarge,
            format!(
                "image is {width} x {height} = {} pixels, above the limit of {MAX_IMAGE_PIXELS} (no real image to batch is larger)",
                width * height
            ),
        ),
    };
    Reject::new(index, code, message)
}

/// What is wrong with a side that is not whole.
fn side_problem(value: f64) -> String {
    if value.is_nan() {
        "is not a number (NaN)".to_string()
    } else if value.is_infinite() {
        format!("is {}", show(value))
    } else if value <= 0.0 {
        format!("is {}; it must be at least 1", show(value))
    } else if value.fract() != 0.0 {
        format!("is {}; it must be a whole number of pixels", show(value))
    } else {
        format!("is {}; the largest accepted side is 2^31 - 1", show(value))
    }
}
