// Reads an image's size from the objects users hold. Only the adapter lives here; whether the
// size is valid is decided in Rust, so that every binding reports the same rule.
import type { ErrorCode } from './errors.js';

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
