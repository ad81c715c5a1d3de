// Batch tensors: decode + resize + pack ONE batch per call, inside the imaging wasm module.
// Everything returned is a plain JS typed array (copied out of wasm), so there is nothing to free.
import { BatcherError, callWasm, type ErrorCode, type Reject } from './errors.js';
import { asBytes, isBytes } from './image-size.js';
import { imaging } from './imaging-wasm.js';

/** Raw RGBA pixels, 4 bytes per pixel, row-major (an `ImageData` qualifies). Alpha is dropped. */
export interface RawImage {
  readonly data: Uint8Array | Uint8ClampedArray;
  readonly width: number;
  readonly height: number;
}

/**
 * Encoded PNG, JPEG, WebP, GIF or BMP bytes (`Uint8Array`, Node `Buffer`, `ArrayBuffer`), raw RGBA,
 * or a TF.js `Tensor3D` `[height, width, 1 | 3 | 4]` holding values 0..255 (read with `dataSync()`).
 */
export type TensorImage = Uint8Array | ArrayBuffer | ArrayBufferView | RawImage | { readonly shape: readonly number[]; dataSync(): ArrayLike<number> };

export type NormalizePreset = 'clip' | 'siglip' | 'imagenet' | 'none';

/** Per-channel (R, G, B) mean and std of the presets, on pixel values scaled to [0, 1]. */
export const NORMALIZE_PRESETS: Readonly<Record<NormalizePreset, { mean: readonly number[]; std: readonly number[] }>> = {
  clip: { mean: [0.48145466, 0.4578275, 0.40821073], std: [0.26862954, 0.26130258, 0.27577711] },
  siglip: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
  imagenet: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  none: { mean: [0, 0, 0], std: [1, 1, 1] },
};

/** Default decompression-bomb guard: images above 50 megapixels are refused before decoding. */
export const DEFAULT_MAX_INPUT_PIXELS = 50_000_000;

export interface TensorOptions {
  /** `[height, width]` of the tensor. Default: the batch's `resizeSize`. */
  size?: readonly [height: number, width: number];
  /** `'stretch'` (default) fills the canvas; `'letterbox'` keeps the aspect and pads; `'crop'` covers and centre-crops. */
  mode?: 'stretch' | 'letterbox' | 'crop';
  /** Resampling filter. Default `'bilinear'`; `'bicubic'` is Catmull-Rom. */
  filter?: 'bilinear' | 'bicubic' | 'lanczos3';
  /** `'float32'` (default): NCHW, normalised. `'uint8'`: NHWC RGB pixels as they are. */
  dtype?: 'float32' | 'uint8';
  /** float32 only: `(pixel / 255 - mean) / std` per channel. A preset or your own values. Default `'none'` (values in [0, 1]). */
  normalize?: NormalizePreset | { mean: readonly number[]; std: readonly number[] };
  /** Letterbox padding colour in pixel units 0..255 (one value or R, G, B). Default 0. */
  padValue?: number | readonly [number, number, number];
  /** Patch size of the vision encoder: adds `patchGrid`; the size must be a multiple of it. */
  patchSize?: number;
  /** Refuse images with more pixels than this, before decoding. Default 50,000,000. */
  maxInputPixels?: number;
  /** Leave unreadable images out (listed in `rejects`) instead of throwing. Default false. */
  skipInvalid?: boolean;
}

export interface PatchGrid {
  patchSize: number;
  rows: number;
  cols: number;
  /** `rows * cols`: visual tokens per image (before any merging the model does). */
  tokensPerImage: number;
}

export interface BatchTensor {
  /** Float32Array (NCHW) or Uint8Array (NHWC, RGB). */
  data: Float32Array | Uint8Array;
  /** `[n, 3, height, width]` for float32, `[n, height, width, 3]` for uint8. */
  shape: [number, number, number, number];
  dtype: 'float32' | 'uint8';
  layout: 'NCHW' | 'NHWC';
  /** Buffer positions (the batch's `indices`, or positions in `images`) of the images in the tensor, in order. */
  indices: number[];
  /** Per image, `[x, y, width, height]` of its pixels in the canvas (the whole canvas unless letterboxed). */
  contentBoxes: [number, number, number, number][];
  patchGrid?: PatchGrid;
  /** Images left out with `skipInvalid`. */
  rejects: Reject[];
}

