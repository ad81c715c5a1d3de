//! The local search Balanced and Clustered share, run over the batches a strategy has made: the
//! refinement (`refine.rs`) trades samples between neighbouring batches to lower their summed
//! cost, and the polish (`polish/`) dissolves partial batches and rehomes the worst-served
//! samples where neither the p95 nor the max of `r` rises. What both stand on: the plane of
//! (ln aspect, ln area), where a sample's `ln r` is an L1 distance (`geometry.rs`); the (p95, max)
//! of `r` plans are judged by (`score.rs`), read under trial changes from a sorted upper tail
//! (`upper_tail.rs`); and the grid that finds the batches nearest a point (`nearest_sizes.rs`).

pub(crate) mod geometry;
mod nearest_sizes;
pub(crate) mod polish;
pub(crate) mod refine;
pub(crate) mod score;
mod upper_tail;
