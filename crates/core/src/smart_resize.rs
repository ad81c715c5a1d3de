//! Qwen2-VL's dynamic-resolution rounding (`smart_resize`), reproduced exactly.
//!
//! The published function (Hugging Face `transformers`,
//! `models/qwen2_vl/image_processing_qwen2_vl.py`, and `qwen_vl_utils.vision_process`) is:
//!
//! ```text
//! h_bar = round(height / factor) * factor          # Python round: half to even
//! w_bar = round(width / factor) * factor
//! if h_bar * w_bar > max_pixels:
//!     beta = sqrt((height * width) / max_pixels)
//!     h_bar = floor(height / beta / factor) * factor
//!     w_bar = floor(width / beta / factor) * factor
//! elif h_bar * w_bar < min_pixels:
//!     beta = sqrt(min_pixels / (height * width))
//!     h_bar = ceil(height * beta / factor) * factor
//!     w_bar = ceil(width * beta / factor) * factor
//! ```
//!
//! Every operation here is the same IEEE double operation in the same order, so results match
//! the Python bit for bit. Three departures, all only where Python raises an error or breaks its
//! own bound:
//! - a side that would round to 0 is at least `factor` (as `qwen_vl_utils` does with
//!   `max(factor, ...)`), and images with an aspect ratio above 200 or a side below `factor` are
//!   sized instead of refused;
//! - `max_pixels` always holds. The published rule cannot keep it when a side is floored at
//!   `factor` (1 x 100000 gives 28 x 316764, 8.8x the bound): then the longer side is shrunk to
//!   the largest multiple of `factor` that fits (`floor(max_pixels / shorter / factor) * factor`),
//!   and the shorter side too if that is still not enough (1 x 100000 gives 28 x 35840). The same
//!   closing step catches the `min_pixels` branch's ceilings stepping over `max_pixels` when the
//!   two bounds are close. It needs `max_pixels >= factor^2`, which `smart_resize_checked` and
//!   the sizing options enforce.

use crate::error::PlanError;
use crate::options::{show, OptionMap, OptionReader, MAX_SAFE_INTEGER};
use crate::shape::Shape;

/// `(height, width)` for an image of `height x width` pixels (whole numbers >= 1). `min_pixels`
/// and `max_pixels` of `None` leave that side unbounded.
pub fn smart_resize(
    height: f64,
    width: f64,
    factor: u32,
    min_pixels: Option<f64>,
    max_pixels: Option<f64>,
) -> (u32, u32) {
    let f = f64::from(factor);
    let at_least = |side: f64| side.max(f);
    let mut h_bar = at_least((height / f).round_ties_even() * f);
    let mut w_bar = at_least((width / f).round_ties_even() * f);
    if let Some(max) = max_pixels.filter(|&max| h_bar * w_bar > max) {
        let beta = ((height * width) / max).sqrt();
        h_bar = at_least((height / beta / f).floor() * f);
        w_bar = at_least((width / beta / f).floor() * f);
    } else if let Some(min) = min_pixels.filter(|&min| h_bar * w_bar < min) {
        let beta = (min / (height * width)).sqrt();
        h_bar = at_least((height * beta / f).ceil() * f);
        w_bar = at_least((width * beta / f).ceil() * f);
    }
    if let Some(max) = max_pixels {
        // Only changes anything where a side was floored at `factor` (or the ceilings above
        // stepped over a close bound).
        (h_bar, w_bar) = crate::sizing::shrink_to_max(h_bar, w_bar, max, f);
    }
    // Sides stay far below 2^32 for inputs up to 2^31 - 1; `as` saturates regardless.
    (h_bar as u32, w_bar as u32)
}