/** What `toTensor` needs: a batch from a batcher, or any `{ images, resizeSize? }`. */
export interface TensorBatchInput {
  readonly images: readonly unknown[];
  readonly resizeSize?: readonly [number, number];
  readonly indices?: readonly number[];
}

const KNOWN = new Set(['size', 'mode', 'filter', 'dtype', 'normalize', 'padValue', 'patchSize', 'maxInputPixels', 'skipInvalid']);

/** Options as Rust reads them, plus what TS handles itself. */
export interface ResolvedOptions {
  wire: { height: number; width: number; mode?: string; filter?: string; dtype?: string; mean?: number[]; std?: number[]; pad?: number[]; maxInputPixels?: number };
  patchSize?: number;
  skipInvalid: boolean;
  indices: number[];
}

export function resolveOptions(batch: TensorBatchInput, options: TensorOptions): ResolvedOptions {
  const fail = (option: string, message: string): never => {
    throw new BatcherError('INVALID_OPTION', `option \`${option}\` ${message}`, { option });
  };
  if (typeof options !== 'object' || options === null) fail('options', 'must be an object');
  for (const [name, value] of Object.entries(options)) {
    if (value !== undefined && !KNOWN.has(name)) fail(name, `is not an option of toTensor (known options: ${[...KNOWN].join(', ')})`);
  }
  if (typeof batch !== 'object' || batch === null || !Array.isArray(batch.images)) {
    throw new BatcherError('INVALID_INPUT', 'toTensor takes a batch: an object with an `images` array (and `resizeSize`)');
  }
  const size = options.size ?? batch.resizeSize;
  if (!Array.isArray(size) || size.length !== 2) {
    fail('size', 'must be [height, width] (or the batch must have a resizeSize)');
  }
  const [height, width] = size as [number, number];
  const wire: ResolvedOptions['wire'] = { height, width };
  if (typeof height !== 'number' || typeof width !== 'number') fail('size', `must hold two numbers, got [${String(height)}, ${String(width)}]`);
  if (options.mode !== undefined) wire.mode = options.mode;
  if (options.filter !== undefined) wire.filter = options.filter;
  if (options.dtype !== undefined) wire.dtype = options.dtype;
  if (options.normalize !== undefined && options.normalize !== 'none') {
    const n = typeof options.normalize === 'string' ? NORMALIZE_PRESETS[options.normalize] : options.normalize;
    if (!n || !Array.isArray(n.mean) || !Array.isArray(n.std)) {
      fail('normalize', `must be 'clip', 'siglip', 'imagenet', 'none' or { mean, std }, got ${JSON.stringify(options.normalize)}`);
    }
    wire.mean = [...n.mean];
    wire.std = [...n.std];
  }
  if (options.padValue !== undefined) {
    const p = options.padValue;
    wire.pad = typeof p === 'number' ? [p] : Array.isArray(p) ? [...p] : fail('padValue', 'must be a number or [r, g, b]');
  }
  if (options.maxInputPixels !== undefined) wire.maxInputPixels = options.maxInputPixels;
  if (options.skipInvalid !== undefined && typeof options.skipInvalid !== 'boolean') fail('skipInvalid', 'must be a boolean');
  const patchSize = options.patchSize;
  if (patchSize !== undefined) {
    if (!(Number.isInteger(patchSize) && patchSize >= 1)) fail('patchSize', `must be a whole number >= 1, got ${patchSize}`);
    if (height % patchSize !== 0 || width % patchSize !== 0) {
      fail('patchSize', `${patchSize} does not divide the size [${height}, ${width}]; plan with multipleOf: ${patchSize} (or a multiple)`);
    }
  }
  const indices = batch.indices ? [...batch.indices] : batch.images.map((_, i) => i);
  return { wire, patchSize, skipInvalid: options.skipInvalid ?? false, indices };
}

