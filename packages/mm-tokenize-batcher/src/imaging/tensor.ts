// Batch tensors: decode + resize + pack ONE batch per call, inside the imaging wasm module.
// Everything returned is a plain JS typed array (copied out of wasm), so there is nothing to free.
import { BatcherError, callWasm, composeReject, rejectError, sampleSubject, type Reject, type RejectFields } from '../shared/errors.js';
import { pullFrom, type Pull } from '../shared/pull.js';
import { asBytes, isBytes, sampleFault } from '../shared/bytes.js';
import { imaging } from './wasm.js';

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
export type TensorImage = Uint8Array | ArrayBuffer | SharedArrayBuffer | ArrayBufferView | RawImage | { readonly shape: readonly number[]; dataSync(): ArrayLike<number> };

export type NormalizePreset = 'clip' | 'siglip' | 'imagenet' | 'none';

export interface TensorOptions {
  /** `[height, width]` of the tensor. Default: the batch's `resizeSize`. */
  size?: readonly [height: number, width: number];
  /** `'stretch'` fills the canvas; `'letterbox'` keeps the aspect and pads; `'crop'` covers and centre-crops. Default `'stretch'`. */
  mode?: 'stretch' | 'letterbox' | 'crop';
  /** Resampling filter. Default `'bilinear'`; `'bicubic'` is Catmull-Rom. */
  filter?: 'bilinear' | 'bicubic' | 'lanczos3';
  /** `'float32'`: NCHW, normalised. `'uint8'`: NHWC RGB pixels as they are. Default `'float32'`. */
  dtype?: 'float32' | 'uint8';
  /** float32 only: `(pixel / 255 - mean) / std` per channel. A preset or your own values. Default `'none'` (values in [0, 1]). */
  normalize?: NormalizePreset | { mean: readonly number[]; std: readonly number[] };
  /** Letterbox padding colour in pixel units 0..255 (one value or R, G, B). Default 0. */
  padValue?: number | readonly [number, number, number];
  /** Patch size of the vision encoder: adds `patchGrid`; the size must be a multiple of it. */
  patchSize?: number;
  /** Refuse images with more pixels than this, before decoding. Default 89,478,485 (Pillow's `MAX_IMAGE_PIXELS`, and the planning limit). */
  maxInputPixels?: number;
  /** Leave unreadable images out (listed in `rejects`) instead of throwing. Default false. */
  skipInvalid?: boolean;
  /**
   * Decode a JPEG at 1/2, 1/4 or 1/8 of its size (in the DCT domain, as sharp's shrink-on-load)
   * when that still leaves at least twice the target's pixels on each axis; `false` decodes every
   * pixel before resampling. `toTfTensor` always decodes at full size. Default true.
   */
  shrinkOnLoad?: boolean;
  /**
   * `mode: 'crop'` only: the crop window at a seeded random place along the axis with slack
   * (kohya's `random_crop`) instead of the centre; the place depends on `augmentSeed`, `epoch` and
   * the image's buffer index only, so it is the same in every runtime and worker. Default false.
   */
  randomCrop?: boolean;
  /** Mirror each image left-right with probability 1/2, seeded as `randomCrop`. Default false. */
  randomFlip?: boolean;
  /**
   * Never enlarge: an image smaller than the canvas (on an axis, for `'stretch'`) keeps its size,
   * centred, the rest `padValue` (see `contentBoxes`). Default false.
   */
  noUpscale?: boolean;
  /** Seed of `randomCrop` / `randomFlip` (whole number). Default 0. */
  augmentSeed?: number;
  /** Epoch of `randomCrop` / `randomFlip`: each epoch crops and flips anew. Default 0. */
  epoch?: number;
  /**
   * Qwen2-VL's (and Qwen2.5-VL's) flattened patches instead of NCHW: `data` is `pixel_values`
   * `[patches, 3 * temporalPatchSize * patchSize^2]` (`[patches, 1176]`) and `imageGridThw` is
   * `image_grid_thw`, as transformers.js's `Qwen2VLImageProcessor` gives them. float32 only;
   * the size must be whole `patchSize * mergeSize` squares (plan with `multipleOf: 28`).
   * Default false. (Pass it as a literal to get the `PatchTensor` type.)
   */
  patches?: boolean | PatchesOptions;
}

/** The patch layout (Qwen2-VL's processor config: `patch_size`, `merge_size`, `temporal_patch_size`). */
export interface PatchesOptions {
  /** Default: the patchSize option, else 14. */
  patchSize?: number;
  /** Default 2. */
  mergeSize?: number;
  /** Default 2: a still image is repeated into a clip of this many frames. */
  temporalPatchSize?: number;
}

