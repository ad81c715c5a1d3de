// Shared by the imaging tests: the committed photo fixtures and image comparisons.
import { readFileSync } from 'node:fs';

export const PHOTOS = new URL('./fixtures/photos/', import.meta.url);

/** Every fixture, with the size it has once shown upright, and the file sharp reads for it. */
export const FIXTURES = [
  { file: 'astronaut.jpg', format: 'JPEG', width: 160, height: 120 },
  { file: 'chelsea-o6.jpg', format: 'JPEG', width: 144, height: 96 }, // stored 96 x 144, EXIF orientation 6
  { file: 'coffee-o8.jpg', format: 'JPEG', width: 150, height: 100 }, // stored 100 x 150, EXIF orientation 8
  { file: 'coffee.png', format: 'PNG', width: 150, height: 100 },
  { file: 'rocket-lossy.webp', format: 'WebP', width: 120, height: 160 },
  { file: 'chelsea-lossless.webp', format: 'WebP', width: 140, height: 105 },
  { file: 'astronaut.gif', format: 'GIF', width: 128, height: 128 },
  { file: 'rocket.bmp', format: 'BMP', width: 136, height: 102 },
] as const;

export function photo(file: string): Buffer {
  return readFileSync(new URL(file, PHOTOS));
}

/** Peak signal-to-noise ratio (dB, 8-bit peak) and largest absolute difference of two pixel arrays. */
export function compare(a: ArrayLike<number>, b: ArrayLike<number>): { psnr: number; maxError: number } {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let se = 0;
  let maxError = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    se += d * d;
    maxError = Math.max(maxError, Math.abs(d));
  }
  const mse = se / a.length;
  return { psnr: mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse), maxError };
}
