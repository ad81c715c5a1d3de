// Resize benchmark (not a timed test): images per second for decode + resize + normalise into
// batch tensors (float32 NCHW, CLIP mean/std, bilinear, stretch), single thread, on a fixed set of
// JPEG and PNG images whose sides follow the SPEC distribution (uniform in 224..1024, fixed seed),
// generated here with sharp from synthetic photo-like content (no network, no files committed).
// Batches come from SortedBatcher (batch size 8, multipleOf 28), so every library resizes the same
// images to the same sizes. Peers: this package's wasm path, sharp (libvips, concurrency 1),
// jimp, and TF.js (cpu and wasm backends; decoding in this package's wasm, resize and normalise as
// TF.js ops). Also: reading 10,000 headers (planning from bytes) against decoding them.
// Writes bench/results/resize-benchmark.json and the report (resize-benchmark.md: reports/).
import { mkdirSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import os from 'node:os';
import sharp from 'sharp';
import { encodedPhoto, normaliseInto } from './photos.js';
import { Jimp, ResizeStrategy } from 'jimp';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { SimpleBatcher, SortedBatcher, seedBenchmarkSamples, type Batch } from 'mm-tokenize-batcher';
import { tensorDefaults, toTensor, toTfTensor } from 'mm-tokenize-batcher/imaging';
import { writeReport } from './reports/index.js';

const IMAGES = Number(process.env.BENCH_IMAGES ?? 48); // half JPEG, half PNG
const JIMP_IMAGES = Number(process.env.BENCH_JIMP_IMAGES ?? 16); // jimp is slow: a subset
const BATCH_SIZE = 8;
const HEADERS = 10_000;
const RUNS = Number(process.env.BENCH_RUNS ?? 5); // each figure: the median of RUNS passes
const clip = tensorDefaults().normalize.clip;

sharp.concurrency(1);
sharp.cache(false);

async function makeImages(): Promise<{ bytes: Buffer; format: string; width: number; height: number }[]> {
  const sizes = seedBenchmarkSamples(IMAGES, 7);
  const out = [];
  for (const [k, { image }] of sizes.entries()) {
    const { width, height } = image as { width: number; height: number };
    const { bytes, format } = await encodedPhoto(width, height, k);
    out.push({ bytes, format, width, height });
  }
  return out;
}

type Runner = (batch: Batch) => Promise<unknown>;

const runners: Record<string, Runner> = {
  'mm-tokenize-batcher (wasm)': async (batch) => toTensor(batch, { normalize: 'clip' }),
  'sharp (libvips, concurrency 1)': async (batch) => {
    const [h, w] = batch.resizeSize;
    const out = new Float32Array(batch.images.length * 3 * h * w);
    for (const [n, image] of batch.images.entries()) {
      const px = await sharp(image as Buffer).resize(w, h, { fit: 'fill', kernel: 'linear' }).removeAlpha().raw().toBuffer();
      normaliseInto(out, n, px, 3, h, w, clip);
    }
    return out;
  },
  jimp: async (batch) => {
    const [h, w] = batch.resizeSize;
    const out = new Float32Array(batch.images.length * 3 * h * w);
    for (const [n, image] of batch.images.entries()) {
      const img = await Jimp.fromBuffer(image as Buffer);
      img.resize({ w, h, mode: ResizeStrategy.BILINEAR });
      normaliseInto(out, n, img.bitmap.data as Uint8Array, 4, h, w, clip);
    }
    return out;
  },
  'TF.js cpu (wasm decode + tf ops)': async (batch) => {
    const t = await toTfTensor(batch, { normalize: 'clip', tf });
    await t.tensor.data();
    t.tensor.dispose();
  },
  'TF.js wasm (wasm decode + tf ops)': async (batch) => {
    const t = await toTfTensor(batch, { normalize: 'clip', tf });
    await t.tensor.data();
    t.tensor.dispose();
  },
};

async function measure(name: string, runner: Runner, batches: Batch[]): Promise<{ images: number; seconds: number; imagesPerSecond: number }> {
  if (name.startsWith('TF.js cpu')) await tf.setBackend('cpu');
  if (name.startsWith('TF.js wasm')) await tf.setBackend('wasm');
  await runner(batches[0] as Batch); // warm up (JIT, wasm compile, TF kernels)
  const images = batches.reduce((n, b) => n + b.images.length, 0);
  const times: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const start = performance.now();
    for (const batch of batches) await runner(batch);
    times.push((performance.now() - start) / 1000);
  }
  const seconds = times.sort((a, b) => a - b)[RUNS >> 1] as number;
  return { images, seconds, imagesPerSecond: images / seconds };
}

function plan(images: Buffer[]): Batch[] {
  return new SortedBatcher({ batchSize: BATCH_SIZE, multipleOf: 28 }).batch(images.map((image) => ({ image })));
}

