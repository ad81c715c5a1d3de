// The public API of `mm-tokenize-batcher/imaging`, identical in every entry.
export {
  toTensor,
  batchTensors,
  NORMALIZE_PRESETS,
  DEFAULT_MAX_INPUT_PIXELS,
  type TensorOptions,
  type BatchTensor,
  type TensorBatchInput,
  type TensorImage,
  type RawImage,
  type PatchGrid,
  type NormalizePreset,
} from './imaging.js';
export { toTfTensor, tfBatchTensors, resampleWeights, type TfTensorOptions, type TfBatchTensor, type TfTensor4D } from './imaging-tfjs.js';
export { initImagingSync, imagingMemory, type ImagingInput } from './imaging-wasm.js';
export { BatcherError, type ErrorCode, type Reject } from './errors.js';
