//! # mm-batcher-core
//!
//! Groups images of many sizes into batches of similar shape and gives each batch the
//! `(height, width)` that wastes least, as the product spec defines. Pure Rust: the wasm crate
//! and any other binding only move arrays in and out.
//!
//! ```
//! use mm_batcher_core::{plan, OptionMap, OptionValue, PlanOptions, Samples, StrategyKind};
//! let mut options = OptionMap::new();
//! options.insert("batchSize".into(), OptionValue::Number(2.0));
//! let options = PlanOptions::parse(StrategyKind::Sorted, &options).unwrap();
//! let widths = [640.0, 480.0, 1024.0];
//! let heights = [480.0, 640.0, 768.0];
//! let p = plan(&options, Samples::new(&widths, &heights)).unwrap();
//! assert_eq!(p.batch(0), &[1, 0]); // portrait first: sorted by aspect ratio
//! ```

pub mod buffer;
pub mod carry;
pub mod defaults;
pub mod error;
pub mod loader;
mod math;
pub mod max_shapes;
pub mod metrics;
pub mod normalize;
pub mod options;
mod order;
pub mod packing;
pub mod plan;
pub mod presets;
pub mod ranks;
pub mod samples;
mod search;
pub mod shape;
pub mod shuffle;
pub mod sizing;
pub mod smart_resize;
pub mod sources;
pub mod strategies;
pub mod synthetic;
pub mod tokens;

pub use buffer::{plan_buffer, BufferOptions, BufferPlan, BufferSamples};
pub use error::{ErrorCode, PlanError, Reject};
pub use metrics::{evaluate, Metrics, Summary};
/// Header reading (sizes from encoded bytes) is its own crate; planning re-exports it.
pub use mm_batcher_formats as formats;
pub use mm_batcher_formats::{read_header, HeaderError, HeaderInfo, ImageFormat, Limits};
pub use options::{OptionMap, OptionReader, OptionValue};
pub use plan::{plan, Plan, PlanOptions};
pub use samples::Samples;
pub use shape::Shape;
pub use sizing::{SizeMode, Sizing};
pub use strategies::{BalancedOptions, SortKey, Strategy, StrategyKind};
pub use tokens::TokenBudget;