export interface PatchGrid {
  patchSize: number;
  rows: number;
  cols: number;
  /** `rows * cols`: visual tokens per image (before any merging the model does). */
  tokensPerImage: number;
}

interface BatchTensorCommon {
  /** `[n, 3, height, width]` for float32, `[n, height, width, 3]` for uint8. */
  shape: [number, number, number, number];
  /** Buffer positions (the batch's `indices`, or positions in `images`) of the images in the tensor, in order. */
  indices: number[];
  /** Per image, `[x, y, width, height]` of its pixels in the canvas (the whole canvas unless letterboxed). */
  contentBoxes: [number, number, number, number][];
  patchGrid?: PatchGrid;
  /** Images left out with `skipInvalid`. */
  rejects: Reject[];
}

/** One batch as a tensor: float32 NCHW (normalised) or uint8 NHWC (RGB), told apart by `dtype`. */
export type BatchTensor =
  | (BatchTensorCommon & { dtype: 'float32'; layout: 'NCHW'; data: Float32Array })
  | (BatchTensorCommon & { dtype: 'uint8'; layout: 'NHWC'; data: Uint8Array });

/**
 * One batch as Qwen2-VL's patches (`patches` option): `data` is `pixel_values`, the images' rows
 * one after another; `imageGridThw` is `image_grid_thw`, `[1, rows, cols]` per image (shape
 * `[n, 3]`, int64 as the model takes it).
 */
export interface PatchTensor extends Omit<BatchTensorCommon, 'shape'> {
  dtype: 'float32';
  layout: 'patches';
  data: Float32Array;
  /** `[patches, 3 * temporalPatchSize * patchSize^2]`. */
  shape: [patches: number, rowLength: number];
  imageGridThw: BigInt64Array;
}

/** The tensor type `options` give: `PatchTensor` when `patches` is set (as a literal), else `BatchTensor`. */
export type TensorFor<O> = O extends { patches: true | PatchesOptions }
  ? PatchTensor
  : O extends { patches: boolean | PatchesOptions }
    ? BatchTensor | PatchTensor
    : BatchTensor;

/** What `toTensor` needs: a batch from a batcher, or any `{ images, resizeSize? }`. */
export interface TensorBatchInput {
  readonly images: readonly unknown[];
  readonly resizeSize?: readonly [number, number];
  readonly indices?: readonly number[];
  /** Per image, its file name or URL: rejects and errors then name it instead of "sample N". */
  readonly sources?: readonly string[];
}

/**
 * Options as Rust reads them (crates/imaging/src/tensor_options.rs: names, defaults, ranges and
 * presets live there): the caller's object, with `size` taken from the batch when not given.
 */
export function wireTensorOptions(batch: TensorBatchInput, options: TensorOptions): Record<string, unknown> {
  if (typeof options !== 'object' || options === null) {
    throw new BatcherError('INVALID_OPTION', 'option `options` must be an object', { option: 'options' });
  }
  if (typeof batch !== 'object' || batch === null || !Array.isArray(batch.images)) {
    throw new BatcherError('INVALID_INPUT', 'toTensor takes a batch: an object with an `images` array (and `resizeSize`)');
  }
  const wire: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(options)) if (value !== undefined) wire[name] = value;
  if (wire.size === undefined && batch.resizeSize !== undefined) wire.size = [...batch.resizeSize];
  return wire;
}

/** Buffer positions of the batch's images (its `indices`, or 0..n). */
export function batchIndices(batch: TensorBatchInput): number[] {
  return batch.indices ? [...batch.indices] : batch.images.map((_, i) => i);
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
  problems: (RejectFields & { position: number })[];
}

