//! SPEC metrics for any plan: distortion `d`, scale mismatch `m`, resize waste `r = d * m`
//! (p50, p95, max over images), fill, and mean per-batch aspect spread.

use serde::Serialize;

use crate::error::PlanError;
use crate::math::{exp, ln};
use crate::options::{show, OptionMap, OptionReader, MAX_COUNT};
use crate::plan::Plan;
use crate::samples::{Checked, Samples};
use crate::tokens::TokenBudget;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    pub p50: f64,
    pub p95: f64,
    pub max: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Metrics {
    pub images: usize,
    pub batches: usize,
    /// `images / (batches * batchSize)`.
    pub fill: f64,
    /// `d`: how far each image's aspect ratio is from its batch's.
    pub distortion: Summary,
    /// `m`: upsampling or downsampling factor of each image's area.
    pub scale_mismatch: Summary,
    /// `r = d * m`.
    pub resize_waste: Summary,
    /// Mean over batches of the population variance of `ln(w / h)` within the batch.
    pub aspect_spread: f64,
    /// With a token budget: tokens the batches use over `batches * maxTokens`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_fill: Option<f64>,
}

/// `evaluate`'s options: `batchSize` (slots per batch, for `fill`) and a token budget (for
/// `tokenFill`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct EvaluateOptions {
    pub batch_size: Option<usize>,
    pub budget: Option<TokenBudget>,
}

impl EvaluateOptions {
    pub fn parse(entries: &OptionMap) -> Result<Self, PlanError> {
        let options = OptionReader::new(
            entries,
            &[&["batchSize", "maxTokens", "patchSize"]],
            "of evaluate",
        )?;
        Ok(EvaluateOptions {
            batch_size: options
                .integer("batchSize", 1.0, MAX_COUNT)?
                .map(|b| b as usize),
            budget: TokenBudget::read(&options, false)?,
        })
    }
}

/// Batch sizes as a binding received them (JS numbers), checked: whole numbers from 1 to 2^32 - 1.
pub fn read_resize_sizes(heights: &[f64], widths: &[f64]) -> Result<Vec<(u32, u32)>, PlanError> {
    if heights.len() != widths.len() {
        return Err(PlanError::Input {
            message: "resize heights and widths differ in length".into(),
        });
    }
    let side =
        |v: f64| (v.fract() == 0.0 && (1.0..=4_294_967_295.0).contains(&v)).then_some(v as u32);
    heights
        .iter()
        .zip(widths)
        .enumerate()
        .map(|(b, (&h, &w))| match (side(h), side(w)) {
            (Some(h), Some(w)) => Ok((h, w)),
            _ => Err(PlanError::Input {
                message: format!(
                    "batch {b}: resizeSize must be two whole numbers >= 1, got [{}, {}]",
                    show(h),
                    show(w)
                ),
            }),
        })
        .collect()
}

/// Scores the batches `plan` describes (its `order`, `offsets` and `sizes`; rejects are ignored)
/// over the images in `samples`, indexed by `order`. `batch_size` defaults to the largest batch.
/// An empty plan scores 1 everywhere: nothing was resized, no slot was left empty.
pub fn evaluate(
    samples: Samples<'_>,
    plan: &Plan,
    batch_size: Option<usize>,
    budget: Option<&TokenBudget>,
) -> Result<Metrics, PlanError> {
    let Checked {
        shapes, rejects, ..
    } = samples.check()?;
    if let Some(first) = rejects.into_iter().next() {
        return Err(PlanError::Sample(first));
    }
    check_layout(plan, shapes.len())?;

    let batches = plan.batch_count();
    let n = plan.order.len();
    let mut d = Vec::with_capacity(n);
    let mut m = Vec::with_capacity(n);
    let mut r = Vec::with_capacity(n);
    let mut spread_sum = 0.0;
    let mut largest = 0;
    for b in 0..batches {
        let (height, width) = plan.sizes[b];
        let (height, width) = (f64::from(height), f64::from(width));
        let ln_target_aspect = ln(width) - ln(height);
        let ln_target_area = ln(width) + ln(height);
        let members = plan.batch(b);
        largest = largest.max(members.len());
        let mut sum = 0.0;
        let mut sum_sq = 0.0;
        for &i in members {
            let shape = &shapes[i as usize];
            // In logs, max(x, 1/x) is |ln x|: exact and symmetric.
            let di = exp((shape.ln_aspect - ln_target_aspect).abs());
            let mi = exp((ln_target_area - shape.ln_area).abs());
            d.push(di);
            m.push(mi);
            r.push(di * mi);
            sum += shape.ln_aspect;
            sum_sq += shape.ln_aspect * shape.ln_aspect;
        }
        let count = members.len() as f64;
        if count > 0.0 {
            let mean = sum / count;
            spread_sum += (sum_sq / count - mean * mean).max(0.0);
        }
    }
    let batch_size = batch_size.unwrap_or(largest).max(1);
    Ok(Metrics {
        images: n,
        batches,
        fill: if batches == 0 {
            1.0
        } else {
            n as f64 / (batches * batch_size) as f64
        },
        distortion: summarise(&mut d),
        scale_mismatch: summarise(&mut m),
        resize_waste: summarise(&mut r),
        aspect_spread: if batches == 0 {
            0.0
        } else {
            spread_sum / batches as f64
        },
        token_fill: budget.map(|budget| {
            if batches == 0 {
                return 1.0;
            }
            let used: u64 = (0..batches)
                .map(|b| plan.batch(b).len() as u64 * budget.tokens(plan.sizes[b]))
                .sum();
            used as f64 / (batches as f64 * budget.max_tokens as f64)
        }),
    })
}

