// Decode benchmark (issue 24; not a timed test): milliseconds per image for decode + resize +
// normalise into one float32 NCHW tensor, one image at a time, on the formats people's images
// come in (baseline JPEG 4:2:0 and 4:4:4, progressive JPEG, PNG RGB and RGBA, WebP lossy and
// lossless) at 0.3, 1, 3 and 12 MP, to two targets: 224 x 224 (CLIP) and the Qwen2-VL smart-resize
// size of each image (`smartResize`, its defaults). Real camera JPEGs join as their own rows when a
// folder of them is present (below).
//
// Peers, in the same run, interleaved image by image: this package (`toTensor`, its defaults, on
// this thread); sharp at its defaults (`.rotate().resize(w, h, { fit: 'fill' }).raw()`, lanczos3,
// shrink-on-load on) with `sharp.concurrency(1)` and `(2)`, normalised in JS; sharp on 1 thread
// with `fastShrinkOnLoad: false`, the JPEG shrink rule this package uses (its default shrinks a
// JPEG until the image just covers the target; this one keeps twice the target, as ours does), so
// that the two decoders are compared at one rule too; jimp (224 target
// only: it is slow; it decodes no WebP); and in Debian's headless Chromium, this package's web build and the browser's
// own decoders (`createImageBitmap(blob, { resizeWidth, resizeHeight })`, drawn into an
// `OffscreenCanvas`, `getImageData`, normalised in JS). Each image's figure is the median of RUNS
// timed runs after a warm-up (jimp: one run); a row gives the median over its images and the
// worst image, so that a slow file class cannot hide.
//
// Images: generated once with sharp from synthetic photo-like content (bench/photos.ts
// `decodeMix`, PER_CELL per format and size, landscape and portrait), cached in the OS temp folder;
// nothing is fetched at run time. Real camera photos: every JPEG in $BENCH_CAMERA_PHOTOS (default
// ~/.cache/mm-tokenize-batcher/camera-photos), e.g. the `jpg/` files of the public
// ianare/exif-samples set (CC BY-SA 4.0), copied there by hand; the report says whether they ran.
// Chromium is skipped (and said so) when it is not installed.
//
//   pnpm --filter mm-tokenize-batcher-bench bench:decode   (run by bash scripts/bench.sh)
//   BENCH_DECODE_RUNS=3 BENCH_DECODE_PER_CELL=2 BENCH_CAMERA_PER_CLASS=4 BENCH_DECODE_CHROMIUM=0 BENCH_JIMP=0
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import { basename, dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { Jimp } from 'jimp';
import { smartResize } from 'mm-tokenize-batcher';
import { tensorDefaults, toTensor } from 'mm-tokenize-batcher/imaging';
import { cameraPhotoDir, cameraPhotos, decodeMix, normaliseInto, DECODE_FORMATS, DECODE_SIZES, type MixImage } from './photos.js';
import { facetedLineChart, type FacetPoint } from './charts.js';
import { writeReport } from './reports/index.js';
import { chromiumBinary } from '../test/runtimes/binaries.mjs';

const RUNS = Number(process.env.BENCH_DECODE_RUNS ?? 3);
const PER_CELL = Number(process.env.BENCH_DECODE_PER_CELL ?? 2);
const CAMERA_PER_CLASS = Number(process.env.BENCH_CAMERA_PER_CLASS ?? 4);
const WITH_JIMP = process.env.BENCH_JIMP !== '0';
const WITH_CHROMIUM = process.env.BENCH_DECODE_CHROMIUM !== '0';
// BENCH_DECODE_MAX_MP=1 keeps the sizes up to 1 MP (a quick look; the main job runs them all).
const SIZES = DECODE_SIZES.filter((s) => s.megapixels <= Number(process.env.BENCH_DECODE_MAX_MP ?? Infinity));
const clip = tensorDefaults().normalize.clip;
const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', 'packages', 'mm-tokenize-batcher', 'dist');

export const PEERS = ['this package', 'sharp, 1 thread', 'sharp, 2 threads', 'sharp, 1 thread, our shrink rule', 'jimp', 'Chromium: this package', 'Chromium: createImageBitmap + canvas'] as const;
type Peer = (typeof PEERS)[number];

/** The two targets: `[height, width]` of the tensor for an upright `width x height` image. */
const TARGETS: { name: string; size: (width: number, height: number) => [number, number] }[] = [
  { name: '224x224', size: () => [224, 224] },
  { name: 'Qwen2-VL smart resize', size: (width, height) => smartResize(height, width) },
];

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

sharp.cache(false); // the same bytes are decoded again on every run: no cached results

async function sharpTensor(bytes: Uint8Array, [h, w]: [number, number], threads: number, fastShrinkOnLoad = true): Promise<Float32Array> {
  sharp.concurrency(threads);
  const px = await sharp(bytes).rotate().resize(w, h, { fit: 'fill', fastShrinkOnLoad }).removeAlpha().raw().toBuffer();
  const out = new Float32Array(3 * h * w);
  normaliseInto(out, 0, px, 3, h, w, clip);
  return out;
}

async function jimpTensor(bytes: Uint8Array, [h, w]: [number, number]): Promise<Float32Array> {
  const img = await Jimp.fromBuffer(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  img.resize({ w, h });
  const out = new Float32Array(3 * h * w);
  normaliseInto(out, 0, img.bitmap.data as Uint8Array, 4, h, w, clip);
  return out;
}

const nodePeers: Partial<Record<Peer, (bytes: Uint8Array, size: [number, number]) => Promise<unknown>>> = {
  'this package': async (bytes, size) => toTensor({ images: [bytes], resizeSize: size }, { normalize: 'clip' }),
  'sharp, 1 thread': (bytes, size) => sharpTensor(bytes, size, 1),
  'sharp, 2 threads': (bytes, size) => sharpTensor(bytes, size, 2),
  'sharp, 1 thread, our shrink rule': (bytes, size) => sharpTensor(bytes, size, 1, false),
};

/** One image's figures: peer -> median ms of its runs. */
type Times = Partial<Record<Peer, number>>;

/**
 * The Node peers' figures: wall ms, and the process's CPU ms (every thread: libvips' too), which
 * other load on a shared machine disturbs much less than wall time.
 */
async function timeNode(image: MixImage, size: [number, number], withJimp: boolean): Promise<{ ms: Times; cpuMs: Times }> {
  const samples: Partial<Record<Peer, number[]>> = {};
  const cpuSamples: Partial<Record<Peer, number[]>> = {};
  const peers = Object.entries(nodePeers) as [Peer, (bytes: Uint8Array, size: [number, number]) => Promise<unknown>][];
  for (const [, run] of peers) await run(image.bytes, size); // warm-up
  for (let r = 0; r < RUNS; r++) {
    for (const [name, run] of peers) {
      const cpu = process.cpuUsage();
      const t = performance.now();
      await run(image.bytes, size);
      (samples[name] ??= []).push(performance.now() - t);
      const used = process.cpuUsage(cpu);
      (cpuSamples[name] ??= []).push((used.user + used.system) / 1000);
    }
  }
  if (withJimp) {
    const t = performance.now();
    await jimpTensor(image.bytes, size);
    samples.jimp = [performance.now() - t];
  }
  const medians = (m: Partial<Record<Peer, number[]>>): Times => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, median(v)]));
  return { ms: medians(samples), cpuMs: medians(cpuSamples) };
}

