// The GPU path's benchmark (issue 28; docs/tfjs.md): images/s of three routes to a CLIP-normalised
// float32 NCHW batch tensor in Chromium, on photo-size JPEGs:
//   wasm decode + wasm resize     toTensor (shrink on load, its default)
//   wasm decode + GPU resize      toTfTensor (full decode in wasm, resize and normalise on the backend)
//   browser decode + GPU resize   toTfTensor with decoder: 'browser' (createImageBitmap, fromPixels)
// The package comes from its packed tarball, in a Vite-built page (test/runtimes/harness.mjs).
// Each backend runs in its own browser; the routes are interleaved, median of --runs after a warm-up.
// The GPU is named from the browser's own report: SwiftShader is labelled "software GPU".
//
//   node bench/gpu-benchmark.mjs [flags]
//     --backend webgl,webgpu   TF.js backends (default both)
//     --mp 1,12                photo sizes in megapixels (default 1,12)
//     --photos DIR             your own JPEGs instead (every *.jpg in DIR)
//     --batch 4 --size 224 --runs 5   images per batch, square target side, timed runs
//     --worker                 run in a module Web Worker instead of the page
//     --hardware               use the machine's GPU (no SwiftShader flags); --flag X adds a Chromium flag
//   CHROMIUM_PATH=/path/to/chrome picks the browser (default Debian's /usr/bin/chromium).
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { GPU_FLAGS, openRuntime, prepareConsumer } from '../test/runtimes/harness.mjs';
import { versions } from '../test/runtimes/binaries.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const flag = (name, fallback) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : fallback);
const list = (name, fallback) => flag(name, fallback).split(',');
const backends = list('backend', 'webgl,webgpu');
const batch = Number(flag('batch', '4'));
const size = Number(flag('size', '224'));
const runs = Number(flag('runs', '5'));
const inWorker = argv.includes('--worker');
const extraFlags = argv.flatMap((a, i) => (a === '--flag' ? [argv[i + 1]] : []));
const chromiumFlags = argv.includes('--hardware') ? ['--enable-unsafe-webgpu', '--ignore-gpu-blocklist', ...extraFlags] : [...GPU_FLAGS, ...extraFlags];

// Photos: a real camera photo (exif-orientation-examples' Landscape_6.jpg, 1800 x 1200, turned
// upright) resampled to each size and saved as a baseline JPEG of quality 90, or the user's own.
const work = mkdtempSync(join(tmpdir(), 'gpu-bench-'));
const files = [];
const photosDir = flag('photos', null);
if (photosDir) {
  for (const name of readdirSync(photosDir).filter((f) => /\.jpe?g$/i.test(f)).sort()) files.push([name, join(photosDir, name)]);
} else {
  const source = readFileSync(join(here, '../test/fixtures/suites/exif-orientation-examples/Landscape_6.jpg'));
  for (const mp of list('mp', '1,12').map(Number)) {
    const width = Math.round(Math.sqrt((mp * 1e6 * 3) / 4));
    const height = Math.round((width * 4) / 3);
    const name = `photo-${mp}mp-${width}x${height}.jpg`;
    writeFileSync(join(work, name), await sharp(source).rotate().resize(width, height, { fit: 'fill', kernel: 'lanczos3' }).jpeg({ quality: 90 }).toBuffer());
    files.push([name, join(work, name)]);
  }
}

console.log('runtimes:', JSON.stringify({ chromium: versions().chromium, load: (await import('node:os')).loadavg().map((l) => l.toFixed(2)).join(' ') }));
const consumer = prepareConsumer();
const results = [];
try {
  for (const backend of backends) {
    const runtime = inWorker ? 'chromium-webworker' : 'chromium';
    const handle = await openRuntime(runtime, consumer, join(here, 'gpu-payload.js'), { gpu: chromiumFlags, files });
    try {
      const out = (await handle.run({ backend, photos: files.map(([name]) => name), batch, size, runs })).result;
      if (out.leftTensors !== 0) throw new Error(`${backend}: ${out.leftTensors} tensors left`);
      results.push(out);
    } finally {
      await handle.dispose();
    }
  }
} finally {
  consumer.dispose();
  rmSync(work, { recursive: true, force: true });
}

const label = (gpu) => (/swiftshader/i.test(gpu) ? `software GPU (${gpu})` : `GPU: ${gpu}`);
const routes = Object.keys(results[0].rows[0].imagesPerSecond);
console.log(`\n${batch} images per batch to ${size} x ${size} float32 (CLIP), ${inWorker ? 'Web Worker' : 'page'}, median of ${runs}; images/s\n`);
console.log(`| backend | GPU | photo | ${routes.join(' | ')} |`);
console.log(`|---|---|---|${routes.map(() => '---:').join('|')}|`);
for (const r of results) {
  for (const row of r.rows) console.log(`| ${r.backend} | ${label(r.gpu)} | ${row.photo} | ${routes.map((k) => row.imagesPerSecond[k].toFixed(1)).join(' | ')} |`);
}
