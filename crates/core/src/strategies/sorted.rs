use crate::error::PlanError;
use crate::options::OptionReader;
use crate::shape::Shape;

use crate::order::{sort_by_keys, total_order};

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
    // ln aspect and ln area order exactly as aspect and area do, and are already computed. A
    // custom key per shape (the planner passes exactly that many; a missing one sorts last).
    let key_of = |i: u32| match key {
        SortKey::Aspect => shapes[i as usize].ln_aspect,
        SortKey::Area => shapes[i as usize].ln_area,
        SortKey::Custom => custom.get(i as usize).copied().unwrap_or(f64::NAN),
    };
    let mut order: Vec<u32> = (0..shapes.len() as u32).collect();
    sort_by_keys(&mut order, |i| (total_order(key_of(i)), u64::from(i), 0));
    vec![order]
}
