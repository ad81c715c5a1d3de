// The optional TF.js backend: decode in the imaging wasm module (or, in browsers, with the
// browser's own decoders), then resize and normalise as TF.js ops (GPU with the webgl/webgpu
// backends), returning a `tf.Tensor4D`. `@tensorflow/tfjs-core` is an optional peer dependency,
// imported lazily here and nowhere else.
import { BatcherError, callWasm, rejectError, sampleSubject, type ImageFormatName, type Reject } from '../shared/errors.js';
import {
  batchIndices,
  boxes,
  jsProblems,
  mergeRejects,
  packImages,
  packedArgs,
  type PackedImages,
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
  /**
   * Who decodes encoded images. `'wasm'` (default): the imaging wasm module, in every runtime.
   * `'browser'` (browsers and their workers): `createImageBitmap` (EXIF orientation applied, no
   * colour conversion), uploaded with `tf.browser.fromPixels`; each file first passes the wasm
   * module's checks that need no decoding (header, size limit, file length, JPEG framing and scan
   * lengths, GIF frames, BMP RLE), and the bitmap must have the size they found. See docs/tfjs.md
   * for what it refuses and how its pixels differ.
   */
  decoder?: 'wasm' | 'browser';
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
  const { tf: given, resizeMethod, decoder = 'wasm', ...rest } = options ?? {};
  if (resizeMethod !== undefined && resizeMethod !== 'op' && resizeMethod !== 'matrix') {
    throw new BatcherError('INVALID_OPTION', `option \`resizeMethod\` must be 'op' or 'matrix', got ${String(resizeMethod)}`, { option: 'resizeMethod' });
  }
  if (decoder !== 'wasm' && decoder !== 'browser') {
    throw new BatcherError('INVALID_OPTION', `option \`decoder\` must be 'wasm' or 'browser', got ${String(decoder)}`, { option: 'decoder' });
  }
  if (decoder === 'browser' && typeof createImageBitmap !== 'function') {
    throw new BatcherError('UNSUPPORTED_RUNTIME', "decoder: 'browser' needs createImageBitmap (browsers and their workers); use decoder: 'wasm' here");
  }
  const wire = wireTensorOptions(batch, rest);
  const tf = await loadTf(given);
  const packed = packImages(batch.images, batchIndices(batch));
  const skip = rest.skipInvalid === true;
  const jsRejects = jsProblems(packed, skip);
  // The CPU part in one call: options read (defaults filled in), images decoded (or, for the
  // browser's decoder, checked) and laid out.
  const decoded =
    decoder === 'browser'
      ? await browserDecoded(packed, callWasm(() => imaging().checkForBrowserDecode(...packedArgs(packed), wire) as DecodedForResize), skip)
      : wasmDecoded(callWasm(() => imaging().decodeForResize(...packedArgs(packed), wire) as DecodedForResize));
  try {
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
  } finally {
    decoded.release();
  }
}

/** What `decodeForResize` returns: the options with defaults, RGB8 pixels laid end to end, and per
 * image 8 layout numbers (source crop, then content box). */
interface DecodedForResize {
  spec: { height: number; width: number; mode: string; filter: FilterName; dtype: string; mean: number[]; std: number[]; padValue: number[] };
  data: Uint8Array;
  widths: Uint32Array;
  heights: Uint32Array;
  formats: (ImageFormatName | null)[];
  layouts: Float64Array;
  kept: Uint32Array;
  patchGrid?: PatchGrid;
  failures: WasmFailure[];
}

/** A batch ready for TF.js: layouts, and each kept image's pixels as a TF.js tensor on demand. */
interface Decoded extends DecodedForResize {
  /** Image `k`'s pixels, `[h, w, 3]` float32 0..255 (call inside `tf.tidy`). */
  pixels(tf: Tf, k: number): unknown;
  /** Frees what the decoder holds (bitmaps). */
  release(): void;
}

/** The wasm module's pixels, laid end to end in `data`. */
function wasmDecoded(decoded: DecodedForResize): Decoded {
  const offsets = [0];
  for (let k = 0; k < decoded.kept.length; k++) offsets.push((offsets[k] as number) + (decoded.widths[k] as number) * (decoded.heights[k] as number) * 3);
  return {
    ...decoded,
    pixels: (tf, k) => tf.tensor3d(Float32Array.from(decoded.data.subarray(offsets[k], offsets[k + 1])), [decoded.heights[k], decoded.widths[k], 3], 'float32'),
    release() {},
  };
}

/** What `tf.browser.fromPixels` takes: a bitmap the browser decoded, or raw RGBA pixels. */
type BrowserPixels = ImageBitmap | { data: Uint8Array; width: number; height: number };

