// The public API of `mm-tokenize-batcher/imaging`, identical in every entry.
export {
  toTensor,
  verifyImages,
  type VerifyOptions,
  batchTensors,
  toPatches,
  type TensorOptions,
  type BatchTensor,
  type PatchTensor,
  type PatchesOptions,
  type TensorFor,
  type TensorBatchInput,
  type TensorImage,
  type RawImage,
  type PatchGrid,
  type NormalizePreset,
} from './tensor.js';
export { toTfTensor, tfBatchTensors, resampleWeights, type TfTensorOptions, type TfBatchTensor, type TfTensor4D } from './tfjs.js';
export { initImagingSync, imagingMemory, imagingFreshInstances, tensorDefaults, IMAGING_MEMORY_LIMIT, type ImagingInput, type TensorDefaults } from './wasm.js';
export { BatcherError, type ErrorCode, type Reject } from '../shared/errors.js';
export { MAX_POOL_WORKERS, type ImagingPool, type ImagingPoolOptions, type MapOptions, type PoolWasmSource } from './pool.js';
