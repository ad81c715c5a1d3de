// End-to-end data loader benchmark (not a timed test): photo files on disk to CLIP batch tensors,
// one epoch, images per second. `createLoader` with 2 workers (headers read, planned with
// Balanced and the clip-vit-l-14 preset, each step's files read and decoded in the imaging pool,
// prefetch 2) against the same pipeline built on sharp at equal threads: sizes from
// `sharp().metadata()`, the same plan (the library's BalancedBatcher, the same preset), then each
// batch's files read and resized by sharp to the batch's resizeSize (`sharp.concurrency(1)`, 2
// pipelines in parallel, `.resize().raw()`, normalised in JS), as a Node loader built on sharp
// would. Setup (headers and plan) is timed once; then, after one untimed epoch each, epochs of
// the same loader (as in training) and of sharp are interleaved, each figure the median of RUNS. The photos: six shapes
// around 1024 x 768 (half JPEG q85, half PNG) generated once by bench/photos.ts, cached in the OS
// temp directory. Writes bench/results/loader-benchmark.json and its report.
//
//   pnpm --filter mm-tokenize-batcher-bench bench:loader     (BENCH_PHOTOS=160 BENCH_RUNS=3 BENCH_PREFETCH=2)
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { BalancedBatcher, presetOptions, type Batch } from 'mm-tokenize-batcher';
import { tensorDefaults } from 'mm-tokenize-batcher/imaging';
import { createLoader, type Loader } from 'mm-tokenize-batcher/loader';
import { PHOTO_SHAPES, encodedPhoto, normaliseInto } from './photos.js';
import { writeReport } from './reports/index.js';

const PHOTOS = Number(process.env.BENCH_PHOTOS ?? 160);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const THREADS = 2;
const PREFETCH = Number(process.env.BENCH_PREFETCH ?? 2);
const BATCH_SIZE = 16;
const PRESET = 'clip-vit-l-14';
const { maxInputPixels: LIMIT_INPUT_PIXELS, normalize: { clip } } = tensorDefaults();

sharp.concurrency(1);
sharp.cache(false);

const SHAPES = PHOTO_SHAPES;

async function photoFiles(): Promise<string[]> {
  const dir = join(os.tmpdir(), `mm-loader-bench-photos-v1-${PHOTOS}`);
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (let k = 0; k < PHOTOS; k++) {
    const [width, height] = SHAPES[k % SHAPES.length]!;
    const file = join(dir, `${k}.${k % 2 === 0 ? 'jpg' : 'png'}`);
    if (!existsSync(file)) writeFileSync(file, (await encodedPhoto(width, height, k)).bytes);
    files.push(file);
  }
  return files;
}

/** `lanes` at once over `count` items, in order of start. */
async function lanes(count: number, width: number, task: (k: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    for (let k = next++; k < count; k = next++) await task(k);
  }));
}

/** The same pipeline's setup on sharp: sizes from metadata (2 at once), then the library's plan. */
async function sharpSetup(files: string[]): Promise<Batch[]> {
  const sizes: { width: number; height: number }[] = new Array(files.length);
  await lanes(files.length, THREADS, async (k) => {
    const m = await sharp(files[k]!, { limitInputPixels: LIMIT_INPUT_PIXELS }).metadata();
    // Upright sizes, as the loader reads them (EXIF orientation 5-8 swaps the sides).
    sizes[k] = (m.orientation ?? 1) >= 5 ? { width: m.height!, height: m.width! } : { width: m.width!, height: m.height! };
  });
  return new BalancedBatcher({ ...presetOptions(PRESET), batchSize: BATCH_SIZE }).batch(sizes.map((image, k) => ({ image, text: files[k] })));
}

/** One epoch on sharp: batches in order, each batch's files read and resized two at a time (the two sharp threads). */
async function sharpEpoch(files: string[], batches: Batch[]): Promise<number> {
  let images = 0;
  for (const batch of batches) {
    const [h, w] = batch.resizeSize;
    const out = new Float32Array(batch.indices.length * 3 * h * w);
    await lanes(batch.indices.length, THREADS, async (n) => {
      const bytes = await readFile(files[batch.indices[n]!]!);
      const px = await sharp(bytes, { limitInputPixels: LIMIT_INPUT_PIXELS }).rotate().resize(w, h, { fit: 'fill', kernel: 'linear' }).removeAlpha().raw().toBuffer();
      normaliseInto(out, n, px, 3, h, w, clip);
    });
    images += batch.indices.length;
  }
  return images;
}