/// `smartResize(height, width, options)` as the bindings call it: the image size is checked like
/// any sample's, and `factor`, `minPixels`, `maxPixels` are read and checked against each other
/// (defaults: Qwen2-VL's). Returns `(height, width)`.
pub fn smart_resize_checked(
    height: f64,
    width: f64,
    entries: &OptionMap,
) -> Result<(u32, u32), PlanError> {
    Shape::new(0, width, height).map_err(PlanError::Sample)?;
    let options = OptionReader::new(
        entries,
        &[&["factor", "minPixels", "maxPixels"]],
        "of smartResize",
    )?;
    let factor = options.multiple("factor")?.unwrap_or(QWEN2_VL_FACTOR);
    // `null`: no bound on that side.
    let bound = |name: &str, default: f64| -> Result<Option<f64>, PlanError> {
        if options.is_null(name) {
            return Ok(None);
        }
        Ok(Some(
            options
                .integer(name, 1.0, MAX_SAFE_INTEGER)?
                .unwrap_or(default),
        ))
    };
    let min = bound("minPixels", QWEN2_VL_MIN_PIXELS)?;
    let max = bound("maxPixels", QWEN2_VL_MAX_PIXELS)?;
    let factor_area = f64::from(factor) * f64::from(factor);
    if let Some(max) = max.filter(|&max| max < factor_area) {
        return Err(PlanError::option(
            "maxPixels",
            format!(
                "is {}, below factor^2 = {}: no size would fit",
                show(max),
                show(factor_area)
            ),
        ));
    }
    if let (Some(min), Some(max)) = (min, max) {
        if min <= max {
            return Ok(smart_resize(height, width, factor, Some(min), Some(max)));
        }
        return Err(PlanError::option(
            "minPixels",
            format!("is {}, above maxPixels = {}", show(min), show(max)),
        ));
    }
    Ok(smart_resize(height, width, factor, min, max))
}

/// Qwen2-VL's published bounds: `min_pixels = 56 * 56`, `max_pixels = 28 * 28 * 1280`.
pub const QWEN2_VL_FACTOR: u32 = 28;
pub const QWEN2_VL_MIN_PIXELS: f64 = 3136.0;
pub const QWEN2_VL_MAX_PIXELS: f64 = 1_003_520.0;

#[cfg(test)]
mod tests {
    use super::*;

    fn qwen(h: f64, w: f64) -> (u32, u32) {
        smart_resize(
            h,
            w,
            QWEN2_VL_FACTOR,
            Some(QWEN2_VL_MIN_PIXELS),
            Some(QWEN2_VL_MAX_PIXELS),
        )
    }

    // Worked by hand from the published formula (factor 28, min 3136, max 1003520).
    #[test]
    fn within_bounds_rounds_each_side_to_nearest_28() {
        // 480/28 = 17.14 -> 17 -> 476; 640/28 = 22.86 -> 23 -> 644; 476*644 = 306544 in bounds.
        assert_eq!(qwen(480.0, 640.0), (476, 644));
        // 224/28 = 8 exactly.
        assert_eq!(qwen(224.0, 224.0), (224, 224));
    }

    #[test]
    fn ties_round_half_to_even_as_python_does() {
        // 70/28 = 2.5 -> round half to even = 2 -> 56 (half away from zero would give 84);
        // 98/28 = 3.5 -> 4 -> 112. 56*112 = 6272 >= 3136.
        assert_eq!(qwen(70.0, 98.0), (56, 112));
        // 126/28 = 4.5 -> 4 -> 112; 154/28 = 5.5 -> 6 -> 168.
        assert_eq!(qwen(126.0, 154.0), (112, 168));
    }

    #[test]
    fn above_max_pixels_scales_down_with_floor() {
        // 1080 x 1920: rounded 1092 x 1932 = 2109744 > 1003520.
        // beta = sqrt(2073600 / 1003520) = 1.43747...; 1080/beta/28 = 26.83 -> 26 -> 728;
        // 1920/beta/28 = 47.70 -> 47 -> 1316. 728*1316 = 958048 <= 1003520.
        assert_eq!(qwen(1080.0, 1920.0), (728, 1316));
        // 2048 x 2048: beta = 2048/1001.76 = 2.04440...; 2048/beta/28 = 35.777 -> 35 -> 980.
        assert_eq!(qwen(2048.0, 2048.0), (980, 980));
    }

    #[test]
    fn below_min_pixels_scales_up_with_ceil() {
        // 30 x 40: rounded 28 x 28 = 784 < 3136. beta = sqrt(3136 / 1200) = 1.61658...;
        // 30*beta/28 = 1.732 -> 2 -> 56; 40*beta/28 = 2.309 -> 3 -> 84.
        assert_eq!(qwen(30.0, 40.0), (56, 84));
        // 50 x 50: rounded 56 x 56 = 3136, not below min: stays.
        assert_eq!(qwen(50.0, 50.0), (56, 56));
        // 40 x 40: rounded 28 x 28 = 784 < 3136; beta = 56/40 = 1.4; 40*1.4/28 = 2 -> 56.
        assert_eq!(qwen(40.0, 40.0), (56, 56));
    }

