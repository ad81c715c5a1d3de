// Reading pixel sizes the way the batchers do, as a public helper (the CLI reads file headers
// through it).
import { readImageSizes, type SizeResult } from './image-size.js';

export type ImageSizeResult = SizeResult;

/**
 * The pixel size of each image exactly as the batchers read it, or why it cannot be read:
 * `{ width, height }` or `{ code, message }`. Encoded bytes (PNG, JPEG, WebP, GIF, BMP) are read
 * from their headers inside wasm, all of them in one call; pass a file's first bytes when its
 * header is in them (a truncated header is an error, so retry with more bytes).
 */
export function imageSizes(images: readonly unknown[]): ImageSizeResult[] {
  if (!Array.isArray(images)) return [];
  return readImageSizes(images).sizes;
}
