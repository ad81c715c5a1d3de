use crate::error::PlanError;
use crate::options::OptionReader;
use crate::shape::Shape;

use super::total_order;

pub(super) const OPTIONS: &[&str] = &["key"];

/// What the sorted strategy orders by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// `width / height`.
    Aspect,
    /// `width * height`.
    Area,
    /// One number per sample, given by the caller (a key function in TypeScript).
    Custom,
}

/// `key`: `"aspect"` (default), `"area"`, or `"custom"` (bindings send it for a key function).
pub(super) fn read_key(options: &OptionReader) -> Result<SortKey, PlanError> {
    let key = options
        .choice(
            "key",
            &[
                ("aspect", SortKey::Aspect),
                ("area", SortKey::Area),
                ("custom", SortKey::Custom),
            ],
        )
        .map_err(|_| {
            PlanError::option(
                "key",
                "must be \"aspect\", \"area\" or a function returning a number",
            )
        })?;
    Ok(key.unwrap_or(SortKey::Aspect))
}

/// One group ordered by the key, ascending; ties keep input order.
pub fn sorted_groups(shapes: &[Shape], key: SortKey, custom: &[f64]) -> Vec<Vec<u32>> {
    // ln aspect and ln area order exactly as aspect and area do, and are already computed.
    let keys: Vec<f64> = match key {
        SortKey::Aspect => shapes.iter().map(|s| s.ln_aspect).collect(),
        SortKey::Area => shapes.iter().map(|s| s.ln_area).collect(),
        // One key per shape (the planner passes exactly that many); a missing one sorts last.
        SortKey::Custom => (0..shapes.len())
            .map(|i| custom.get(i).copied().unwrap_or(f64::NAN))
            .collect(),
    };
    // Sorted as integers (key bits, then position): the same order as `total_cmp` then input
    // order, at a fraction of the cost of comparing through the key array in wasm.
    let mut keyed: Vec<(u64, u32)> = keys
        .iter()
        .enumerate()
        .map(|(i, &k)| (total_order(k), i as u32))
        .collect();
    keyed.sort_unstable();
    vec![keyed.into_iter().map(|(_, i)| i).collect()]
}
