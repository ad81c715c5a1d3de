// The public API, identical in every entry.
export {
  SimpleBatcher,
  SortedBatcher,
  ClusteredBatcher,
  BalancedBatcher,
  type Sample,
  type Batch,
  type Batches,
  type BatcherOptions,
  type SortedBatcherOptions,
  type ClusteredBatcherOptions,
  type BalancedBatcherOptions,
  type SortKey,
} from './batchers.js';
export { evaluate, type Metrics, type Summary, type EvaluatedBatch, type EvaluateOptions } from './evaluate.js';
export { BatcherError, type ErrorCode, type Reject } from './errors.js';
export { TokenPacker, type TokenPackerOptions, type Pack, type Packs } from './packing.js';
export type { ImageLike } from './image-size.js';
export { seedBenchmarkSamples } from './synthetic.js';
export { initSync, type WasmSource, type WasmInput } from './wasm.js';
export {
  batchStream,
  toReadableStream,
  BatchStream,
  type BatchStreamSource,
  type StreamOptions,
  type StrategyOptions,
  type StreamBatch,
  type StreamReject,
  type StreamStats,
} from './stream.js';
export { batchForRank, type RankOptions, type RankBatch, type RankBatches, type Leftover, type AnyBatcher } from './ranks.js';
export { presets, presetNames, preset, presetOptions, smartResize, type Preset, type PresetName, type SmartResizeOptions } from './presets.js';
export { imageSizes, type ImageSizeResult } from './sizes.js';