async function loaderEpoch(loader: Loader): Promise<number> {
  let images = 0;
  for await (const batch of loader) images += batch.indices.length;
  return images;
}

async function main() {
  const files = await photoFiles();
  const megabytes = (await Promise.all(files.map((f) => readFile(f)))).reduce((s, b) => s + b.byteLength, 0) / 1e6;
  console.log(`${files.length} photos (six shapes around 1024 x 768, half JPEG q85, half PNG), ${megabytes.toFixed(1)} MB`);
  // Setup, once each, timed: headers and plan (the loader also starts its workers, without waiting for them).
  let t0 = performance.now();
  const loader = await createLoader({ sources: files, preset: PRESET, batchSize: BATCH_SIZE, workers: THREADS, prefetch: PREFETCH });
  const loaderSetup = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const batches = await sharpSetup(files);
  const sharpSetupSeconds = (performance.now() - t0) / 1000;
  // A first epoch each, untimed: workers started and warm, JIT, the OS file cache.
  await loaderEpoch(loader);
  await sharpEpoch(files, batches);
  const samples: Record<'loader' | 'sharp', number[]> = { loader: [], sharp: [] };
  const perCpu: Record<'loader' | 'sharp', number[]> = { loader: [], sharp: [] };
  const loads: number[][] = [];
  try {
    for (let run = 0; run < RUNS; run++) {
      loads.push(os.loadavg());
      for (const [name, epoch] of [['loader', () => loaderEpoch(loader)], ['sharp', () => sharpEpoch(files, batches)]] as const) {
        const cpu = process.cpuUsage();
        const started = performance.now();
        const images = await epoch();
        const seconds = (performance.now() - started) / 1000;
        const used = process.cpuUsage(cpu);
        if (images !== files.length) throw new Error(`${name} delivered ${images} of ${files.length} images`);
        samples[name].push(images / seconds);
        perCpu[name].push(images / ((used.user + used.system) / 1e6));
      }
    }
  } finally {
    await loader.close();
  }
  loads.push(os.loadavg());
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const result = {
    photos: { count: files.length, megabytes, shapes: SHAPES, formats: 'half JPEG q85, half PNG' },
    pipeline: { preset: PRESET, strategy: 'balanced', batchSize: BATCH_SIZE, threads: THREADS, prefetch: PREFETCH, filter: 'bilinear', mode: 'stretch' },
    runs: RUNS,
    cores: typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length,
    cpu: os.cpus()[0]?.model,
    node: process.version,
    loadAverage: loads,
    loader: { imagesPerSecond: median(samples.loader), imagesPerCpuSecond: median(perCpu.loader), setupSeconds: loaderSetup },
    sharp: { imagesPerSecond: median(samples.sharp), imagesPerCpuSecond: median(perCpu.sharp), setupSeconds: sharpSetupSeconds },
    samples,
    perCpuSecond: perCpu,
  };
  console.log(`| pipeline | setup: headers and plan (s) | epoch images/s | images per CPU-s |\n|---|---|---|---|`);
  console.log(`| createLoader, ${THREADS} workers | ${loaderSetup.toFixed(2)} | ${result.loader.imagesPerSecond.toFixed(1)} | ${result.loader.imagesPerCpuSecond.toFixed(1)} |`);
  console.log(`| sharp, ${THREADS} threads | ${sharpSetupSeconds.toFixed(2)} | ${result.sharp.imagesPerSecond.toFixed(1)} | ${result.sharp.imagesPerCpuSecond.toFixed(1)} |`);
  console.log(`loader / sharp: ${(result.loader.imagesPerSecond / result.sharp.imagesPerSecond).toFixed(2)}x (goal >= 0.9x); load average ${loads.map((l) => l[0]!.toFixed(2)).join(' -> ')}`);
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('./results/loader-benchmark.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
  writeReport('loader-benchmark');
}

await main();