/** The batch's images laid end to end in one array, for one crossing into wasm. */
export interface PackedImages {
  bytes: Uint8Array;
  offsets: Uint32Array;
  kinds: Uint8Array;
  widths: Uint32Array;
  heights: Uint32Array;
  indices: Uint32Array;
  /** Images JS already knows are unusable (wrong kind), by position. */
  problems: { position: number; index: number; code: ErrorCode; message: string }[];
}

/** The six arrays every imaging wasm call takes first, in order. */
export function packedArgs(p: PackedImages) {
  return [p.bytes, p.offsets, p.kinds, p.widths, p.heights, p.indices] as const;
}

export function packImages(images: readonly unknown[], indices: readonly number[]): PackedImages {
  const parts: Uint8Array[] = [];
  const kinds: number[] = [];
  const widths: number[] = [];
  const heights: number[] = [];
  const kept: number[] = [];
  const problems: PackedImages['problems'] = [];
  images.forEach((original, position) => {
    const index = indices[position] ?? position;
    let image = original;
    if (isTensor3d(image)) {
      const converted = tensorToRgba(image);
      if (typeof converted === 'string') {
        problems.push({ position, index, code: 'INVALID_IMAGE', message: `sample ${index}: TF.js tensor: ${converted}` });
        return;
      }
      image = converted;
    }
    if (isBytes(image)) {
      parts.push(asBytes(image));
      kinds.push(0);
      widths.push(0);
      heights.push(0);
    } else if (isRaw(image)) {
      const dim = (v: number) => (Number.isInteger(v) && v >= 0 && v <= 0xffffffff ? v : -1);
      const [w, h] = [dim(image.width), dim(image.height)];
      if (w < 0 || h < 0) {
        problems.push({ position, index, code: 'INVALID_IMAGE', message: `sample ${index}: RGBA pixels: width and height must be whole numbers, got ${image.width} x ${image.height}` });
        return;
      }
      parts.push(new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.byteLength));
      kinds.push(1);
      widths.push(w);
      heights.push(h);
    } else {
      const what = image === null ? 'null' : Array.isArray(image) ? 'an array' : typeof image === 'object' ? 'an object without pixel data' : `a ${typeof image}`;
      problems.push({
        position,
        index,
        code: image === undefined || image === null ? 'MISSING_IMAGE' : 'UNSUPPORTED_IMAGE',
        message: `sample ${index}: image is ${what}; toTensor takes encoded bytes (Uint8Array, Buffer, ArrayBuffer), RGBA pixels { data, width, height } (for an HTMLImageElement or canvas, pass getImageData()) or a TF.js Tensor3D`,
      });
      return;
    }
    kept.push(index);
  });
  const offsets = new Uint32Array(parts.length + 1);
  parts.forEach((p, k) => (offsets[k + 1] = (offsets[k] as number) + p.byteLength));
  const bytes = new Uint8Array(offsets[parts.length] as number);
  parts.forEach((p, k) => bytes.set(p, offsets[k]));
  return {
    bytes,
    offsets,
    kinds: Uint8Array.from(kinds),
    widths: Uint32Array.from(widths),
    heights: Uint32Array.from(heights),
    indices: Uint32Array.from(kept),
    problems,
  };
}

interface Tensor3dLike {
  readonly shape: readonly number[];
  dataSync(): ArrayLike<number>;
}

function isTensor3d(image: unknown): image is Tensor3dLike {
  if (typeof image !== 'object' || image === null) return false;
  const o = image as Record<string, unknown>;
  return Array.isArray(o.shape) && typeof o.dataSync === 'function';
}

