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
  type ShuffleOptions,
  type TextOf,
  type SortedBatcherOptions,
  type ClusteredBatcherOptions,
  type BalancedBatcherOptions,
  type SortKey,
  type StrategyName,
} from './batchers.js';
export { strategies, strategyNames, createBatcher, type AnyBatcher, type StrategyOptionsByName } from './strategies.js';
export { evaluate, type Metrics, type Summary, type EvaluatedBatch, type EvaluateOptions } from './evaluate.js';
export { BatcherError, ERROR_CODES, JS_ONLY_ERROR_CODES, IMAGE_FORMATS, describeReject, type ErrorCode, type ImageFormatName, type Reject, type RejectFields } from '../shared/errors.js';
export { registeredStrategies, rustErrorCodes, registeredFormats, optionDefaults, type RegisteredStrategy } from './wasm.js';
export type { OptionDefault } from '../shared/defaults.js';
export { TokenPacker, type TokenPackerOptions, type Pack, type Packs } from './packing.js';
export type { ImageLike } from './image-sizes.js';
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
export { batchForRank, type RankOptions, type RankBatch, type RankBatches, type Leftover } from './ranks.js';
export {
  presets,
  presetNames,
  preset,
  presetOptions,
  presetFromConfig,
  smartResize,
  type ModelPreset,
  type PresetFields,
  type Preset,
  type PresetFromConfigOptions,
  type PresetName,
  type SmartResizeOptions,
} from './presets.js';
export { imageSizes, type SizeResult as ImageSizeResult } from './image-sizes.js';
export { headerPrefixBytes } from '../headers/ladder.js';
export {
  imageSizesFromUrls,
  type UrlSizesOptions,
  type UrlSize,
  type UrlReject,
  type UrlSizes,
  type FetchLike,
  defaultAllowRedirect,
  type AllowRedirect,
} from '../headers/urls.js';
