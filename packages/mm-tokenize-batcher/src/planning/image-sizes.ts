// Reads an image's size from the objects users hold. Only the adapter lives here: whether a size
// is valid, and encoded headers, are decided in Rust (in the same call that plans the buffer).
import { asBytes, isBytes } from '../shared/bytes.js';
import { BatcherError, callWasm, type ErrorCode, type Reject } from '../shared/errors.js';
import { registry, wasm } from './wasm.js';

/** Anything whose pixel size can be read without decoding. */
export type ImageLike =
  | { readonly width: number; readonly height: number } // ImageData, ImageBitmap, canvas, OffscreenCanvas, plain objects
  | { readonly naturalWidth: number; readonly naturalHeight: number } // HTMLImageElement
  | { readonly displayWidth: number; readonly displayHeight: number } // VideoFrame
  | { readonly shape: readonly number[] } // TF.js Tensor3D: [height, width, channels]
  | Uint8Array // encoded PNG, JPEG, WebP, GIF or BMP (Node's Buffer is one)
  | ArrayBuffer;

export type SizeResult = { width: number; height: number } | { code: ErrorCode; message: string };

/** What a size field holds when it is not a number (the planner only sees NaN for it). */
function notANumber(value: unknown): string {
  if (value === undefined) return 'undefined (missing)';
  if (value === null) return 'null';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 24 ? `${value.slice(0, 24)}...` : value)}`;
  if (typeof value === 'bigint') return `a bigint (${value}n)`;
  if (Array.isArray(value)) return 'an array';
  return `${typeof value === 'object' ? 'an' : 'a'} ${typeof value}`;
}

/**
 * A size read from two fields: numbers pass through (Rust checks their values); anything else
 * is named here, where its type is still known, as `INVALID_DIMENSIONS`.
 */
function sizeOf(width: unknown, height: unknown): SizeResult {
  for (const [name, value] of [['width', width], ['height', height]] as const) {
    if (typeof value !== 'number') return { code: 'INVALID_DIMENSIONS', message: `image ${name} is not a number: got ${notANumber(value)}` };
  }
  return { width: width as number, height: height as number };
}

/** The size of an image that is not encoded bytes, or why it has none. */
function objectSize(image: unknown): SizeResult {
  if (image === undefined || image === null) {
    return { code: 'MISSING_IMAGE', message: 'sample has no `image`' };
  }
  if (typeof image !== 'object') {
    return { code: 'UNSUPPORTED_IMAGE', message: `image is a ${typeof image}; expected an object with width and height` };
  }
  const o = image as Record<string, unknown>;
  // HTMLImageElement's width/height are its layout size; naturalWidth/Height are the pixels.
  if (typeof o.naturalWidth === 'number') return sizeOf(o.naturalWidth, o.naturalHeight);
  // VideoFrame: the display size is what a model sees.
  if (typeof o.displayWidth === 'number') return sizeOf(o.displayWidth, o.displayHeight);
  if (Array.isArray(o.shape) && o.shape.length === 3 && !('width' in o)) return sizeOf(o.shape[1], o.shape[0]);
  return sizeOf(o.width, o.height);
}

/**
 * A buffer's sizes as the planner takes them in one call: sized objects read here (NaN where the
 * adapter found a problem, listed in `problems`), encoded images as prefixes laid end to end
 * (`positions[k]` is image `k`'s index), and `more(k, limit)`, which Rust calls for a longer prefix
 * when a header lies further in.
 */
export interface BufferSizes {
  /** Every width, then every height (one array: one allocation and one copy into wasm). */
  sides: Float64Array;
  problems: Map<number, Reject>;
  prefixes: Uint8Array;
  offsets: Uint32Array;
  lengths: Float64Array;
  positions: Uint32Array;
  /** Absent when the buffer holds no encoded images. */
  more?: (k: number, limit: number) => Uint8Array;
}

/** Sizes of `images` (one per entry; `undefined` images are missing). */
export function collectSizes(images: readonly unknown[], label = (i: number) => `sample ${i}`): BufferSizes {
  return collect(images.length, (i) => images[i], label);
}

/**
 * `collectSizes` for a buffer of samples: a sample that is not an object is named as such. The
 * sides are written into `room` when it is large enough (see `collect`).
 */
export function bufferSizes(buffer: readonly unknown[], room?: Float64Array): BufferSizes {
  if (!Array.isArray(buffer)) {
    throw new BatcherError('INVALID_INPUT', `buffer must be an array of samples, got ${buffer === null ? 'null' : typeof buffer}`);
  }
  return collect(buffer.length, (i) => buffer[i], (i) => `sample ${i}`, true, room);
}

/** The one loop over a buffer's images (`itemAt(i)`: an image, or a sample holding one). */
function collect(n: number, itemAt: (i: number) => unknown, label: (i: number) => string, samples = false, room?: Float64Array): BufferSizes {
  // A typed array of over 64 bytes is allocated outside V8's heap, at about 1.4 us: a tenth of
  // what Simple takes for a whole buffer of 128. A view of a lent array costs a fifth of that.
  const sides = room !== undefined && room.length >= 2 * n ? room.subarray(0, 2 * n) : new Float64Array(2 * n);
  const problems = new Map<number, Reject>();
  const files: Uint8Array[] = [];
  const positions: number[] = [];
  for (let i = 0; i < n; i++) {
    const item = itemAt(i);
    let image = item;
    if (samples) {
      if (typeof item !== 'object' || item === null) {
        const what = item === null ? 'null' : typeof item;
        problems.set(i, { index: i, code: 'MISSING_IMAGE', message: `${label(i)}: sample is ${what}; expected an object with an \`image\`` });
        sides[i] = sides[n + i] = Number.NaN;
        continue;
      }
      image = (item as { image?: unknown }).image;
    }
    // The common case first, without allocating: a plain object with numeric width and height.
    const o = image as { width?: unknown; height?: unknown; naturalWidth?: unknown; displayWidth?: unknown; shape?: unknown } | null | undefined;
    if (typeof o === 'object' && o !== null && typeof o.width === 'number' && typeof o.height === 'number' && o.naturalWidth === undefined && o.displayWidth === undefined) {
      sides[i] = o.width;
      sides[n + i] = o.height;
      continue;
    }
    if (isBytes(image)) {
      files.push(asBytes(image));
      positions.push(i);
      continue;
    }
    const size = objectSize(image);
    if ('code' in size) {
      problems.set(i, { index: i, code: size.code, message: `${label(i)}: ${size.message}` });
      sides[i] = sides[n + i] = Number.NaN;
    } else {
      sides[i] = size.width;
      sides[n + i] = size.height;
    }
  }
  if (files.length === 0) return { sides, problems, ...NO_FILES };
  return { sides, problems, ...prefixesOf(files), positions: Uint32Array.from(positions) };
}