/** The six arrays every imaging wasm call takes first, in order. */
export function packedArgs(p: Omit<PackedImages, 'problems'>) {
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
    try {
      packOne(original, position, index);
    } catch (error) {
      // A getter or Proxy that throws, a detached buffer: this image's reject, not the batch's.
      problems.push({ position, index, ...sampleFault(error, original) });
    }
  });
  function packOne(original: unknown, position: number, index: number): void {
    let image = original;
    if (isTensor3d(image)) {
      const converted = tensorToRgba(image);
      if (typeof converted === 'string') {
        problems.push({ position, index, code: 'INVALID_IMAGE', detail: `TF.js tensor: ${converted}` });
        return;
      }
      image = converted;
    }
    // Everything is read before anything is kept, so an image that throws half way leaves no trace.
    let part: Uint8Array;
    let kind = 0;
    let [w, h] = [0, 0];
    if (isBytes(image)) {
      part = asBytes(image);
    } else if (isRaw(image)) {
      const dim = (v: number) => (Number.isInteger(v) && v >= 0 && v <= 0xffffffff ? v : -1);
      [w, h] = [dim(image.width), dim(image.height)];
      if (w < 0 || h < 0) {
        problems.push({ position, index, code: 'INVALID_IMAGE', detail: `RGBA pixels: width and height must be whole numbers, got ${image.width} x ${image.height}` });
        return;
      }
      part = new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.byteLength);
      kind = 1;
    } else {
      const what = image === null ? 'null' : Array.isArray(image) ? 'an array' : typeof image === 'object' ? 'an object without pixel data' : `a ${typeof image}`;
      problems.push({
        position,
        index,
        code: image === undefined || image === null ? 'MISSING_IMAGE' : 'UNSUPPORTED_IMAGE',
        detail: `image is ${what}; toTensor takes encoded bytes (Uint8Array, Buffer, ArrayBuffer), RGBA pixels { data, width, height } (for an HTMLImageElement or canvas, pass getImageData()) or a TF.js Tensor3D`,
      });
      return;
    }
    parts.push(part);
    kinds.push(kind);
    widths.push(w);
    heights.push(h);
    kept.push(index);
  }
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

/** An image the imaging module could not use: its reject's fields and its position in the batch. */
export type WasmFailure = RejectFields & { position: number };

/** How a batch's messages name an image by buffer index: its `sources` entry, else "sample N". */
export function batchSubject(indices: ArrayLike<number>, sources: readonly string[] | undefined): (index: number) => string {
  if (!sources) return sampleSubject;
  return (index) => {
    const position = Array.prototype.indexOf.call(indices, index);
    const name = position >= 0 ? sources[position] : undefined;
    return typeof name === 'string' ? name : sampleSubject(index);
  };
}

/** Throws the first JS-side problem unless skipping; returns the problems as reject fields. */
export function jsProblems(packed: PackedImages, skip: boolean, subject = sampleSubject): RejectFields[] {
  const first = packed.problems[0];
  if (first && !skip) throw rejectError(first, subject(first.index));
  return packed.problems.map(({ position: _position, ...fields }) => fields);
}

/** The batch's rejects, JS's and wasm's, by buffer index, each with its message. */
export function mergeRejects(js: readonly RejectFields[], wasm: readonly WasmFailure[], subject = sampleSubject): Reject[] {
  const all = [...js, ...wasm.map(({ position: _position, ...fields }) => fields)].sort((a, b) => a.index - b.index);
  return all.map((r) => composeReject(r, subject(r.index)));
}

/** Per kept image, `[x, y, width, height]` from 4 numbers each. */
export function boxes(flat: ArrayLike<number>, count: number, stride = 4, at = 0): [number, number, number, number][] {
  return Array.from({ length: count }, (_, k) => {
    const o = k * stride + at;
    return [flat[o] as number, flat[o + 1] as number, flat[o + 2] as number, flat[o + 3] as number];
  });
}

/**
 * One batch made ready for the imaging module: options as Rust reads them, the images packed end
 * to end (one fresh buffer holding a copy of their bytes: TF.js tensors read out, RGBA copied),
 * and the images JS already refused. Throws (`BatcherError` with the sample's index) for the
 * first refused image unless `skipInvalid`. Plain typed arrays and objects only, so it can be
 * posted to a worker (`ImagingPool` transfers the arrays' buffers; the caller's images stay intact).
 */
export interface PreparedBatch {
  wire: Record<string, unknown>;
  packed: Omit<PackedImages, 'problems'>;
  rejects: RejectFields[];
  /** The batch's `sources` (file names or URLs), for messages. */
  sources?: readonly string[];
}

export function prepareBatch(batch: TensorBatchInput, options: TensorOptions = {}): PreparedBatch {
  const wire = wireTensorOptions(batch, options);
  const indices = batchIndices(batch);
  const { problems, ...packed } = packImages(batch.images, indices);
  const sources = Array.isArray(batch.sources) ? batch.sources.map(String) : undefined;
  const rejects = jsProblems({ ...packed, problems }, options.skipInvalid === true, batchSubject(indices, sources));
  return { wire, packed, rejects, ...(sources ? { sources } : {}) };
}