fn check_layout(plan: &Plan, sample_count: usize) -> Result<(), PlanError> {
    let bad = |message: String| Err(PlanError::Input { message });
    let batches = plan.sizes.len();
    if plan.offsets.len() != batches + 1 || plan.offsets.first() != Some(&0) {
        return bad(format!(
            "{} offsets for {} batches; expected a leading 0 and one per batch",
            plan.offsets.len(),
            batches
        ));
    }
    if plan.offsets.windows(2).any(|w| w[0] > w[1])
        || plan.offsets[batches] as usize != plan.order.len()
    {
        return bad("batch offsets must rise and end at the number of images".into());
    }
    if let Some(&i) = plan.order.iter().find(|&&i| i as usize >= sample_count) {
        return bad(format!(
            "image index {i} is outside the {sample_count} images given"
        ));
    }
    if let Some(b) = plan.sizes.iter().position(|&(h, w)| h == 0 || w == 0) {
        return bad(format!("batch {b} has a resize size of zero"));
    }
    Ok(())
}

/// p50, p95 (linear interpolation between closest ranks, as numpy's default) and max.
fn summarise(values: &mut [f64]) -> Summary {
    if values.is_empty() {
        return Summary {
            p50: 1.0,
            p95: 1.0,
            max: 1.0,
        };
    }
    values.sort_unstable_by(f64::total_cmp);
    Summary {
        p50: percentile(values, 0.5),
        p95: percentile(values, 0.95),
        max: values[values.len() - 1],
    }
}

/// `sorted` must be sorted and non-empty.
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan_of(order: Vec<u32>, offsets: Vec<u32>, sizes: Vec<(u32, u32)>) -> Plan {
        Plan {
            order,
            offsets,
            sizes,
            rejects: Vec::new(),
        }
    }

    #[test]
    fn hand_computed_single_batch() {
        // Images (w x h): 100x100 and 400x100; target 100 x 200 (h x w), R = 2.
        // d: max(1/2, 2) = 2 and max(4/2, 2/4) = 2. s = 20000 / 10000 = 2 and 20000 / 40000:
        // m = 2 and 2. r = 4 and 4. Spread: ln aspects 0 and ln 4, variance (ln 4 / 2)^2.
        let widths = [100.0, 400.0];
        let heights = [100.0, 100.0];
        let plan = plan_of(vec![0, 1], vec![0, 2], vec![(100, 200)]);
        let m = evaluate(Samples::new(&widths, &heights), &plan, Some(4), None).unwrap();
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        assert!(close(m.distortion.max, 2.0) && close(m.distortion.p50, 2.0));
        assert!(close(m.scale_mismatch.p95, 2.0));
        assert!(close(m.resize_waste.max, 4.0));
        assert!(close(m.fill, 0.5));
        assert!(close(m.aspect_spread, (4f64.ln() / 2.0).powi(2)));
    }

    #[test]
    fn native_shape_scores_one() {
        let plan = plan_of(vec![0], vec![0, 1], vec![(480, 640)]);
        let m = evaluate(Samples::new(&[640.0], &[480.0]), &plan, None, None).unwrap();
        assert_eq!(
            (m.resize_waste.max, m.fill, m.aspect_spread),
            (1.0, 1.0, 0.0)
        );
    }

    #[test]
    fn percentiles_interpolate_like_numpy() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert!((percentile(&v, 0.5) - 5.5).abs() < 1e-12);
        assert!((percentile(&v, 0.95) - 9.55).abs() < 1e-12);
    }

    #[test]
    fn bad_layouts_are_errors() {
        let w = [10.0, 10.0];
        let h = [10.0, 10.0];
        for plan in [
            plan_of(vec![0, 1], vec![0, 1], vec![(10, 10)]),
            plan_of(vec![0, 5], vec![0, 2], vec![(10, 10)]),
            plan_of(vec![0, 1], vec![0, 2], vec![(0, 10)]),
            plan_of(vec![0, 1], vec![1, 2], vec![(10, 10)]),
        ] {
            assert!(matches!(
                evaluate(Samples::new(&w, &h), &plan, None, None),
                Err(PlanError::Input { .. })
            ));
        }
    }
}
