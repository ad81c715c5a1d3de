// The optional TF.js backend: decode in the imaging wasm module, then resize and normalise as
// TF.js ops (GPU with the webgl/webgpu backends), returning a `tf.Tensor4D`. `@tensorflow/tfjs-core`
// is an optional peer dependency, imported lazily here and nowhere else.
import { BatcherError, callWasm, type Reject } from '../shared/errors.js';
import {
  batchIndices,
  boxes,
  jsProblems,
  mergeRejects,
  packImages,
  packedArgs,
  wireTensorOptions,
  type PatchGrid,
  type WasmFailure,
  type TensorBatchInput,
  type TensorOptions,
} from './tensor.js';
import { imaging } from './wasm.js';

/** The parts of a TF.js tensor this API promises (see `@tensorflow/tfjs-core`'s `Tensor4D`). */
export interface TfTensor4D {
  readonly shape: number[];
  readonly dtype: string;
  data(): Promise<Float32Array | Int32Array | Uint8Array>;
  dataSync(): Float32Array | Int32Array | Uint8Array;
  dispose(): void;
}

export interface TfTensorOptions extends TensorOptions {
  /**
   * The `@tensorflow/tfjs-core` module (or `@tensorflow/tfjs`) to use. Default: imported lazily
   * from `@tensorflow/tfjs-core`. Pass yours when your bundle holds its own copy, so the backend you
   * registered is the one used.
   */
  tf?: unknown;
  /**
   * How TF.js resizes. `'op'` (default for bilinear with stretch or letterbox):
   * `tf.image.resizeBilinear` with half-pixel centres; it does not antialias when shrinking.
   * `'matrix'` (always used for bicubic, lanczos3 and crop mode, which TF.js ops lack): the
   * separable filter as two matrix products, antialiased like the wasm resizer.
   */
  resizeMethod?: 'op' | 'matrix';
}

