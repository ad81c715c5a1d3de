//! The strategies. Each orders a buffer's valid samples into groups of similar shape;
//! `plan` then cuts every group into batches of at most `batchSize`.

mod balanced;
mod clustered;
mod refine;
mod simple;
mod sorted;

pub use balanced::balanced_groups;
pub use clustered::cluster_groups;
pub use simple::simple_groups;
pub use sorted::sorted_groups;

use crate::features::Shape;

/// Sort positions by shape: ln aspect, then ln area, then position (a total, stable order).
pub(crate) fn sort_by_shape(positions: &mut [u32], shapes: &[Shape]) {
    positions.sort_unstable_by(|&a, &b| {
        let (sa, sb) = (&shapes[a as usize], &shapes[b as usize]);
        sa.ln_aspect
            .total_cmp(&sb.ln_aspect)
            .then(sa.ln_area.total_cmp(&sb.ln_area))
            .then(a.cmp(&b))
    });
}
