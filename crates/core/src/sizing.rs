//! A batch's `resizeSize` (SPEC "Batch sizing"): the medians of ln aspect and ln area give the
//! real size that minimises the batch's mean log resize waste; it is then scaled into the pixel
//! bounds and rounded to `multipleOf`.

use crate::error::PlanError;
use crate::options::{show, OptionReader, MAX_SAFE_INTEGER};
use crate::shape::Shape;

/// Which real size a batch aims at, before bounds and rounding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SizeMode {
    /// Medians of ln aspect and ln area: the least mean `ln r` over the batch (SPEC's rule).
    #[default]
    Median,
    /// Centre of the batch's extent in ln width and ln height: the least worst `r` in the batch.
    Minimax,
    /// The median target, rounded to whole pixels, then Qwen2-VL's `smart_resize` with
    /// `factor = multipleOf` and the pixel bounds (see `smart_resize`).
    SmartResize,
}

/// How a batch's `resizeSize` is chosen, rounded and bounded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sizing {
    pub mode: SizeMode,
    pub multiple_of: u32,
    pub min_pixels: Option<f64>,
    pub max_pixels: Option<f64>,
}

impl Default for Sizing {
    fn default() -> Self {
        Sizing {
            mode: SizeMode::Median,
            multiple_of: 1,
            min_pixels: None,
            max_pixels: None,
        }
    }
}

/// The option names [`Sizing::read`] reads.
pub const SIZING_OPTIONS: &[&str] = &["multipleOf", "minPixels", "maxPixels", "sizing"];

impl Sizing {
    /// `sizing`, `multipleOf` (default `default_multiple`), `minPixels`, `maxPixels`, checked
    /// against each other so that some size always fits.
    pub fn read(
        options: &OptionReader,
        default_mode: SizeMode,
        default_multiple: u32,
    ) -> Result<Sizing, PlanError> {
        let mode = options
            .choice(
                "sizing",
                &[
                    ("median", SizeMode::Median),
                    ("minimax", SizeMode::Minimax),
                    ("smart-resize", SizeMode::SmartResize),
                ],
            )?
            .unwrap_or(default_mode);
        let multiple_of = options.multiple("multipleOf")?.unwrap_or(default_multiple);
        let min_pixels = options.integer("minPixels", 1.0, MAX_SAFE_INTEGER)?;
        let max_pixels = options.integer("maxPixels", 1.0, MAX_SAFE_INTEGER)?;
        let multiple_area = f64::from(multiple_of) * f64::from(multiple_of);
        if let Some(max) = max_pixels {
            if max < multiple_area {
                return Err(PlanError::option(
                    "maxPixels",
                    format!(
                        "is {}, below multipleOf^2 = {}: no size would fit",
                        show(max),
                        show(multiple_area)
                    ),
                ));
            }
        }
        if let (Some(min), Some(max)) = (min_pixels, max_pixels) {
            if min > max {
                return Err(PlanError::option(
                    "minPixels",
                    format!("is {}, above maxPixels = {}", show(min), show(max)),
                ));
            }
        }
        Ok(Sizing {
            mode,
            multiple_of,
            min_pixels,
            max_pixels,
        })
    }
}

/// Reusable buffers, so sizing a whole plan allocates twice rather than once per batch.
#[derive(Default)]
pub struct SizingScratch {
    keys: Vec<i64>,
}