/** A buffer without encoded images (the common case): nothing to allocate per call (never written). */
const NO_FILES: Pick<BufferSizes, 'prefixes' | 'offsets' | 'lengths' | 'positions'> = {
  prefixes: new Uint8Array(0),
  offsets: new Uint32Array(1),
  lengths: new Float64Array(0),
  positions: new Uint32Array(0),
};

/** Encoded files (at least one) as the header reader takes them: first prefixes end to end, lengths, and `more`. */
function prefixesOf(files: Uint8Array[]): Pick<BufferSizes, 'prefixes' | 'offsets' | 'lengths' | 'more'> {
  const first = files.length > 0 ? registry().headerPrefixBytes : 0;
  const offsets = new Uint32Array(files.length + 1);
  files.forEach((f, k) => (offsets[k + 1] = (offsets[k] as number) + Math.min(f.byteLength, first)));
  const prefixes = new Uint8Array(offsets[files.length] as number);
  files.forEach((f, k) => prefixes.set(f.byteLength > first ? f.subarray(0, first) : f, offsets[k]));
  return {
    prefixes,
    offsets,
    lengths: Float64Array.from(files, (f) => f.byteLength),
    more: (k, limit) => {
      const f = files[k] as Uint8Array;
      return f.byteLength > limit ? f.subarray(0, limit) : f;
    },
  };
}