/** The buffers of a prepared batch, all its own (for a transfer list). */
export function preparedBuffers(p: { packed: PreparedBatch['packed'] }): ArrayBuffer[] {
  const { bytes, offsets, kinds, widths, heights, indices } = p.packed;
  return [bytes, offsets, kinds, widths, heights, indices].map((a) => a.buffer as ArrayBuffer);
}

/** The tensor of a prepared batch, in this thread's imaging module. */
export function tensorOfPrepared({ wire, packed, rejects, sources }: PreparedBatch): BatchTensor | PatchTensor {
  const subject = batchSubject(packed.indices, sources);
  const out = callWasm(
    () =>
      imaging().batchTensor(packed.bytes, packed.offsets, packed.kinds, packed.widths, packed.heights, packed.indices, wire) as {
        data: Float32Array | Uint8Array;
        shape: number[];
        dtype: 'float32' | 'uint8';
        kept: Uint32Array;
        contentBoxes: Uint32Array;
        patchGrid?: PatchGrid;
        imageGridThw?: Uint32Array;
        failures: WasmFailure[];
      },
    subject,
  );
  const common = {
    indices: Array.from(out.kept, (k) => packed.indices[k] as number),
    contentBoxes: boxes(out.contentBoxes, out.kept.length),
    rejects: mergeRejects(rejects, out.failures, subject),
    ...(out.patchGrid ? { patchGrid: out.patchGrid } : {}),
  };
  if (out.imageGridThw) {
    const shape = out.shape as PatchTensor['shape'];
    return { ...common, dtype: 'float32', layout: 'patches', data: out.data as Float32Array, shape, imageGridThw: BigInt64Array.from(out.imageGridThw, BigInt) };
  }
  const shape = out.shape as BatchTensor['shape'];
  return out.dtype === 'float32'
    ? { ...common, shape, dtype: 'float32', layout: 'NCHW', data: out.data as Float32Array }
    : { ...common, shape, dtype: 'uint8', layout: 'NHWC', data: out.data as Uint8Array };
}

/**
 * Qwen2-VL's `pixel_values` and `image_grid_thw` from a float32 NCHW batch tensor already made
 * (`toTensor`'s, or your own `{ data, shape }`): the same rearrangement as the `patches` option
 * (in the imaging module, one crossing). The size must be whole `patchSize * mergeSize` squares.
 */
export function toPatches(
  tensor: Pick<BatchTensor, 'data' | 'shape'> & Partial<Omit<BatchTensorCommon, 'shape'>>,
  options: PatchesOptions = {},
): PatchTensor {
  const [n, channels, height, width] = tensor.shape;
  if (!(tensor.data instanceof Float32Array) || tensor.shape.length !== 4 || channels !== 3) {
    throw new BatcherError('INVALID_INPUT', `toPatches takes a float32 NCHW tensor [n, 3, height, width], got ${tensor.data?.constructor?.name} of shape [${tensor.shape.join(', ')}]`);
  }
  const out = callWasm(
    () => imaging().patchify(tensor.data as Float32Array, n, height, width, options) as { data: Float32Array; shape: number[]; imageGridThw: Uint32Array },
  );
  const boxesOf = tensor.contentBoxes ?? Array.from({ length: n }, (): [number, number, number, number] => [0, 0, width, height]);
  return {
    dtype: 'float32',
    layout: 'patches',
    data: out.data,
    shape: out.shape as PatchTensor['shape'],
    imageGridThw: BigInt64Array.from(out.imageGridThw, BigInt),
    indices: tensor.indices ?? Array.from({ length: n }, (_, i) => i),
    contentBoxes: boxesOf,
    rejects: tensor.rejects ?? [],
    ...(tensor.patchGrid ? { patchGrid: tensor.patchGrid } : {}),
  };
}

/**
 * Decodes, resizes and packs one batch into a tensor, in the imaging wasm module (single thread,
 * SIMD). Crosses into wasm once; memory is bounded by this batch. Synchronous. (`createImagingPool`
 * does the same in worker threads.)
 */
export function toTensor<O extends TensorOptions = {}>(batch: TensorBatchInput, options?: O): TensorFor<O> {
  return tensorOfPrepared(prepareBatch(batch, options ?? {})) as TensorFor<O>;
}

