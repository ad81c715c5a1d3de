import { BatcherError, callWasm } from './errors.js';
import { readImageSizes } from './image-size.js';
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

/** Scores batches (from any batcher, or built by hand) with the SPEC metrics. */
export function evaluate(batches: readonly EvaluatedBatch[], options: EvaluateOptions = {}): Metrics {
  const count = batches.reduce((sum, b) => sum + b.images.length, 0);
  const widths = new Float64Array(count);
  const heights = new Float64Array(count);
  const offsets = new Uint32Array(batches.length + 1);
  const sizeHeights = new Uint32Array(batches.length);
  const sizeWidths = new Uint32Array(batches.length);
  // Encoded images are read in one wasm call for all batches.
  const { sizes } = readImageSizes(batches.flatMap((b) => b.images));
  let at = 0;
  batches.forEach((batch, b) => {
    for (const position of batch.images.keys()) {
      const size = sizes[at] as (typeof sizes)[number];
      if ('code' in size) {
        throw new BatcherError(size.code, `batch ${b}, image ${position}: ${size.message}`, { index: at });
      }
      widths[at] = size.width;
      heights[at] = size.height;
      at++;
    }
    offsets[b + 1] = at;
    const [h, w] = batch.resizeSize;
    if (![h, w].every((side) => Number.isInteger(side) && side >= 1 && side <= 0xffffffff)) {
      throw new BatcherError('INVALID_INPUT', `batch ${b}: resizeSize must be two whole numbers >= 1, got [${h}, ${w}]`);
    }
    sizeHeights[b] = h;
    sizeWidths[b] = w;
  });
  const order = Uint32Array.from({ length: count }, (_, i) => i);
  const batchSize = options.batchSize;
  if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= 0xffffffff)) {
    throw new BatcherError('INVALID_OPTION', `option \`batchSize\` must be a whole number >= 1, got ${batchSize}`, { option: 'batchSize' });
  }
  const { maxTokens, patchSize } = options;
  return callWasm(
    () => wasm().evaluate(widths, heights, order, offsets, sizeHeights, sizeWidths, batchSize, maxTokens, patchSize) as Metrics,
  );
}
