import { wireOptions } from './batchers.js';
import { BatcherError } from '../shared/errors.js';
import { callWasmOnBuffer, collectSizes } from './image-sizes.js';
import { wasm } from './wasm.js';

/** p50 and p95 interpolate linearly between ranks (numpy's default). */
export interface Summary {
  p50: number;
  p95: number;
  max: number;
}

/** The SPEC metrics of a list of batches. Every ratio is >= 1; 1 means no waste. */
export interface Metrics {
  images: number;
  batches: number;
  /** `images / (batches * batchSize)`: share of accelerator slots holding an image. */
  fill: number;
  /** `d`: `max(rho / R, R / rho)`, image aspect against batch aspect (the padding share when letterboxed). */
  distortion: Summary;
  /** `m`: `max(s, 1 / s)` with `s` the batch area over the image area (upsampling or detail lost). */
  scaleMismatch: Summary;
  /** `r = d * m`: the headline quality figure. */
  resizeWaste: Summary;
  /** Mean over batches of the variance of `ln(width / height)` within a batch. */
  aspectSpread: number;
  /** With `maxTokens` and `patchSize`: tokens used over `batches * maxTokens`. */
  tokenFill?: number;
}

/** What `evaluate` needs of a batch: its images and the size they are resized to. */
export interface EvaluatedBatch {
  images: readonly unknown[];
  resizeSize: readonly [height: number, width: number];
}

export interface EvaluateOptions {
  /** Slots per batch, for `fill`. Default: the largest batch's length. */
  batchSize?: number;
  /** Token budget per batch, for `tokenFill` (needs `patchSize`). */
  maxTokens?: number;
  patchSize?: number;
}

/** Images of `evaluate` are named by their position across all the batches given. */
const imageSubject = (index: number) => `image ${index}`;

/** Scores batches (from any batcher, or built by hand) with the SPEC metrics. One wasm call. */
export function evaluate(batches: readonly EvaluatedBatch[], options: EvaluateOptions = {}): Metrics {
  if (!Array.isArray(batches) || !batches.every((b) => typeof b === 'object' && b !== null && Array.isArray(b.images) && Array.isArray(b.resizeSize))) {
    throw new BatcherError('INVALID_INPUT', 'evaluate takes an array of batches, each with `images` and `resizeSize` (what a batcher returns)');
  }
  const images = batches.flatMap((b) => b.images);
  const sizes = collectSizes(images);
  const offsets = new Uint32Array(batches.length + 1);
  batches.forEach((b, k) => (offsets[k + 1] = (offsets[k] as number) + b.images.length));
  const sizeHeights = Float64Array.from(batches, (b) => Number(b.resizeSize[0]));
  const sizeWidths = Float64Array.from(batches, (b) => Number(b.resizeSize[1]));
  return callWasmOnBuffer(sizes.problems, () => wasm().evaluate(sizes.sides, offsets, sizeHeights, sizeWidths, wireOptions(options ?? {})) as Metrics, imageSubject);
}
