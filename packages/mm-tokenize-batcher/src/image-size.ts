// Reads an image's size from the objects users hold. Only the adapter lives here; whether the
// size is valid is decided in Rust, so that every binding reports the same rule.
import { BatcherError, callWasm, type ErrorCode, type Reject } from './errors.js';

/** Anything whose pixel size can be read without decoding. */
export type ImageLike =
  | { readonly width: number; readonly height: number } // ImageData, ImageBitmap, canvas, OffscreenCanvas, plain objects
  | { readonly naturalWidth: number; readonly naturalHeight: number } // HTMLImageElement
  | { readonly displayWidth: number; readonly displayHeight: number } // VideoFrame
  | { readonly shape: readonly number[] }; // TF.js Tensor3D: [height, width, channels]

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
  if (image instanceof ArrayBuffer || ArrayBuffer.isView(image)) {
    return {
      code: 'UNSUPPORTED_IMAGE',
      message: 'encoded image bytes are not read by this version; pass an object with width and height',
    };
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

/**
 * The sizes of a whole buffer as typed arrays, for one crossing into wasm. Problems only the
 * adapter can name (no image, a string) are kept by index; Rust sees NaN there and reports the
 * index in order with every other problem, and the adapter's message then replaces its own.
 */
export function bufferSizes(buffer: readonly unknown[]): { widths: Float64Array; heights: Float64Array; problems: Map<number, Reject> } {
  if (!Array.isArray(buffer)) {
    throw new BatcherError('INVALID_INPUT', `buffer must be an array of samples, got ${buffer === null ? 'null' : typeof buffer}`);
  }
  const n = buffer.length;
  const widths = new Float64Array(n);
  const heights = new Float64Array(n);
  const problems = new Map<number, Reject>();
  for (let i = 0; i < n; i++) {
    const size = sampleImageSize(buffer[i]);
    if ('code' in size) {
      problems.set(i, { index: i, code: size.code, message: `sample ${i}: ${size.message}` });
      widths[i] = heights[i] = Number.NaN;
    } else {
      widths[i] = size.width;
      heights[i] = size.height;
    }
  }
  return { widths, heights, problems };
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
