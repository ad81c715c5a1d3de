// Shared by the imaging benchmarks (resize-benchmark.ts, pool-benchmark.ts): photo-like test
// images and the JS normalisation the sharp and jimp peers need.
import sharp from 'sharp';

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
