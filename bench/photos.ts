// Shared by the imaging benchmarks (resize-benchmark.ts, pool-benchmark.ts, decode-benchmark.ts):
// photo-like test images, the decode mix (formats x sizes, real camera photos when present) and
// the JS normalisation the sharp and jimp peers need.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { verifyImages } from 'mm-tokenize-batcher/imaging';

/** Photo-like synthetic content: smooth gradients, a few soft blobs, mild noise (deterministic). */
export function syntheticRgb(width: number, height: number, seed: number): Buffer {
  let s = (seed * 2654435761) >>> 0 || 1;
  const rand = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const blobs = Array.from({ length: 6 }, () => ({ x: rand() * width, y: rand() * height, r: (0.1 + rand() * 0.3) * Math.min(width, height), c: [rand(), rand(), rand()].map((v) => v * 255) }));
  const px = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let rgb = [(x / width) * 160 + 40, (y / height) * 140 + 50, 120 + 60 * Math.sin((x + y) / 37)];
      for (const b of blobs) {
        const d = Math.hypot(x - b.x, y - b.y) / b.r;
        if (d < 1) {
          const w = (1 - d * d) * 0.8;
          rgb = rgb.map((v, c) => v * (1 - w) + (b.c[c] as number) * w);
        }
      }
      const i = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) px[i + c] = Math.max(0, Math.min(255, (rgb[c] as number) + (rand() - 0.5) * 12));
    }
  }
  return px;
}

/** Photo sizes around 1024 x 768, landscape and portrait (the pool and loader benchmarks'). */
export const PHOTO_SHAPES: [number, number][] = [
  [1024, 768],
  [768, 1024],
  [1024, 683],
  [960, 720],
  [1000, 750],
  [800, 1066],
];

/** Photo `k` of `width x height`, encoded as JPEG (quality 85) for even `k`, PNG for odd. */
export async function encodedPhoto(width: number, height: number, k: number): Promise<{ bytes: Buffer; format: 'jpeg' | 'png' }> {
  const raw = sharp(syntheticRgb(width, height, k + 1), { raw: { width, height, channels: 3 } });
  const format = k % 2 === 0 ? 'jpeg' : 'png';
  return { bytes: format === 'jpeg' ? await raw.jpeg({ quality: 85 }).toBuffer() : await raw.png().toBuffer(), format };
}

/** Normalises interleaved pixels (3 or 4 channels) into NCHW float32 at image `n` of `out`. */
export function normaliseInto(
  out: Float32Array,
  n: number,
  pixels: Uint8Array,
  channels: number,
  h: number,
  w: number,
  { mean, std }: { mean: readonly number[]; std: readonly number[] },
): void {
  const plane = h * w;
  const base = n * 3 * plane;
  for (let c = 0; c < 3; c++) {
    const scale = 1 / (255 * (std[c] as number));
    const bias = -(mean[c] as number) / (std[c] as number);
    const dst = base + c * plane;
    for (let i = 0; i < plane; i++) out[dst + i] = (pixels[i * channels + c] as number) * scale + bias;
  }
}

/** The decode benchmark's encodings (issue 24): the formats people's images come in. */
export const DECODE_FORMATS = ['JPEG 4:2:0', 'JPEG 4:4:4', 'JPEG progressive', 'PNG RGB', 'PNG RGBA', 'WebP lossy', 'WebP lossless'] as const;
export type DecodeFormat = (typeof DECODE_FORMATS)[number] | 'camera JPEG';

/** Source sizes (megapixels, landscape width x height): phone thumbnails to 12 MP sensors. */
export const DECODE_SIZES: { megapixels: number; width: number; height: number }[] = [
  { megapixels: 0.3, width: 640, height: 480 },
  { megapixels: 1, width: 1152, height: 864 },
  { megapixels: 3, width: 2048, height: 1536 },
  { megapixels: 12, width: 4032, height: 3024 },
];

export interface MixImage {
  /** File name in the cache folder, or the camera photo's name. */
  name: string;
  format: DecodeFormat;
  /** The size class (DECODE_SIZES' megapixels) it counts under. */
  megapixels: number;
  width: number;
  height: number;
  bytes: Uint8Array;
}

/** A photo-like raster with an alpha plane that varies smoothly (a vignette), for the RGBA rows. */
function withAlpha(rgb: Buffer, width: number, height: number): Buffer {
  const out = Buffer.alloc(width * height * 4);
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i++) {
      out[i * 4] = rgb[i * 3] as number;
      out[i * 4 + 1] = rgb[i * 3 + 1] as number;
      out[i * 4 + 2] = rgb[i * 3 + 2] as number;
      out[i * 4 + 3] = 255 - Math.round(200 * Math.min(1, Math.hypot(x / width - 0.5, y / height - 0.5) * 1.6));
    }
  }
  return out;
}