// ---- Chromium: the package's web build and the browser's decoders, in one page ----

/** Serves the built package (dist/) and the images (by index) on 127.0.0.1. */
async function serve(images: MixImage[]): Promise<Server> {
  const types: Record<string, string> = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const image = /^\/image\/(\d+)$/.exec(url.pathname);
    if (image) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(images[Number(image[1])]?.bytes);
      return;
    }
    const file = url.pathname === '/' ? null : join(dist, basename(url.pathname));
    if (file && existsSync(file)) {
      res.writeHead(200, { 'content-type': types[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream' });
      res.end(readFileSync(file));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>decode benchmark</title>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** Runs in the page: times both browser peers on image `index`, interleaved; median ms of `runs`. */
async function inPage({ index, size, runs, mean, std }: { index: number; size: [number, number]; runs: number; mean: number[]; std: number[] }) {
  const w = window as unknown as { imaging?: { toTensor: (batch: unknown, options: unknown) => unknown } };
  if (!w.imaging) {
    const m = await import('/imaging-web.js' as string);
    await m.initImaging();
    w.imaging = m;
  }
  const bytes = new Uint8Array(await (await fetch(`/image/${index}`)).arrayBuffer());
  const [h, wd] = size;
  const native = async () => {
    const bitmap = await createImageBitmap(new Blob([bytes]), { resizeWidth: wd, resizeHeight: h, resizeQuality: 'medium', premultiplyAlpha: 'none', colorSpaceConversion: 'none', imageOrientation: 'from-image' });
    const ctx = new OffscreenCanvas(wd, h).getContext('2d', { willReadFrequently: true })!;
    ctx.drawImage(bitmap, 0, 0);
    bitmap.close();
    const px = ctx.getImageData(0, 0, wd, h).data;
    const out = new Float32Array(3 * h * wd);
    const plane = h * wd;
    for (let c = 0; c < 3; c++) {
      const scale = 1 / (255 * (std[c] as number));
      const bias = -(mean[c] as number) / (std[c] as number);
      for (let i = 0; i < plane; i++) out[c * plane + i] = (px[i * 4 + c] as number) * scale + bias;
    }
    return out;
  };
  const ours = async () => w.imaging!.toTensor({ images: [bytes], resizeSize: size }, { normalize: 'clip' });
  const peers: [string, () => Promise<unknown>][] = [
    ['Chromium: this package', ours],
    ['Chromium: createImageBitmap + canvas', native],
  ];
  const samples: Record<string, number[]> = {};
  for (const [, run] of peers) await run();
  for (let r = 0; r < runs; r++) {
    for (const [name, run] of peers) {
      const t = performance.now();
      await run();
      (samples[name] ??= []).push(performance.now() - t);
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, [...v].sort((a, b) => a - b)[v.length >> 1]]));
}

async function openChromium(images: MixImage[]) {
  if (!WITH_CHROMIUM) return { skipped: 'BENCH_DECODE_CHROMIUM=0' as string };
  if (!existsSync(chromiumBinary)) return { skipped: `no Chromium at ${chromiumBinary} (scripts/setup.sh's ensure_chromium installs Debian's)` };
  const server = await serve(images);
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: chromiumBinary,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage', '--no-first-run'],
  });
  const page = await browser.newPage();
  // tsx (esbuild, keepNames) wraps inner functions in `__name(...)`: give the page that helper.
  await page.addInitScript({ content: 'globalThis.__name = (f) => f;' });
  await page.goto(`http://127.0.0.1:${(server.address() as { port: number }).port}/`);
  return {
    version: browser.version(),
    time: (index: number, size: [number, number]) => page.evaluate(inPage, { index, size, runs: RUNS, mean: [...clip.mean], std: [...clip.std] }) as Promise<Times>,
    close: async () => {
      await browser.close();
      server.close();
    },
  };
}

// ---- the run ----

export interface Row {
  format: string;
  megapixels: number;
  target: string;
  images: number;
  /** Peer -> { median, worst } over the row's images (ms per image), for the peers that ran. */
  peers: Partial<Record<Peer, { median: number; worst: number }>>;
  /** Node peers: the median image's CPU ms (every thread of the process). */
  cpuMs: Partial<Record<Peer, number>>;
}

async function main() {
  const made = performance.now();
  const log = (line: string) => console.log(line);
  const generated = await decodeMix(join(os.tmpdir(), 'mm-decode-bench-v1'), PER_CELL, log, SIZES);
  const cameraDir = cameraPhotoDir();
  const camera = (await cameraPhotos(cameraDir, CAMERA_PER_CLASS, log)).filter((c) => SIZES.some((s) => s.megapixels === c.megapixels));
  // Largest first: the rows above 1 MP are the goals' (and a run cut short still has them).
  const images = [...generated, ...camera].sort((a, b) => b.megapixels - a.megapixels);
  console.log(`${generated.length} generated images (${DECODE_FORMATS.length} formats x ${SIZES.length} sizes x ${PER_CELL}), ${camera.length} camera photos from ${cameraDir}${camera.length ? '' : ' (absent: camera rows not run)'}; ready in ${((performance.now() - made) / 1000).toFixed(1)} s`);
  const browser = await openChromium(images);
  if ('skipped' in browser) console.log(`Chromium peers skipped: ${browser.skipped}`);
  if (WITH_JIMP) await jimpTensor(generated[0]!.bytes, [224, 224]); // jimp's warm-up (JIT)

  const loads = [os.loadavg()];
  const perImage: { image: string; format: string; megapixels: number; width: number; height: number; target: string; size: [number, number]; ms: Times; cpuMs: Times }[] = [];
  const results = join(here, 'results');
  mkdirSync(results, { recursive: true });
  /** Writes the JSON and the report from the images timed so far (after each one: a run cut short still leaves its figures). */
  const save = async (done: boolean) => {
    const rows: Row[] = [];
    for (const target of TARGETS) {
      for (const format of [...DECODE_FORMATS, 'camera JPEG']) {
        for (const { megapixels } of SIZES) {
          const cell = perImage.filter((p) => p.target === target.name && p.format === format && p.megapixels === megapixels);
          if (!cell.length) continue;
          const peers: Row['peers'] = {};
          for (const peer of PEERS) {
            const xs = cell.map((p) => p.ms[peer]).filter((x): x is number => x !== undefined);
            if (xs.length) peers[peer] = { median: median(xs), worst: Math.max(...xs) };
          }
          const cpuMs: Row['cpuMs'] = {};
          for (const peer of PEERS) {
            const xs = cell.map((p) => p.cpuMs[peer]).filter((x): x is number => x !== undefined);
            if (xs.length) cpuMs[peer] = median(xs);
          }
          rows.push({ format, megapixels, target: target.name, images: cell.length, peers, cpuMs });
        }
      }
    }
    const data = {
      date: new Date().toISOString(),
      machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version, sharp: sharp.versions, chromium: 'skipped' in browser ? null : browser.version },
      runs: RUNS,
      perCell: PER_CELL,
      camera: { count: camera.length, folder: camera.length ? cameraDir : null },
      jimp: WITH_JIMP,
      chromiumSkipped: 'skipped' in browser ? browser.skipped : null,
      loadAverage: loads,
      seconds: (performance.now() - started) / 1000,
      complete: done ? null : { imagesTimed: perImage.length / TARGETS.length, images: images.length },
      rows,
      perImage,
    };
    writeFileSync(join(results, 'decode-benchmark.json'), JSON.stringify(data, null, 1) + '\n');
    for (const target of TARGETS) {
      const points: FacetPoint[] = rows
        .filter((r) => r.target === target.name)
        .flatMap((r) => Object.entries(r.peers).map(([peer, v]) => ({ facet: r.format, series: peer, kind: peer.endsWith('this package') ? ('library' as const) : ('peer' as const), x: r.megapixels, value: v.median })));
      const file = `decode-${target.name.startsWith('224') ? '224' : 'qwen2-vl'}.svg`;
      writeFileSync(join(results, file), await facetedLineChart(`Decode + resize + normalise to ${target.name}, one image at a time (median ms, log)`, 'source megapixels', 'ms per image', points));
      console.log(`wrote bench/results/${file}`);
    }
    writeReport('decode-benchmark');
  };
  const started = performance.now();
  for (const [index, image] of images.entries()) {
    for (const target of TARGETS) {
      const size = target.size(image.width, image.height);
      // jimp decodes no WebP.
      const { ms, cpuMs } = await timeNode(image, size, WITH_JIMP && target.name === '224x224' && !image.format.startsWith('WebP'));
      if (!('skipped' in browser)) Object.assign(ms, await browser.time(index, size));
      perImage.push({ image: image.name, format: image.format, megapixels: image.megapixels, width: image.width, height: image.height, target: target.name, size, ms, cpuMs });
    }
    const ours = perImage.at(-2)!.ms['this package']!;
    const sharp1 = perImage.at(-2)!.ms['sharp, 1 thread']!;
    console.log(`${image.name.padEnd(44)} ${image.width}x${image.height}  224: ours ${ours.toFixed(1)} ms, sharp ${sharp1.toFixed(1)} ms`);
    if (index % 8 === 7) loads.push(os.loadavg());
    await save(false);
  }
  loads.push(os.loadavg());
  if (!('skipped' in browser)) await browser.close();

  await save(true);
}

await main();
