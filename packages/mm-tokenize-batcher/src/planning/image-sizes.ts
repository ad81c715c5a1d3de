// Reads an image's size from the objects users hold. Only the adapter lives here: whether a size
// is valid is decided in Rust, and encoded bytes' headers are read by the one header ladder
// (headers/ladder.ts), all of a buffer's in one pass.
import { asBytes, isBytes, sampleFault } from '../shared/bytes.js';
import { BatcherError, callWasm, composeReject, describeReject, rejectError, sampleSubject, type ErrorCode, type ImageFormatName, type Reject, type RejectFields } from '../shared/errors.js';
import { readHeaders } from '../headers/ladder.js';

/** Anything whose pixel size can be read without decoding. */
export type ImageLike =
  | { readonly width: number; readonly height: number } // ImageData, ImageBitmap, canvas, OffscreenCanvas, plain objects
  | { readonly naturalWidth: number; readonly naturalHeight: number } // HTMLImageElement
  | { readonly displayWidth: number; readonly displayHeight: number } // VideoFrame
  | { readonly shape: readonly number[] } // TF.js Tensor3D: [height, width, channels]
  | Uint8Array // encoded PNG, JPEG, WebP, GIF or BMP (Node's Buffer is one)
  | ArrayBuffer
  | SharedArrayBuffer;

/** A size, or why there is none: the code, the format where known, the detail, and `message` (`FORMAT: detail`). */
export type SizeResult = { width: number; height: number } | { code: ErrorCode; format?: ImageFormatName; detail: string; message: string };

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
type Problem = Omit<RejectFields, 'index'>;

function sizeOf(width: unknown, height: unknown): { width: number; height: number } | Problem {
  for (const [name, value] of [['width', width], ['height', height]] as const) {
    if (typeof value !== 'number') return { code: 'INVALID_DIMENSIONS', detail: `image ${name} is not a number: got ${notANumber(value)}` };
  }
  return { width: width as number, height: height as number };
}