export interface TfBatchTensor {
  /** `[n, 3, h, w]` float32 (normalised), or `[n, h, w, 3]` int32 holding 0..255 for dtype 'uint8'. Dispose it. */
  tensor: TfTensor4D;
  shape: [number, number, number, number];
  dtype: 'float32' | 'int32';
  layout: 'NCHW' | 'NHWC';
  indices: number[];
  contentBoxes: [number, number, number, number][];
  patchGrid?: PatchGrid;
  rejects: Reject[];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Tf = any;

const tfModule = '@tensorflow/tfjs-core';

async function loadTf(given: unknown): Promise<Tf> {
  if (given) return given;
  try {
    return await import(/* webpackIgnore: true */ /* @vite-ignore */ tfModule);
  } catch (cause) {
    throw new BatcherError(
      'NOT_INITIALIZED',
      'the TF.js backend needs @tensorflow/tfjs-core (an optional peer dependency): install it and register a backend, or pass `tf`',
      { cause },
    );
  }
}

const RADIUS = { bilinear: 1, bicubic: 2, lanczos3: 3 } as const;
type FilterName = keyof typeof RADIUS;

function kernel(filter: FilterName, x: number): number {
  const a = Math.abs(x);
  if (filter === 'bilinear') return a < 1 ? 1 - a : 0;
  if (filter === 'bicubic') {
    // Catmull-Rom (a = -0.5), as fast_image_resize's CatmullRom.
    if (a < 1) return 1.5 * a * a * a - 2.5 * a * a + 1;
    if (a < 2) return -0.5 * a * a * a + 2.5 * a * a - 4 * a + 2;
    return 0;
  }
  if (a >= 3) return 0;
  if (a < 1e-8) return 1;
  const px = Math.PI * x;
  return ((3 * Math.sin(px) * Math.sin(px / 3)) / (px * px));
}

/**
 * Resampling weights `[out, n]` for a source axis of `n` pixels, reading `[start, start + length)`
 * into `out` pixels: the convolution resampling of PIL and fast_image_resize (half-pixel centres,
 * kernel widened by the scale when shrinking).
 */
export function resampleWeights(n: number, start: number, length: number, out: number, filter: FilterName): Float32Array {
  const w = new Float32Array(out * n);
  const scale = length / out;
  const fs = Math.max(scale, 1);
  const support = RADIUS[filter] * fs;
  for (let i = 0; i < out; i++) {
    const center = start + (i + 0.5) * scale;
    const lo = Math.max(0, Math.trunc(center - support + 0.5));
    const hi = Math.min(n, Math.trunc(center + support + 0.5));
    let sum = 0;
    for (let j = lo; j < hi; j++) sum += kernel(filter, (j - center + 0.5) / fs);
    for (let j = lo; j < hi; j++) w[i * n + j] = sum === 0 ? 0 : kernel(filter, (j - center + 0.5) / fs) / sum;
  }
  return w;
}

/**
 * Like `toTensor`, with resize and normalise as TF.js ops: decoding runs in the imaging wasm
 * module (one crossing per batch), then each image is resized on the TF.js backend the user
 * registered (webgl/webgpu: GPU). Returns a `tf.Tensor4D` the caller must dispose.
 */
export async function toTfTensor(batch: TensorBatchInput, options: TfTensorOptions = {}): Promise<TfBatchTensor> {
  const { tf: given, resizeMethod, ...rest } = options ?? {};
  if (resizeMethod !== undefined && resizeMethod !== 'op' && resizeMethod !== 'matrix') {
    throw new BatcherError('INVALID_OPTION', `option \`resizeMethod\` must be 'op' or 'matrix', got ${String(resizeMethod)}`, { option: 'resizeMethod' });
  }
  const wire = wireTensorOptions(batch, rest);
  const tf = await loadTf(given);
  const packed = packImages(batch.images, batchIndices(batch));
  const jsRejects = jsProblems(packed, rest.skipInvalid === true);
  // The CPU part in one call: options read (defaults filled in), images decoded and laid out.
  const decoded = callWasm(() => imaging().decodeForResize(...packedArgs(packed), wire) as DecodedForResize);
  const { filter, mode } = decoded.spec;
  // TF.js has bilinear only, and an integer crop would shift the image: crop mode and the other
  // filters take the matrix route.
  const method = filter === 'bilinear' && mode !== 'crop' ? (resizeMethod ?? 'op') : 'matrix';
  const contentBoxes = boxes(decoded.layouts, decoded.kept.length, 8, 4);
  const tensor: TfTensor4D = tf.tidy(() => normaliseOnTf(tf, decoded, resizeOnTf(tf, decoded, method)));
  const uint8 = decoded.spec.dtype === 'uint8';
  const result: TfBatchTensor = {
    tensor,
    shape: tensor.shape as TfBatchTensor['shape'],
    dtype: uint8 ? 'int32' : 'float32',
    layout: uint8 ? 'NHWC' : 'NCHW',
    indices: Array.from(decoded.kept, (k) => packed.indices[k] as number),
    contentBoxes,
    rejects: mergeRejects(jsRejects, decoded.failures),
  };
  if (decoded.patchGrid) result.patchGrid = decoded.patchGrid;
  return result;
}

/** What `decodeForResize` returns: the options with defaults, RGB8 pixels laid end to end, and per
 * image 8 layout numbers (source crop, then content box). */
interface DecodedForResize {
  spec: { height: number; width: number; mode: string; filter: FilterName; dtype: string; mean: number[]; std: number[]; padValue: number[] };
  data: Uint8Array;
  widths: Uint32Array;
  heights: Uint32Array;
  layouts: Float64Array;
  kept: Uint32Array;
  patchGrid?: PatchGrid;
  failures: WasmFailure[];
}

/** Each decoded image resized into its content box and padded to the canvas: `[n, H, W, 3]` float32 (call inside `tf.tidy`). */
function resizeOnTf(tf: Tf, decoded: DecodedForResize, method: 'op' | 'matrix'): unknown {
  const { height: H, width: W, filter, padValue: pad } = decoded.spec;
  const images: unknown[] = [];
  let offset = 0;
  for (let k = 0; k < decoded.kept.length; k++) {
    const w = decoded.widths[k] as number;
    const h = decoded.heights[k] as number;
    const pixels = decoded.data.subarray(offset, offset + w * h * 3);
    offset += w * h * 3;
    const [cl, ct, cw, ch, bx, by, bw, bh] = Array.from(decoded.layouts.subarray(k * 8, k * 8 + 8)) as number[] as [number, number, number, number, number, number, number, number];
    const image = tf.tensor3d(Float32Array.from(pixels), [h, w, 3], 'float32');
    let resized;
    if (method === 'op') {
      // Whole image (stretch, letterbox), half-pixel-centre bilinear as the wasm resizer.
      resized = tf.image.resizeBilinear(image, [bh, bw], false, true);
    } else {
      const wy = tf.tensor2d(resampleWeights(h, ct, ch, bh, filter), [bh, h]);
      const wx = tf.tensor2d(resampleWeights(w, cl, cw, bw, filter), [bw, w]);
      const planes = tf.transpose(image, [2, 0, 1]); // [3, h, w]
      const rows = tf.matMul(tf.tile(tf.expandDims(wy, 0), [3, 1, 1]), planes); // [3, bh, w]
      const both = tf.matMul(rows, tf.tile(tf.expandDims(wx, 0), [3, 1, 1]), false, true); // [3, bh, bw]
      resized = tf.transpose(both, [1, 2, 0]);
    }
    if (bw !== W || bh !== H) {
      const color = tf.tensor1d(pad, 'float32');
      resized = tf.add(tf.pad(tf.sub(resized, color), [[by, H - by - bh], [bx, W - bx - bw], [0, 0]]), color);
    }
    images.push(resized);
  }
  return images.length > 0 ? tf.stack(images) : tf.zeros([0, H, W, 3]);
}

/** uint8: rounded int32 NHWC; float32: `(pixel / 255 - mean) / std`, NCHW. */
function normaliseOnTf(tf: Tf, decoded: DecodedForResize, stacked: unknown): TfTensor4D {
  const { dtype, mean, std } = decoded.spec;
  if (dtype === 'uint8') return tf.cast(tf.clipByValue(tf.round(stacked), 0, 255), 'int32');
  const scale = tf.tensor1d(std.map((s) => 1 / (255 * s)), 'float32');
  const bias = tf.tensor1d(mean.map((m, c) => -m / (std[c] as number)), 'float32');
  return tf.transpose(tf.add(tf.mul(stacked, scale), bias), [0, 3, 1, 2]);
}

/** `toTfTensor` for many batches, one at a time (memory bounded by one batch plus what you keep). */
export async function* tfBatchTensors(batches: Iterable<TensorBatchInput>, options: TfTensorOptions = {}): AsyncGenerator<TfBatchTensor, void, undefined> {
  for (const batch of batches) yield await toTfTensor(batch, options);
}