/**
 * Tensors for many batches, one at a time: each batch is decoded and resized only when the
 * iterator reaches it, so memory stays bounded by one batch whatever the buffer size.
 *
 * Takes an `Iterable` (an array of batches: returns a `Generator`) or an `AsyncIterable` /
 * `ReadableStream` (`batchStream(...)`: returns an `AsyncGenerator`, to use with `for await`).
 * Each tensor is made (synchronously, on this thread) when the consumer asks for it, and the
 * next batch is pulled from the source only then: backpressure reaches the source.
 */
export function batchTensors<O extends TensorOptions = {}>(batches: Iterable<TensorBatchInput>, options?: O): Generator<TensorFor<O>, void, undefined>;
export function batchTensors<O extends TensorOptions = {}>(
  batches: AsyncIterable<TensorBatchInput> | ReadableStream<TensorBatchInput>,
  options?: O,
): AsyncGenerator<TensorFor<O>, void, undefined>;
export function batchTensors<O extends TensorOptions = {}>(
  batches: Iterable<TensorBatchInput> | AsyncIterable<TensorBatchInput> | ReadableStream<TensorBatchInput>,
  options?: O,
): Generator<TensorFor<O>, void, undefined> | AsyncGenerator<TensorFor<O>, void, undefined>;
export function batchTensors(
  batches: Iterable<TensorBatchInput> | AsyncIterable<TensorBatchInput> | ReadableStream<TensorBatchInput>,
  options: TensorOptions = {},
): Generator<BatchTensor | PatchTensor, void, undefined> | AsyncGenerator<BatchTensor | PatchTensor, void, undefined> {
  const source = batches as Partial<Iterable<TensorBatchInput>> | null;
  if (typeof source?.[Symbol.iterator] === 'function') return tensorsOf(source as Iterable<TensorBatchInput>, options);
  const pull = pullFrom<TensorBatchInput>(batches);
  if (pull) return tensorsFrom(pull, options);
  throw new BatcherError(
    'INVALID_INPUT',
    `batchTensors takes batches: an Iterable (an array), an AsyncIterable (batchStream) or a ReadableStream, got ${batches === null ? 'null' : typeof batches}`,
  );
}

function* tensorsOf(batches: Iterable<TensorBatchInput>, options: TensorOptions): Generator<BatchTensor | PatchTensor, void, undefined> {
  for (const batch of batches) yield toTensor(batch, options);
}

/** Tensors of an async source, one per pull; stopping early stops the source. */
async function* tensorsFrom(pull: Pull<TensorBatchInput>, options: TensorOptions): AsyncGenerator<BatchTensor | PatchTensor, void, undefined> {
  let done = false;
  try {
    for (;;) {
      const next = await pull.next();
      if (next.done) {
        done = true;
        return;
      }
      yield toTensor(next.value, options);
    }
  } finally {
    if (!done) await pull.stop();
  }
}

/**
 * Decodes every image and returns only the problems (truncated, corrupt, unsupported or too
 * large files), as rejects: nothing is resized or kept. What the CLI's `--verify` runs (on the
 * imaging pool: `pool.verifyImages`). One wasm call for all of them; memory is bounded by the
 * largest image.
 */
export function verifyImages(images: readonly unknown[], options: VerifyOptions = {}): Reject[] {
  if (!Array.isArray(images)) throw new BatcherError('INVALID_INPUT', 'verifyImages takes an array of images');
  return verifyPrepared(prepareVerify(images, images.map((_, i) => i), options));
}

export interface VerifyOptions {
  /** Images with more pixels are refused before decoding. Default 89,478,485, as `toTensor`'s. */
  maxInputPixels?: number;
}

/**
 * `verifyImages`' work for some images (with their indices in the caller's array), made ready for
 * the imaging module as `prepareBatch` does for a tensor: plain typed arrays, so the pool can post
 * it to a worker.
 */
export interface PreparedVerify {
  wire: Record<string, unknown>;
  packed: Omit<PackedImages, 'problems'>;
  rejects: RejectFields[];
}

export function prepareVerify(images: readonly unknown[], indices: readonly number[], options: VerifyOptions = {}): PreparedVerify {
  const { problems, ...packed } = packImages(images, indices);
  const wire: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(options ?? {})) if (value !== undefined) wire[name] = value;
  return { wire, packed, rejects: jsProblems({ ...packed, problems }, true) };
}

/** Runs a `PreparedVerify` (in this thread's imaging module): its rejects, by index. */
export function verifyPrepared({ wire, packed, rejects }: PreparedVerify): Reject[] {
  const failures = callWasm(() => imaging().verifyImages(...packedArgs(packed), wire) as WasmFailure[]);
  return mergeRejects(rejects, failures);
}