/** A TF.js `Tensor3D` `[height, width, 1 | 3 | 4]` of values 0..255 as RGBA bytes (values clamped and rounded). */
function tensorToRgba(t: Tensor3dLike): RawImage | string {
  const [height, width, channels] = t.shape as number[];
  if (t.shape.length !== 3 || ![1, 3, 4].includes(channels as number)) {
    return `shape must be [height, width, 1 | 3 | 4], got [${t.shape.join(', ')}]`;
  }
  const values = t.dataSync();
  const c = channels as number;
  const n = (height as number) * (width as number);
  const data = new Uint8ClampedArray(n * 4);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 3; k++) data[i * 4 + k] = values[i * c + (c === 1 ? 0 : k)] as number;
    data[i * 4 + 3] = 255;
  }
  return { data, width: width as number, height: height as number };
}

function isRaw(image: unknown): image is RawImage {
  if (typeof image !== 'object' || image === null) return false;
  const o = image as Record<string, unknown>;
  return (o.data instanceof Uint8Array || o.data instanceof Uint8ClampedArray) && typeof o.width === 'number' && typeof o.height === 'number';
}

interface WasmFailure {
  code: ErrorCode;
  message: string;
  index: number;
  position: number;
  format: string;
}

/** Throws the first JS-side problem unless skipping; returns the problems as rejects. */
export function jsProblems(packed: PackedImages, skip: boolean): Reject[] {
  const first = packed.problems[0];
  if (first && !skip) throw new BatcherError(first.code, first.message, { index: first.index });
  return packed.problems.map(({ index, code, message }) => ({ index, code, message }));
}

export function mergeRejects(js: Reject[], wasm: WasmFailure[]): Reject[] {
  return [...js, ...wasm.map(({ index, code, message }) => ({ index, code, message }))].sort((a, b) => a.index - b.index);
}

export function patchGrid(height: number, width: number, patchSize: number | undefined): PatchGrid | undefined {
  if (patchSize === undefined) return undefined;
  const rows = height / patchSize;
  const cols = width / patchSize;
  return { patchSize, rows, cols, tokensPerImage: rows * cols };
}

/**
 * Decodes, resizes and packs one batch into a tensor, in the imaging wasm module (single thread,
 * SIMD). Crosses into wasm once; memory is bounded by this batch. Synchronous.
 */
export function toTensor(batch: TensorBatchInput, options: TensorOptions = {}): BatchTensor {
  const resolved = resolveOptions(batch, options);
  const packed = packImages(batch.images, resolved.indices);
  const rejects = jsProblems(packed, resolved.skipInvalid);
  const out = callWasm(
    () =>
      imaging().batchTensor(...packedArgs(packed), resolved.wire, resolved.skipInvalid) as { data: Float32Array | Uint8Array; shape: number[]; kept: Uint32Array; contentBoxes: Uint32Array; failures: WasmFailure[] },
  );
  const dtype = out.data instanceof Float32Array ? 'float32' : 'uint8';
  const contentBoxes: [number, number, number, number][] = [];
  for (let k = 0; k < out.kept.length; k++) {
    const b = out.contentBoxes.subarray(k * 4, k * 4 + 4);
    contentBoxes.push([b[0] as number, b[1] as number, b[2] as number, b[3] as number]);
  }
  const result: BatchTensor = {
    data: out.data,
    shape: out.shape as BatchTensor['shape'],
    dtype,
    layout: dtype === 'float32' ? 'NCHW' : 'NHWC',
    indices: Array.from(out.kept, (k) => packed.indices[k] as number),
    contentBoxes,
    rejects: mergeRejects(rejects, out.failures),
  };
  const grid = patchGrid(resolved.wire.height, resolved.wire.width, resolved.patchSize);
  if (grid) result.patchGrid = grid;
  return result;
}

/**
 * Tensors for many batches, one at a time: each batch is decoded and resized only when the
 * iterator reaches it, so memory stays bounded by one batch whatever the buffer size.
 */
export function* batchTensors(batches: Iterable<TensorBatchInput>, options: TensorOptions = {}): Generator<BatchTensor, void, undefined> {
  for (const batch of batches) yield toTensor(batch, options);
}