    #[test]
    fn as_a_sizing_mode_a_single_image_gets_exactly_smart_resize() {
        use crate::shape::Shape;
        use crate::sizing::{resize_size, SizingScratch};
        use crate::sizing::{SizeMode, Sizing};
        let sizing = Sizing {
            mode: SizeMode::SmartResize,
            multiple_of: QWEN2_VL_FACTOR,
            min_pixels: Some(QWEN2_VL_MIN_PIXELS),
            max_pixels: Some(QWEN2_VL_MAX_PIXELS),
        };
        let mut scratch = SizingScratch::default();
        for (h, w) in [
            (70, 98),
            (126, 154),
            (1080, 1920),
            (30, 40),
            (480, 640),
            (333, 1001),
        ] {
            let shapes = [Shape::new(0, f64::from(w), f64::from(h)).unwrap()];
            assert_eq!(
                resize_size(&shapes, &[0], &sizing, &mut scratch),
                qwen(f64::from(h), f64::from(w)),
                "{h} x {w}"
            );
        }
    }

    #[test]
    fn max_pixels_holds_for_extreme_aspect_ratios() {
        // Published rule: 28 x 316764 (8.8x maxPixels). Kept: the long side shrinks to
        // floor(1003520 / 28 / 28) * 28 = 1280 * 28 = 35840, exactly maxPixels.
        assert_eq!(qwen(1.0, 100_000.0), (28, 35_840));
        assert_eq!(qwen(100_000.0, 1.0), (35_840, 28));
        assert_eq!(qwen(1.0, 1e9), (28, 35_840));
        assert_eq!(qwen(1e9, 1.0), (35_840, 28));
        assert_eq!(qwen(2_147_483_647.0, 3.0), (35_840, 28));
        for (h, w) in [
            (1.0, 100_000.0),
            (1.0, 1e9),
            (3.0, 7e5),
            (13.0, 1e6),
            (1.0, 2_147_483_647.0),
        ] {
            let (bh, bw) = qwen(h, w);
            assert!(
                f64::from(bh) * f64::from(bw) <= QWEN2_VL_MAX_PIXELS,
                "{h} x {w}"
            );
            assert_eq!((bh % 28, bw % 28), (0, 0));
        }
        // Ceilings of the min branch stepping over a close max: min = max = 28 * 56.
        let (bh, bw) = smart_resize(30.0, 50.0, 28, Some(1568.0), Some(1568.0));
        assert!(f64::from(bh) * f64::from(bw) <= 1568.0);
        // Where the published rule keeps the bound, nothing changes (checked exactly above too).
        assert_eq!(qwen(1080.0, 1920.0), (728, 1316));
    }

    fn checked(h: f64, w: f64, entries: &[(&str, f64)]) -> Result<(u32, u32), PlanError> {
        use crate::options::OptionValue;
        let map: OptionMap = entries
            .iter()
            .map(|&(k, v)| (k.to_string(), OptionValue::Number(v)))
            .collect();
        smart_resize_checked(h, w, &map)
    }

    #[test]
    fn checked_refuses_bounds_that_cannot_hold() {
        let e = checked(10.0, 10.0, &[("minPixels", 2000.0), ("maxPixels", 1000.0)]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "option `minPixels` is 2000, above maxPixels = 1000"
        );
        let e = checked(10.0, 10.0, &[("maxPixels", 500.0)]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "option `maxPixels` is 500, below factor^2 = 784: no size would fit"
        );
        let e = checked(1.0, 1.0, &[("factor", 65536.0)]).unwrap_err();
        assert!(e
            .to_string()
            .starts_with("option `factor` must be a whole number from 1 to 1024"));
        assert_eq!(checked(1.0, 100_000.0, &[]).unwrap(), (28, 35_840));
    }

    #[test]
    fn unbounded_only_rounds() {
        assert_eq!(smart_resize(10.0, 5000.0, 28, None, None), (28, 5012));
    }
}