async function encode(format: (typeof DECODE_FORMATS)[number], rgb: Buffer, width: number, height: number): Promise<Buffer> {
  if (format === 'PNG RGBA') return sharp(withAlpha(rgb, width, height), { raw: { width, height, channels: 4 } }).png().toBuffer();
  const raw = sharp(rgb, { raw: { width, height, channels: 3 } });
  switch (format) {
    case 'JPEG 4:2:0':
      return raw.jpeg({ quality: 85, chromaSubsampling: '4:2:0' }).toBuffer();
    case 'JPEG 4:4:4':
      return raw.jpeg({ quality: 85, chromaSubsampling: '4:4:4' }).toBuffer();
    case 'JPEG progressive':
      return raw.jpeg({ quality: 85, chromaSubsampling: '4:2:0', progressive: true }).toBuffer();
    case 'PNG RGB':
      return raw.png().toBuffer();
    case 'WebP lossy':
      return raw.webp({ quality: 85 }).toBuffer();
    case 'WebP lossless':
      return raw.webp({ lossless: true }).toBuffer();
  }
}

/**
 * The decode mix: every format of DECODE_FORMATS at every size of DECODE_SIZES, `perCell` images
 * each (alternately landscape and portrait, each its own content), generated once with sharp and
 * cached in `cacheDir` (12 MP lossless WebP takes a while to encode). Deterministic: the same
 * bytes on every machine with the same sharp.
 */
export async function decodeMix(cacheDir: string, perCell: number, log: (line: string) => void = () => {}, sizes = DECODE_SIZES): Promise<MixImage[]> {
  mkdirSync(cacheDir, { recursive: true });
  const out: MixImage[] = [];
  for (const size of sizes) {
    for (let k = 0; k < perCell; k++) {
      const [width, height] = k % 2 === 0 ? [size.width, size.height] : [size.height, size.width];
      let rgb: Buffer | undefined;
      for (const format of DECODE_FORMATS) {
        const ext = format.startsWith('JPEG') ? 'jpg' : format.startsWith('PNG') ? 'png' : 'webp';
        const name = `${size.megapixels}mp-${k}-${format.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.${ext}`;
        const file = join(cacheDir, name);
        if (!existsSync(file)) {
          const started = performance.now();
          rgb ??= syntheticRgb(width, height, 1000 * size.megapixels + k + 1);
          writeFileSync(file, await encode(format, rgb, width, height));
          log(`made ${name} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
        }
        out.push({ name, format, megapixels: size.megapixels, width, height, bytes: new Uint8Array(readFileSync(file)) });
      }
    }
  }
  return out;
}

/** Where real camera JPEGs are looked for: $BENCH_CAMERA_PHOTOS, else this cache folder. */
export const cameraPhotoDir = (): string => process.env.BENCH_CAMERA_PHOTOS ?? join(os.homedir(), '.cache', 'mm-tokenize-batcher', 'camera-photos');

/**
 * Real camera JPEGs from `dir` (none when it is absent): each counted under the nearest size class
 * (in log megapixels), at most `perClass` per class (by name). Sizes come from sharp's metadata,
 * upright (EXIF orientation applied). A photo this package refuses is not a speed row
 * (exif-samples' `corrupted.jpg` has a damaged scan that libjpeg, and so sharp, decodes with a
 * warning): it is named through `log`, then left out.
 */
export async function cameraPhotos(dir: string, perClass: number, log: (line: string) => void = console.log): Promise<MixImage[]> {
  if (!existsSync(dir)) return [];
  const out: MixImage[] = [];
  const taken = new Map<number, number>();
  for (const name of readdirSync(dir).filter((f) => /\.jpe?g$/i.test(f)).sort()) {
    const bytes = new Uint8Array(readFileSync(join(dir, name)));
    let meta;
    try {
      meta = await sharp(bytes).metadata();
    } catch {
      continue; // not a readable JPEG: not a photo for a speed table
    }
    if (!meta.width || !meta.height) continue;
    const [problem] = verifyImages([bytes]);
    if (problem) {
      log(`camera photo ${name} left out: this package refuses it (${problem.message})`);
      continue;
    }
    const [width, height] = (meta.orientation ?? 1) >= 5 ? [meta.height, meta.width] : [meta.width, meta.height];
    const mp = (width * height) / 1e6;
    const nearest = DECODE_SIZES.reduce((best, s) => (Math.abs(Math.log(s.megapixels / mp)) < Math.abs(Math.log(best.megapixels / mp)) ? s : best));
    const n = taken.get(nearest.megapixels) ?? 0;
    if (n >= perClass) continue;
    taken.set(nearest.megapixels, n + 1);
    out.push({ name, format: 'camera JPEG', megapixels: nearest.megapixels, width, height, bytes });
  }
  return out;
}
