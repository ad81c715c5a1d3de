// Generates the encoded test images of the conformance script (test/conformance/conformance.js)
// and writes them, base64, into its GENERATED IMAGES block. Run from the repository root:
//
//   node test/conformance/make-images.mjs
//
// PNG, JPEG (one with EXIF orientation 6), GIF and WebP come from `sharp` (a devDependency of
// packages/mm-tokenize-batcher; libvips encoders) applied to small deterministic RGB(A) patterns;
// BMP, which libvips cannot write, is encoded by the tests' `bmpFromRgb` (BITMAPINFOHEADER, 24-bit, bottom-up).
// The output is committed, so conformance runs never depend on sharp or on an encoder's version.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bmpFromRgb } from '../../packages/mm-tokenize-batcher/test/fixtures/images.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const sharp = createRequire(join(here, '../../packages/mm-tokenize-batcher/package.json'))('sharp');

/** A deterministic pattern: gradients plus a checker, so resizing has detail to work on. */
function pattern(width, height, channels, seed) {
  const px = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * channels;
      const checker = (x + y + seed) % 2 ? 40 : 0;
      px[i] = (x * 255) / Math.max(1, width - 1);
      px[i + 1] = ((y * 255) / Math.max(1, height - 1) + checker) & 255;
      px[i + 2] = (seed * 37 + x * 11 + y * 23) & 255;
      if (channels === 4) px[i + 3] = 255 - ((x * 16) & 255);
    }
  }
  return px;
}

const raw = (width, height, channels, seed) => sharp(pattern(width, height, channels, seed), { raw: { width, height, channels } });

const bmp24 = (width, height, seed) => bmpFromRgb(width, height, pattern(width, height, 3, seed));

// [name, width, height (as stored; the upright size is what planning must report), bytes]
const images = [
  ['png-rgb', 8, 6, await raw(8, 6, 3, 1).png().toBuffer()],
  ['png-rgba', 7, 5, await raw(7, 5, 4, 2).png().toBuffer()],
  ['jpeg', 9, 7, await raw(9, 7, 3, 3).jpeg({ quality: 90 }).toBuffer()],
  // Stored 8 x 5 with EXIF orientation 6 (rotate 90° clockwise to show): upright 5 x 8.
  ['jpeg-exif6', 8, 5, await raw(8, 5, 3, 4).jpeg({ quality: 90 }).withMetadata({ orientation: 6 }).toBuffer()],
  ['gif', 6, 9, await raw(6, 9, 3, 5).gif().toBuffer()],
  ['bmp', 7, 4, bmp24(7, 4, 6)],
  ['webp-lossless', 10, 6, await raw(10, 6, 3, 7).webp({ lossless: true }).toBuffer()],
  ['webp-lossy', 6, 10, await raw(6, 10, 3, 8).webp({ quality: 80 }).toBuffer()],
];

for (const [name, width, height, bytes] of images) {
  if (name === 'bmp') continue; // libvips reads no BMP either
  const meta = await sharp(bytes).metadata();
  if ((meta.width !== width || meta.height !== height)) throw new Error(`${name}: sharp reads ${meta.width} x ${meta.height}`);
  if (name === 'jpeg-exif6' && meta.orientation !== 6) throw new Error(`${name}: orientation ${meta.orientation}`);
}

const upright = (name, width, height) => (name === 'jpeg-exif6' ? [height, width] : [width, height]);
const lines = images.map(([name, width, height, bytes]) => {
  const [w, h] = upright(name, width, height);
  return `  ['${name}', ${w}, ${h}, '${bytes.toString('base64')}'],`;
});
const block = [
  '// BEGIN GENERATED IMAGES (node test/conformance/make-images.mjs; do not edit by hand)',
  `// sharp ${sharp.versions.sharp} / libvips ${sharp.versions.vips} encoded PNG, JPEG, GIF and WebP; BMP by make-images.mjs.`,
  '// [name, upright width, upright height, base64 of the file]',
  'const ENCODED_IMAGES = [',
  ...lines,
  '];',
  '// END GENERATED IMAGES',
].join('\n');

const target = join(here, 'conformance.js');
const source = readFileSync(target, 'utf8');
const re = /\/\/ BEGIN GENERATED IMAGES[\s\S]*?\/\/ END GENERATED IMAGES/;
if (!re.test(source)) throw new Error(`${target} has no GENERATED IMAGES block`);
writeFileSync(target, source.replace(re, block));
console.log(`wrote ${images.length} images (${images.reduce((n, i) => n + i[3].length, 0)} bytes) into ${target}`);
