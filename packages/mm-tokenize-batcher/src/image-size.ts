// Reads an image's size from the objects users hold. Only the adapter lives here; whether the
// size is valid is decided in Rust, so that every binding reports the same rule.
import { BatcherError, callWasm, type ErrorCode, type Reject } from './errors.js';
import { wasm } from './wasm.js';

/** Anything whose pixel size can be read without decoding. */
export type ImageLike =
  | { readonly width: number; readonly height: number } // ImageData, ImageBitmap, canvas, OffscreenCanvas, plain objects
  | { readonly naturalWidth: number; readonly naturalHeight: number } // HTMLImageElement
  | { readonly displayWidth: number; readonly displayHeight: number } // VideoFrame
  | { readonly shape: readonly number[] } // TF.js Tensor3D: [height, width, channels]
  | Uint8Array // encoded PNG, JPEG, WebP, GIF or BMP (Node's Buffer is one)
  | ArrayBuffer;

export type SizeResult = { width: number; height: number } | { code: ErrorCode; message: string };

const number = (value: unknown): number => (typeof value === 'number' ? value : Number.NaN);

/** The size of `sample.image` as `{ width, height }` (NaN where a field is not a number). */
export function sampleImageSize(sample: unknown): SizeResult {
  if (typeof sample !== 'object' || sample === null) {
    return { code: 'MISSING_IMAGE', message: `sample is ${sample === null ? 'null' : typeof sample}; expected an object with an \`image\`` };
  }
  return imageSize((sample as { image?: unknown }).image);
}

export function imageSize(image: unknown): SizeResult {
  if (image === undefined || image === null) {
    return { code: 'MISSING_IMAGE', message: 'sample has no `image`' };
  }
  if (typeof image !== 'object') {
    return { code: 'UNSUPPORTED_IMAGE', message: `image is a ${typeof image}; expected an object with width and height` };
  }
  if (isBytes(image)) {
    return readImageSizes([image]).sizes[0] as SizeResult;
  }
  const o = image as Record<string, unknown>;
  // HTMLImageElement's width/height are its layout size; naturalWidth/Height are the pixels.
  if (typeof o.naturalWidth === 'number') return { width: o.naturalWidth, height: number(o.naturalHeight) };
  // VideoFrame: the display size is what a model sees.
  if (typeof o.displayWidth === 'number') return { width: o.displayWidth, height: number(o.displayHeight) };
  if (Array.isArray(o.shape) && o.shape.length === 3 && !('width' in o)) {
    return { width: number(o.shape[1]), height: number(o.shape[0]) };
  }
  return { width: number(o.width), height: number(o.height) };
}

/** Encoded bytes: an `ArrayBuffer` or any view of one (`Uint8Array`, Node `Buffer`, ...). */
export function isBytes(image: unknown): image is ArrayBuffer | ArrayBufferView {
  return image instanceof ArrayBuffer || ArrayBuffer.isView(image);
}

export function asBytes(image: ArrayBuffer | ArrayBufferView): Uint8Array {
  return image instanceof ArrayBuffer ? new Uint8Array(image) : new Uint8Array(image.buffer, image.byteOffset, image.byteLength);
}

/**
 * Bytes of each file handed to the header reader, pass by pass. Almost every size lies in the
 * first 2 KiB (PNG, GIF, BMP, WebP: under 32 bytes; JPEG: after its tables). A JPEG with large
 * metadata first (EXIF thumbnail, ICC profile) needs the second pass; only beyond that the whole file.
 * Small first prefixes matter: the prefixes are copied twice (concatenated, then into wasm).
 */
export const HEADER_PREFIX_PASSES = [2 * 1024, 256 * 1024, Infinity] as const;

/**
 * Sizes of many images at once. Encoded bytes are read inside wasm in one call per pass: the
 * first bytes of each file laid end to end; only images whose size lies beyond their prefix go
 * on to the next, longer pass.
 */