/// `(height, width)` for the batch made of `members` (indices into `shapes`, at least one).
pub fn resize_size(
    shapes: &[Shape],
    members: &[u32],
    sizing: &Sizing,
    scratch: &mut SizingScratch,
) -> (u32, u32) {
    let of = |i: &u32| &shapes[*i as usize];
    let (la, lp) = match sizing.mode {
        SizeMode::Median | SizeMode::SmartResize => (
            median(members.iter().map(|i| of(i).ln_aspect), &mut scratch.keys),
            median(members.iter().map(|i| of(i).ln_area), &mut scratch.keys),
        ),
        SizeMode::Minimax => {
            // ln r = 2 max(|d ln w|, |d ln h|): the centre of the extent in ln w and ln h
            // bounds the worst image's waste by half the wider extent.
            let (mut w_lo, mut w_hi, mut h_lo, mut h_hi) = (
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
            );
            for (a, p) in members.iter().map(|i| (of(i).ln_aspect, of(i).ln_area)) {
                let (lw, lh) = ((p + a) / 2.0, (p - a) / 2.0);
                (w_lo, w_hi, h_lo, h_hi) = (w_lo.min(lw), w_hi.max(lw), h_lo.min(lh), h_hi.max(lh));
            }
            let (lw, lh) = ((w_lo + w_hi) / 2.0, (h_lo + h_hi) / 2.0);
            (lw - lh, lw + lh)
        }
    };
    fit_size(
        crate::math::exp((lp - la) / 2.0),
        crate::math::exp((lp + la) / 2.0),
        sizing,
    )
}

/// [`resize_size`] of each batch, in order.
pub fn resize_sizes<'a>(
    shapes: &[Shape],
    batches: impl IntoIterator<Item = &'a Vec<u32>>,
    sizing: &Sizing,
) -> Vec<(u32, u32)> {
    let mut scratch = SizingScratch::default();
    batches
        .into_iter()
        .map(|b| resize_size(shapes, b, sizing, &mut scratch))
        .collect()
}

/// Scales a real `(height, width)` into `[minPixels, maxPixels]`, keeping its aspect, then rounds
/// each side to the nearest multiple of `multipleOf` (at least one multiple). Rounding can step
/// outside the bounds; the closing corrections move one side by whole multiples to get back in.
/// `maxPixels` always holds (it protects memory); `minPixels` holds unless `maxPixels` forbids it.
pub fn fit_size(height: f64, width: f64, sizing: &Sizing) -> (u32, u32) {
    if sizing.mode == SizeMode::SmartResize {
        return crate::smart_resize::smart_resize(
            height.round().max(1.0),
            width.round().max(1.0),
            sizing.multiple_of,
            sizing.min_pixels,
            sizing.max_pixels,
        );
    }
    let m = f64::from(sizing.multiple_of);
    let (mut h, mut w) = (height, width);
    if let Some(max) = sizing.max_pixels {
        if h * w > max {
            let s = (max / (h * w)).sqrt();
            h *= s;
            w *= s;
        }
    }
    if let Some(min) = sizing.min_pixels {
        if h * w < min {
            let s = (min / (h * w)).sqrt();
            h *= s;
            w *= s;
        }
    }
    let (mut h, mut w) = (nearest_multiple(h, m), nearest_multiple(w, m));

    if let Some(max) = sizing.max_pixels {
        (h, w) = shrink_to_max(h, w, max, m);
    }
    if let Some(min) = sizing.min_pixels {
        let cap = sizing.max_pixels.unwrap_or(f64::INFINITY);
        // Grow the shorter side first, never past maxPixels.
        let grow = |side: f64, other: f64| {
            if side * other >= min {
                return side;
            }
            let grown = ceil_multiple(min / other, m);
            side.max(if grown * other > cap {
                floor_multiple(cap / other, m)
            } else {
                grown
            })
        };
        if h <= w {
            h = grow(h, w);
            w = grow(w, h);
        } else {
            w = grow(w, h);
            h = grow(h, w);
        }
    }
    // Sides stay below 2^32 (inputs are at most 2^31 - 1); `as` saturates regardless.
    (h as u32, w as u32)
}

/// Sides (multiples of `m`) brought to at most `max` pixels by whole multiples: the longer side
/// first, as it loses the smallest share of its length, then the shorter one if still needed
/// (each side stays at least `m`, so this holds `max` whenever `max >= m^2`).
pub fn shrink_to_max(h: f64, w: f64, max: f64, m: f64) -> (f64, f64) {
    let shrink = |side: f64, other: f64| {
        if side * other > max {
            floor_multiple(max / other, m)
        } else {
            side
        }
    };
    if w >= h {
        let w = shrink(w, h);
        (shrink(h, w), w)
    } else {
        let h = shrink(h, w);
        (h, shrink(w, h))
    }
}

