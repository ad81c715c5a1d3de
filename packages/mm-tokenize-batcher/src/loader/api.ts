// The public types of `mm-tokenize-batcher/loader`, identical in every entry (each entry adds its
// own `createLoader`, bound to how that runtime reads files and starts workers).
export type {
  Loader,
  LoaderOptions,
  LoaderBatch,
  LoaderState,
  LoaderProgress,
  LoaderSummary,
  LoaderReject,
  LoaderRecord,
  LoaderSources,
  BadImagePolicy,
} from './loader.js';
export { BatcherError, type ErrorCode } from '../shared/errors.js';
