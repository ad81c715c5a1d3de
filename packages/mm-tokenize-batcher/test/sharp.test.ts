// The wasm resizer against sharp (libvips) on real photographs, in every format and filter.
//
// Metric: PSNR over all RGB samples (8-bit peak) and the largest absolute difference.
// - Downscaling (the usual case for VLM inputs): PSNR >= 45 dB and max error <= 16 for every
//   format and filter. Measured: 50.6 to 61.7 dB, max error 1 to 10; what remains is the decoders
//   (libjpeg-turbo vs zune-jpeg chroma upsampling; GIF/WebP decoders) and rounding of the kernels.
// - Upscaling: libvips shifts enlarged images by about half a pixel (corner convention for
//   upsizing, libvips/libvips#4841), while this package uses half-pixel centres as PIL and TF.js
//   (`halfPixelCenters`) do, so the two differ by design. The test keeps a loose PSNR >= 24 dB
//   (measured 26.7 to 36.0 dB) to catch gross errors; exact upscaling is checked against TF.js in
//   tfjs.test.ts and against hand-computed values in imaging.test.ts.
// sharp runs with `fastShrinkOnLoad: false` (no JPEG DCT-domain shrinking) and `.rotate()` (EXIF
// orientation). sharp cannot read BMP: it reads rocket.png, whose pixels are rocket.bmp's.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { toTensor } from 'mm-tokenize-batcher/imaging';
import { FIXTURES, compare, photo } from './helpers.js';

const FILTERS = [
  ['bilinear', 'linear'],
  ['bicubic', 'cubic'], // both Catmull-Rom
  ['lanczos3', 'lanczos3'],
] as const;

const SIZES = [
  { label: 'down', size: [70, 90] as [number, number], minPsnr: 45, maxError: 16 },
  { label: 'down, square', size: [64, 64] as [number, number], minPsnr: 45, maxError: 16 },
  { label: 'up', size: [200, 230] as [number, number], minPsnr: 24, maxError: 255 },
];

describe.each(FIXTURES)('$file vs sharp', ({ file }) => {
  const bytes = photo(file);
  const reference = file === 'rocket.bmp' ? photo('rocket.png') : bytes;
  it.each(FILTERS.flatMap(([filter, kernel]) => SIZES.map((s) => ({ filter, kernel, ...s }))))(
    '$filter, $label $size',
    async ({ filter, kernel, size, minPsnr, maxError }) => {
      const [h, w] = size;
      const ours = toTensor({ images: [bytes], resizeSize: size }, { dtype: 'uint8', filter }).data;
      const theirs = await sharp(reference).rotate().resize(w, h, { fit: 'fill', kernel, fastShrinkOnLoad: false }).removeAlpha().raw().toBuffer();
      const { psnr, maxError: max } = compare(ours, theirs);
      expect(psnr).toBeGreaterThanOrEqual(minPsnr);
      expect(max).toBeLessThanOrEqual(maxError);
    },
  );
});
