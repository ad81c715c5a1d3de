use crate::features::Shape;
use crate::options::SortKey;

/// One group ordered by the key, ascending; ties keep input order.
pub fn sorted_groups(shapes: &[Shape], key: SortKey, custom: &[f64]) -> Vec<Vec<u32>> {
    // ln aspect and ln area order exactly as aspect and area do, and are already computed.
    let keys: Vec<f64> = match key {
        SortKey::Aspect => shapes.iter().map(|s| s.ln_aspect).collect(),
        SortKey::Area => shapes.iter().map(|s| s.ln_area).collect(),
        SortKey::Custom => custom.to_vec(),
    };
    let mut order: Vec<u32> = (0..shapes.len() as u32).collect();
    order.sort_unstable_by(|&a, &b| {
        keys[a as usize]
            .total_cmp(&keys[b as usize])
            .then(a.cmp(&b))
    });
    vec![order]
}