/** The size of an image that is not encoded bytes, or why it has none. */
function objectSize(image: unknown): { width: number; height: number } | Problem {
  if (image === undefined || image === null) {
    return { code: 'MISSING_IMAGE', detail: 'sample has no `image`' };
  }
  if (typeof image !== 'object') {
    return { code: 'UNSUPPORTED_IMAGE', detail: `image is a ${typeof image}; expected an object with width and height` };
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
 * A buffer's sizes as the planner takes them in one call: every width, then every height (one
 * array: one allocation and one copy into wasm), NaN where no size could be read, and why in
 * `problems` (fields by index; each caller composes its messages).
 */
export interface BufferSizes {
  sides: Float64Array;
  problems: Map<number, RejectFields>;
}

/** Sizes of `images` (one per entry; `undefined` images are missing). */
export function collectSizes(images: readonly unknown[]): BufferSizes {
  return collect(images.length, (i) => images[i]);
}

/**
 * `collectSizes` for a buffer of samples: a sample that is not an object is named as such. The
 * sides are written into `room` when it is large enough (see `collect`).
 */
export function bufferSizes(buffer: readonly unknown[], room?: Float64Array): BufferSizes {
  if (!Array.isArray(buffer)) {
    throw new BatcherError('INVALID_INPUT', `buffer must be an array of samples, got ${buffer === null ? 'null' : typeof buffer}`);
  }
  return collect(buffer.length, (i) => buffer[i], true, room);
}

/** The one loop over a buffer's images (`itemAt(i)`: an image, or a sample holding one). */
function collect(n: number, itemAt: (i: number) => unknown, samples = false, room?: Float64Array): BufferSizes {
  // A typed array of over 64 bytes is allocated outside V8's heap, at about 1.4 us: a tenth of
  // what Simple takes for a whole buffer of 128. A view of a lent array costs a fifth of that.
  const sides = room !== undefined && room.length >= 2 * n ? room.subarray(0, 2 * n) : new Float64Array(2 * n);
  const problems = new Map<number, RejectFields>();
  const problem = (i: number, p: Problem) => {
    problems.set(i, { index: i, ...p });
    sides[i] = sides[n + i] = Number.NaN;
  };
  const files: Uint8Array[] = [];
  const positions: number[] = [];
  let current: unknown; // the image being read, for `sampleFault`
  for (let i = 0; i < n; i++) {
    current = undefined;
    try {
      readOne(i);
    } catch (error) {
      // A getter or Proxy that throws, a detached buffer: this sample's reject, not the call's.
      problem(i, sampleFault(error, current));
    }
  }
  /** Reads item `i` into `sides` (or a problem). */
  function readOne(i: number): void {
    const item = itemAt(i);
    let image = item;
    if (samples) {
      if (typeof item !== 'object' || item === null) {
        problem(i, { code: 'MISSING_IMAGE', detail: `sample is ${item === null ? 'null' : typeof item}; expected an object with an \`image\`` });
        return;
      }
      image = (item as { image?: unknown }).image;
    }
    current = image;
    // The common case first, without allocating: a plain object with numeric width and height.
    const o = image as { width?: unknown; height?: unknown; naturalWidth?: unknown; displayWidth?: unknown; shape?: unknown } | null | undefined;
    if (typeof o === 'object' && o !== null && typeof o.width === 'number' && typeof o.height === 'number' && o.naturalWidth === undefined && o.displayWidth === undefined) {
      sides[i] = o.width;
      sides[n + i] = o.height;
      return;
    }
    if (isBytes(image)) {
      files.push(asBytes(image));
      positions.push(i);
      return;
    }
    const size = objectSize(image);
    if ('code' in size) problem(i, size);
    else {
      sides[i] = size.width;
      sides[n + i] = size.height;
    }
  }
  if (files.length > 0) {
    readHeaders(files).forEach((size, k) => {
      const i = positions[k] as number;
      if ('code' in size) problem(i, size);
      else {
        sides[i] = size.width;
        sides[n + i] = size.height;
      }
    });
  }
  return { sides, problems };
}

/**
 * `callWasm` for a buffer: an error about a sample the adapter could not read says why (the
 * adapter's own reason, which wasm only sees as NaN). Messages name samples with `subject`.
 */
export function callWasmOnBuffer<T>(problems: ReadonlyMap<number, RejectFields>, call: () => T, subject = sampleSubject): T {
  try {
    return callWasm(call, subject);
  } catch (error) {
    const own = error instanceof BatcherError && error.index !== undefined ? problems.get(error.index) : undefined;
    if (own) throw rejectError(own, subject(own.index));
    throw error;
  }
}

/** Rejects from wasm, with the adapter's own reasons where it had one. */
export function withAdapterProblems(rejects: RejectFields[], problems: ReadonlyMap<number, RejectFields>): RejectFields[] {
  return problems.size === 0 ? rejects : rejects.map((r) => problems.get(r.index) ?? r);
}

/** Rejects with their messages, each sample named by `subject`. */
export function composeRejects(rejects: readonly RejectFields[], subject = sampleSubject): Reject[] {
  return rejects.map((r) => composeReject(r, subject(r.index)));
}

/**
 * The pixel size of each image exactly as the batchers read it, or why it cannot be read:
 * `{ width, height }` or `{ code, format?, detail, message }`. Encoded bytes (PNG, JPEG, WebP,
 * GIF, BMP, AVIF, HEIC) are read from their headers inside wasm, all of them in one pass.
 */
export function imageSizes(images: readonly unknown[]): SizeResult[] {
  if (!Array.isArray(images)) return [];
  const sizes = collectSizes(images);
  const n = images.length;
  return images.map((_, i) => {
    const problem = sizes.problems.get(i);
    if (problem) {
      const { index: _index, ...fields } = problem;
      return { ...fields, message: describeReject(problem) };
    }
    return { width: sizes.sides[i] as number, height: sizes.sides[n + i] as number };
  });
}