/** `callWasm` for a buffer: an error about a sample the adapter could not read says why. */
export function callWasmOnBuffer<T>(problems: ReadonlyMap<number, Reject>, call: () => T): T {
  try {
    return callWasm(call);
  } catch (error) {
    const own = error instanceof BatcherError && error.index !== undefined ? problems.get(error.index) : undefined;
    if (own) throw new BatcherError(own.code, own.message, { index: own.index });
    throw error;
  }
}

/** Rejects from wasm, with the adapter's own reasons where it had one. */
export function withAdapterProblems(rejects: Reject[], problems: ReadonlyMap<number, Reject>): Reject[] {
  return problems.size === 0 ? rejects : rejects.map((r) => problems.get(r.index) ?? r);
}

/**
 * The pixel size of each image exactly as the batchers read it, or why it cannot be read:
 * `{ width, height }` or `{ code, message }`. Encoded bytes (PNG, JPEG, WebP, GIF, BMP) are read
 * from their headers inside wasm, all of them in one call.
 */
export function imageSizes(images: readonly unknown[]): SizeResult[] {
  if (!Array.isArray(images)) return [];
  const sizes = collectSizes(images, (i) => `image ${i}`);
  const read = wasm().readImageSizes(sizes.prefixes, sizes.offsets, sizes.lengths, sizes.more) as {
    widths: Float64Array;
    heights: Float64Array;
    codes: (ErrorCode | undefined)[];
    messages: (string | undefined)[];
  };
  const n = images.length;
  sizes.positions.forEach((i, k) => {
    sizes.sides[i] = read.widths[k] as number;
    sizes.sides[n + i] = read.heights[k] as number;
    const code = read.codes[k];
    if (code) sizes.problems.set(i, { index: i, code, message: read.messages[k] as string });
  });
  return images.map((_, i) => {
    const problem = sizes.problems.get(i);
    if (problem) return { code: problem.code, message: problem.message.replace(/^image \d+: /, '') };
    return { width: sizes.sides[i] as number, height: sizes.sides[n + i] as number };
  });
}

/**
 * Sizes of encoded files from their first bytes, for callers that read files themselves (the
 * CLI): `prefixes[k]` holds the first `headerPrefixBytes()` bytes of file `k` (fewer: the whole
 * file), `lengths[k]` its length (`Infinity` when unknown), and `more(k, limit)` gives its first
 * `limit` bytes (`Infinity`: all) when a header lies further in. One wasm call for all of them.
 */
export function readHeaderSizes(prefixes: readonly Uint8Array[], lengths: readonly number[], more: (k: number, limit: number) => Uint8Array): SizeResult[] {
  const offsets = new Uint32Array(prefixes.length + 1);
  prefixes.forEach((p, k) => (offsets[k + 1] = (offsets[k] as number) + p.byteLength));
  const bytes = new Uint8Array(offsets[prefixes.length] as number);
  prefixes.forEach((p, k) => bytes.set(p, offsets[k]));
  const read = wasm().readImageSizes(bytes, offsets, Float64Array.from(lengths), more) as {
    widths: Float64Array;
    heights: Float64Array;
    codes: (ErrorCode | undefined)[];
    messages: (string | undefined)[];
  };
  return prefixes.map((_, k) => {
    const code = read.codes[k];
    if (code) return { code, message: read.messages[k] as string };
    return { width: read.widths[k] as number, height: read.heights[k] as number };
  });
}

/** Bytes of a file the header reader takes first (the first pass of the one ladder, in Rust). */
export function headerPrefixBytes(): number {
  return registry().headerPrefixBytes;
}