/**
 * The browser's decoders on a checked batch (`checkForBrowserDecode`: sizes, layouts, and the
 * failures the wasm checks found). Every encoded file is decoded with `createImageBitmap`, all at
 * once (browsers decode off the main thread, in parallel); a file the browser refuses, or decodes
 * to another size than its header states, fails as `INVALID_IMAGE`. Raw RGBA goes as it is.
 */
async function browserDecoded(packed: PackedImages, checked: DecodedForResize, skip: boolean): Promise<Decoded> {
  const settled = await Promise.allSettled(
    Array.from(checked.kept, async (position, k): Promise<BrowserPixels> => {
      const [start, end] = [packed.offsets[position] as number, packed.offsets[position + 1] as number];
      const bytes = packed.bytes.subarray(start, end);
      if (packed.kinds[position] === 1) return { data: bytes, width: packed.widths[position] as number, height: packed.heights[position] as number };
      // EXIF orientation as the wasm decoder applies it; no colour management (the wasm path has none).
      const bitmap = await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>]), { imageOrientation: 'from-image', colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
      if (bitmap.width !== checked.widths[k] || bitmap.height !== checked.heights[k]) {
        bitmap.close();
        throw new Error(`the browser decoded ${bitmap.width} x ${bitmap.height} pixels but the header states ${checked.widths[k]} x ${checked.heights[k]}`);
      }
      return bitmap;
    }),
  );
  const sources: BrowserPixels[] = [];
  const keep: number[] = [];
  const failures = [...checked.failures];
  settled.forEach((s, k) => {
    if (s.status === 'fulfilled') {
      sources.push(s.value);
      keep.push(k);
      return;
    }
    const position = checked.kept[k] as number;
    const format = checked.formats[k];
    const cause = s.reason instanceof Error ? s.reason.message : String(s.reason);
    failures.push({ position, index: packed.indices[position] as number, code: 'INVALID_IMAGE', ...(format ? { format } : {}), detail: `the browser's decoder: ${cause}` });
  });
  const release = () => sources.forEach((s) => 'close' in s && s.close());
  failures.sort((a, b) => a.position - b.position);
  // Without skipInvalid the wasm checks threw on their first failure, so any failure is the browser's.
  if (!skip && failures.length > 0) {
    release();
    const { position: _position, ...first } = failures[0] as WasmFailure;
    throw rejectError(first, sampleSubject(first.index));
  }
  const pick = (a: Uint32Array) => Uint32Array.from(keep, (k) => a[k] as number);
  return {
    ...checked,
    widths: pick(checked.widths),
    heights: pick(checked.heights),
    formats: keep.map((k) => checked.formats[k] ?? null),
    layouts: Float64Array.from(keep.flatMap((k) => Array.from(checked.layouts.subarray(k * 8, k * 8 + 8)))),
    kept: pick(checked.kept),
    failures,
    pixels: (tf, k) => tf.cast(tf.browser.fromPixels(sources[k], 3), 'float32'),
    release,
  };
}

/** Each decoded image resized into its content box and padded to the canvas: `[n, H, W, 3]` float32 (call inside `tf.tidy`). */
function resizeOnTf(tf: Tf, decoded: Decoded, method: 'op' | 'matrix'): unknown {
  const { height: H, width: W, filter, padValue: pad } = decoded.spec;
  const images: unknown[] = [];
  for (let k = 0; k < decoded.kept.length; k++) {
    const w = decoded.widths[k] as number;
    const h = decoded.heights[k] as number;
    const [cl, ct, cw, ch, bx, by, bw, bh] = Array.from(decoded.layouts.subarray(k * 8, k * 8 + 8)) as number[] as [number, number, number, number, number, number, number, number];
    const image = decoded.pixels(tf, k);
    let resized;
    if (method === 'op') {
      // Whole image (stretch, letterbox), half-pixel-centre bilinear as the wasm resizer.
      resized = tf.image.resizeBilinear(image, [bh, bw], false, true);
    } else {
      const wy = tf.tensor2d(resampleWeights(h, ct, ch, bh, filter), [bh, h]);
      const wx = tf.tensor2d(resampleWeights(w, cl, cw, bw, filter), [bw, w]);
      // Rows first, on the pixels as they are ([h, w * 3]): the webgpu backend cannot transpose a
      // tensor holding fromPixels' int32 data (tensorflow/tfjs#8638), so only results are transposed.
      const rows = tf.reshape(tf.matMul(wy, tf.reshape(image, [h, w * 3])), [bh, w, 3]);
      const planes = tf.transpose(rows, [2, 0, 1]); // [3, bh, w]
      const both = tf.matMul(planes, tf.tile(tf.expandDims(wx, 0), [3, 1, 1]), false, true); // [3, bh, bw]
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