export function readImageSizes(images: readonly unknown[]): { sizes: SizeResult[]; formats: (string | undefined)[] } {
  const sizes: SizeResult[] = new Array(images.length);
  const formats: (string | undefined)[] = new Array(images.length).fill(undefined);
  let encoded: number[] = [];
  images.forEach((image, i) => {
    if (isBytes(image)) encoded.push(i);
    else sizes[i] = imageSize(image);
  });
  for (const limit of HEADER_PREFIX_PASSES) {
    if (encoded.length === 0) break;
    const files = encoded.map((i) => asBytes(images[i] as ArrayBuffer | ArrayBufferView));
    const offsets = new Uint32Array(files.length + 1);
    files.forEach((f, k) => (offsets[k + 1] = (offsets[k] as number) + Math.min(f.byteLength, limit)));
    const bytes = new Uint8Array(offsets[files.length] as number);
    files.forEach((f, k) => bytes.set(f.byteLength > limit ? f.subarray(0, limit) : f, offsets[k]));
    const lengths = Float64Array.from(files, (f) => f.byteLength);
    const read = wasm().readHeaders(bytes, offsets, lengths) as HeaderResults;
    const again: number[] = [];
    encoded.forEach((i, k) => {
      formats[i] = read.formats[k];
      if (read.status[k] === 0) sizes[i] = { width: read.widths[k] as number, height: read.heights[k] as number };
      else if (read.status[k] === 1 && limit !== Infinity) again.push(i);
      else sizes[i] = { code: (read.codes[k] ?? 'INVALID_IMAGE') as ErrorCode, message: read.messages[k] ?? 'unreadable header' };
    });
    encoded = again;
  }
  return { sizes, formats };
}

interface HeaderResults {
  widths: Float64Array;
  heights: Float64Array;
  status: Uint8Array;
  formats: (string | undefined)[];
  codes: (string | undefined)[];
  messages: (string | undefined)[];
}

/** Sizes of every sample's image, for planning: NaN sizes where a problem is listed. */
export function readSampleSizes(buffer: readonly unknown[]): {
  widths: Float64Array;
  heights: Float64Array;
  problems: Map<number, { index: number; code: ErrorCode; message: string }>;
} {
  const n = buffer.length;
  const widths = new Float64Array(n);
  const heights = new Float64Array(n);
  const problems = new Map<number, { index: number; code: ErrorCode; message: string }>();
  const set = (i: number, size: SizeResult) => {
    if ('code' in size) {
      problems.set(i, { index: i, code: size.code, message: `sample ${i}: ${size.message}` });
      widths[i] = heights[i] = Number.NaN;
    } else {
      widths[i] = size.width;
      heights[i] = size.height;
    }
  };
  // Sized objects are read here, one by one; encoded images are gathered for one wasm call.
  const encoded: number[] = [];
  for (let i = 0; i < n; i++) {
    const sample = buffer[i];
    const image = typeof sample === 'object' && sample !== null ? (sample as { image?: unknown }).image : undefined;
    if (isBytes(image)) encoded.push(i);
    else set(i, image === undefined ? sampleImageSize(sample) : imageSize(image));
  }
  if (encoded.length > 0) {
    const { sizes } = readImageSizes(encoded.map((i) => (buffer[i] as { image: unknown }).image));
    encoded.forEach((i, k) => set(i, sizes[k] as SizeResult));
  }
  return { widths, heights, problems };
}

/** `readSampleSizes` for a buffer as users pass it: it must be an array. */
export function bufferSizes(buffer: readonly unknown[]): ReturnType<typeof readSampleSizes> {
  if (!Array.isArray(buffer)) {
    throw new BatcherError('INVALID_INPUT', `buffer must be an array of samples, got ${buffer === null ? 'null' : typeof buffer}`);
  }
  return readSampleSizes(buffer);
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
export function withAdapterProblems(rejects: readonly Reject[], problems: ReadonlyMap<number, Reject>): Reject[] {
  return rejects.map((r) => problems.get(r.index) ?? r);
}