fn nearest_multiple(x: f64, m: f64) -> f64 {
    ((x / m).round() * m).max(m)
}

fn floor_multiple(x: f64, m: f64) -> f64 {
    ((x / m).floor() * m).max(m)
}

fn ceil_multiple(x: f64, m: f64) -> f64 {
    ((x / m).ceil() * m).max(m)
}

/// Median of `values` (the mean of the two middle ones for an even count), selected in `keys`, a
/// reusable buffer left holding the values' [`ordered_key`]s in selection order.
pub fn median(values: impl IntoIterator<Item = f64>, keys: &mut Vec<i64>) -> f64 {
    keys.clear();
    keys.extend(values.into_iter().map(ordered_key));
    let n = keys.len();
    debug_assert!(n > 0);
    let mid = n / 2;
    let (lower, upper, _) = keys.select_nth_unstable(mid);
    let upper = from_key(*upper);
    if n % 2 == 1 {
        upper
    } else {
        let lower_max = lower
            .iter()
            .copied()
            .max()
            .map_or(f64::NEG_INFINITY, from_key);
        (lower_max + upper) / 2.0
    }
}

/// A float as an integer that orders as `f64::total_cmp` orders floats: medians select on these,
/// comparing integers rather than transforming both floats at every comparison (in wasm the
/// selections for medians were a fifth of Balanced's planning time at buffer 128). Its own inverse.
pub(crate) fn ordered_key(v: f64) -> i64 {
    let bits = v.to_bits() as i64;
    bits ^ ((((bits >> 63) as u64) >> 1) as i64)
}