async function main(): Promise<void> {
  console.log(`generating ${IMAGES} images (JPEG q85 and PNG, sides uniform in 224..1024) ...`);
  const images = await makeImages();
  const megapixels = images.reduce((s, i) => s + i.width * i.height, 0) / images.length / 1e6;
  const all = plan(images.map((i) => i.bytes));
  const subset = plan(images.slice(0, JIMP_IMAGES).map((i) => i.bytes));
  console.log(`mean ${megapixels.toFixed(2)} MP per image; ${all.length} batches of up to ${BATCH_SIZE}\n`);

  const results: Record<string, { images: number; seconds: number; imagesPerSecond: number; ratioToSharp?: number; subset?: boolean }> = {};
  for (const [name, runner] of Object.entries(runners)) {
    const slow = name === 'jimp' || name.startsWith('TF.js cpu');
    results[name] = { ...(await measure(name, runner, slow ? subset : all)), subset: slow };
  }
  // Same subset for sharp and the wasm path, so ratios of the slow peers compare like with like.
  const sharpSubset = await measure('sharp', runners['sharp (libvips, concurrency 1)'] as Runner, subset);
  const oursSubset = await measure('wasm', runners['mm-tokenize-batcher (wasm)'] as Runner, subset);
  const sharpRate = (results['sharp (libvips, concurrency 1)'] as { imagesPerSecond: number }).imagesPerSecond;
  console.log('decode + resize + normalise into batch tensors (float32 NCHW, CLIP), single thread');
  console.log(`(median of ${RUNS} passes; seconds are one pass)`);
  console.log('peer                                   images   seconds   images/s   vs sharp');
  for (const [name, r] of Object.entries(results)) {
    r.ratioToSharp = r.imagesPerSecond / (r.subset ? sharpSubset.imagesPerSecond : sharpRate);
    console.log(`${(name + (r.subset ? ' *' : '')).padEnd(38)} ${String(r.images).padStart(6)} ${r.seconds.toFixed(2).padStart(9)} ${r.imagesPerSecond.toFixed(1).padStart(10)} ${r.ratioToSharp.toFixed(2).padStart(9)}x`);
  }
  console.log(
    `* on the first ${JIMP_IMAGES} images; on that subset sharp ran ${sharpSubset.imagesPerSecond.toFixed(1)} images/s and the wasm path ${oursSubset.imagesPerSecond.toFixed(1)}`,
  );
  const ours = results['mm-tokenize-batcher (wasm)'] as { imagesPerSecond: number };
  const jimpRate = (results.jimp as { imagesPerSecond: number }).imagesPerSecond;
  console.log(
    `wasm vs jimp (same subset): ${(oursSubset.imagesPerSecond / jimpRate).toFixed(1)}x (goal >= 10x); wasm vs sharp: ${(ours.imagesPerSecond / sharpRate).toFixed(2)}x (goal >= 0.5x)`,
  );

  // Where the wasm path's time goes: decoding alone (resize to 1 x 1 costs next to nothing).
  const decodeSeconds = (await measure('decode', async (batch) => toTensor(batch, { size: [1, 1] }), all)).seconds;
  const totalSeconds = IMAGES / ours.imagesPerSecond;
  console.log(`wasm path: decoding ${((decodeSeconds / totalSeconds) * 100).toFixed(0)}% of the time, resize + normalise + copy ${(100 - (decodeSeconds / totalSeconds) * 100).toFixed(0)}%`);

  // 10,000 headers: planning from bytes (header reading in wasm) vs from known sizes, vs decoding.
  const buffer = Array.from({ length: HEADERS }, (_, i) => ({ image: (images[i % images.length] as { bytes: Buffer }).bytes }));
  const sized = Array.from({ length: HEADERS }, (_, i) => ({ image: { width: images[i % images.length]!.width, height: images[i % images.length]!.height } }));
  const planner = new SimpleBatcher({ batchSize: 32 });
  const median = (run: () => unknown) => {
    run();
    const times = Array.from({ length: RUNS }, () => {
      const t = performance.now();
      run();
      return performance.now() - t;
    });
    return times.sort((a, b) => a - b)[RUNS >> 1] as number;
  };
  const bytesMs = median(() => planner.batch(buffer));
  const sizedMs = median(() => planner.batch(sized));
  const headerMs = bytesMs - sizedMs;
  const decodeMsPerImage = (decodeSeconds * 1000) / IMAGES;
  console.log(`\n${HEADERS} headers: planning from bytes ${bytesMs.toFixed(1)} ms, from sizes ${sizedMs.toFixed(1)} ms -> header reading ${headerMs.toFixed(1)} ms (${((headerMs * 1000) / HEADERS).toFixed(2)} us per image)`);
  console.log(`decoding the same images: ${decodeMsPerImage.toFixed(2)} ms per image -> ${((decodeMsPerImage * HEADERS) / 1000).toFixed(1)} s for ${HEADERS}; headers are ${((decodeMsPerImage * HEADERS) / headerMs).toFixed(0)}x cheaper`);

  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  const report = {
    date: new Date().toISOString(),
    machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version },
    images: IMAGES,
    meanMegapixels: megapixels,
    batchSize: BATCH_SIZE,
    peers: results,
    sharpOnSubset: sharpSubset,
    wasmOnSubset: oursSubset,
    wasmDecodeShare: decodeSeconds / totalSeconds,
    headers: { count: HEADERS, planFromBytesMs: bytesMs, planFromSizesMs: sizedMs, headerMs, decodeMsPerImage },
  };
  writeFileSync(new URL('./results/resize-benchmark.json', import.meta.url), `${JSON.stringify(report, null, 2)}\n`);
  console.log('\nwrote bench/results/resize-benchmark.json');
  writeReport('resize-benchmark');
}

await main();