/// The float whose [`ordered_key`] is `key`.
pub(crate) fn from_key(key: i64) -> f64 {
    f64::from_bits((key ^ ((((key >> 63) as u64) >> 1) as i64)) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sizing(multiple_of: u32, min: Option<f64>, max: Option<f64>) -> Sizing {
        Sizing {
            mode: SizeMode::Median,
            multiple_of,
            min_pixels: min,
            max_pixels: max,
        }
    }

    #[test]
    fn keys_order_floats_as_total_cmp_does() {
        let mut values = vec![
            0.0, -0.0, 1e-300, -1e-300, 2.5, -2.5, 1e300, -1e300, 0.1, -0.1,
        ];
        values.extend((0..200).map(|i| ((i * 7919) % 1000) as f64 / 37.0 - 13.0));
        for &a in &values {
            assert_eq!(from_key(ordered_key(a)).to_bits(), a.to_bits());
            for &b in &values {
                assert_eq!(ordered_key(a).cmp(&ordered_key(b)), a.total_cmp(&b));
            }
        }
    }

    #[test]
    fn median_odd_and_even() {
        let keys = &mut Vec::new();
        assert_eq!(median([3.0, 1.0, 2.0], keys), 2.0);
        assert_eq!(median([4.0, 1.0, 3.0, 2.0], keys), 2.5);
        assert_eq!(median([7.0], keys), 7.0);
        assert_eq!(median([-1.5, -0.0, -2.0, 3.0, -7.0], keys), -1.5);
    }

    #[test]
    fn single_image_keeps_its_shape() {
        let shapes = [Shape::new(0, 640.0, 480.0).unwrap()];
        let (h, w) = resize_size(
            &shapes,
            &[0],
            &Sizing::default(),
            &mut SizingScratch::default(),
        );
        assert_eq!((h, w), (480, 640));
    }

    #[test]
    fn medians_of_log_aspect_and_log_area() {
        // 100x100, 200x100, 400x100 (w x h): median aspect 2, median area 20000 -> 100 x 200.
        let shapes: Vec<Shape> = [(100.0, 100.0), (200.0, 100.0), (400.0, 100.0)]
            .iter()
            .map(|&(w, h)| Shape::new(0, w, h).unwrap())
            .collect();
        let (h, w) = resize_size(
            &shapes,
            &[0, 1, 2],
            &Sizing::default(),
            &mut SizingScratch::default(),
        );
        assert_eq!((h, w), (100, 200));
    }

    #[test]
    fn minimax_bounds_the_worst_image() {
        let shapes: Vec<Shape> = [
            (100.0, 100.0),
            (110.0, 100.0),
            (120.0, 100.0),
            (1000.0, 100.0),
        ]
        .iter()
        .map(|&(w, h)| Shape::new(0, w, h).unwrap())
        .collect();
        let members = [0, 1, 2, 3];
        let worst = |(h, w): (u32, u32)| {
            shapes
                .iter()
                .map(|s| {
                    ((crate::math::ln(s.width) - crate::math::ln(f64::from(w))).abs())
                        .max((crate::math::ln(s.height) - crate::math::ln(f64::from(h))).abs())
                })
                .fold(0.0, f64::max)
        };
        let mut scratch = SizingScratch::default();
        let median = resize_size(&shapes, &members, &Sizing::default(), &mut scratch);
        let minimax = resize_size(
            &shapes,
            &members,
            &Sizing {
                mode: SizeMode::Minimax,
                ..Sizing::default()
            },
            &mut scratch,
        );
        // Widths span 100..1000: the centre in ln width is sqrt(100 * 1000) = 316.
        assert_eq!(minimax, (100, 316));
        assert!(worst(minimax) < worst(median));
    }

    #[test]
    fn rounds_to_multiple_of() {
        assert_eq!(fit_size(480.0, 640.0, &sizing(28, None, None)), (476, 644));
        assert_eq!(fit_size(3.0, 5000.0, &sizing(28, None, None)), (28, 5012));
    }

    #[test]
    fn scales_into_pixel_bounds() {
        // 1000 x 2000 is 2M pixels; a 1M cap scales by 1/sqrt(2): 707 x 1414, then to 28s.
        let (h, w) = fit_size(1000.0, 2000.0, &sizing(28, None, Some(1_000_000.0)));
        assert_eq!((h, w), (700, 1428));
        assert!(h as f64 * w as f64 <= 1_000_000.0);
        let (h, w) = fit_size(10.0, 20.0, &sizing(28, Some(200_000.0), None));
        assert!(h as f64 * w as f64 >= 200_000.0);
        assert_eq!((h % 28, w % 28), (0, 0));
    }

    #[test]
    fn max_pixels_holds_in_every_mode_for_extreme_shapes() {
        let (max, m) = (1_003_520.0, 28);
        for mode in [SizeMode::Median, SizeMode::Minimax, SizeMode::SmartResize] {
            let sizing = Sizing {
                mode,
                multiple_of: m,
                min_pixels: Some(3136.0),
                max_pixels: Some(max),
            };
            // The most extreme shapes planning accepts (within MAX_IMAGE_PIXELS).
            for (w, h) in [
                (100_000.0, 1.0),
                (89_478_485.0, 1.0),
                (1.0, 89_478_485.0),
                (9_459.0, 9_459.0),
            ] {
                let shapes = [Shape::new(0, w, h).unwrap(), Shape::new(1, w, h).unwrap()];
                let (bh, bw) =
                    resize_size(&shapes, &[0, 1], &sizing, &mut SizingScratch::default());
                assert!(
                    f64::from(bh) * f64::from(bw) <= max,
                    "{mode:?} {w} x {h}: {bh} x {bw}"
                );
                assert_eq!((bh % m, bw % m), (0, 0), "{mode:?} {w} x {h}");
            }
        }
    }

    #[test]
    fn max_pixels_wins_over_min_pixels() {
        let (h, w) = fit_size(10.0, 10.0, &sizing(28, Some(1000.0), Some(1000.0)));
        assert!(h as f64 * w as f64 <= 1000.0);
        assert_eq!((h, w), (28, 28));
    }
}
