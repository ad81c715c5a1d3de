// Benchmark (not a test): image sizes from URLs, this library's `imageSizesFromUrls` (HTTP Range
// through fetch, headers read in wasm) against `probe-image-size` (the usual JS choice: a plain GET
// whose stream is destroyed once the header is parsed), on the same local server in the same run.
// Per library: bytes the server sent per image, bytes received per image, images per second
// (best of `--runs`), all at the same concurrency.
//
// The images are real encoded files made by sharp from seeded noise (JPEG, PNG, WebP; sides 200 to
// 2400 px; JPEG with and without EXIF/ICC metadata), served twice: by a server that honours Range
// and by one that ignores it (both libraries read both).
//
//   node url-sizes.mjs [--count 300] [--concurrency 16] [--runs 5]
// Writes bench/results/url-sizes.json and its report (url-sizes.md: reports/). `pnpm bench:url-sizes`
// from the repo root.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import probe from 'probe-image-size';
import sharp from 'sharp';
import { imageSizesFromUrls } from 'mm-tokenize-batcher';
import { startRangeServer } from '../test/runtimes/range-server.mjs';

const { values } = parseArgs({ options: { count: { type: 'string' }, concurrency: { type: 'string' }, runs: { type: 'string' } } });
const count = Number(values.count ?? 300);
const concurrency = Number(values.concurrency ?? 16);
const runs = Number(values.runs ?? 5);
const here = dirname(fileURLToPath(import.meta.url));

function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` encoded images of seeded sizes; noise at a quarter of the size, upscaled (realistic file sizes, quick to make). */
async function makeImages() {
  const next = rng(12);
  const files = new Map();
  const sizes = new Map();
  for (let i = 0; i < count; i++) {
    const width = 200 + Math.floor(next() * 2200);
    const height = 200 + Math.floor(next() * 2200);
    const w = Math.ceil(width / 4);
    const h = Math.ceil(height / 4);
    const noise = Buffer.alloc(w * h * 3);
    for (let k = 0; k < noise.length; k++) noise[k] = Math.floor(next() * 256);
    let img = sharp(noise, { raw: { width: w, height: h, channels: 3 } }).resize(width, height);
    const kind = ['jpeg', 'jpeg-meta', 'png', 'webp'][i % 4];
    if (kind === 'jpeg-meta') img = img.withMetadata({ orientation: 1, exif: { IFD0: { Copyright: 'bench '.repeat(400) } } }).keepIccProfile();
    const bytes = await (kind === 'png' ? img.png({ compressionLevel: 3 }) : kind === 'webp' ? img.webp({ quality: 80 }) : img.jpeg({ quality: 85 })).toBuffer();
    const name = `${i}.${kind === 'png' ? 'png' : kind === 'webp' ? 'webp' : 'jpg'}`;
    files.set(name, new Uint8Array(bytes));
    sizes.set(name, [width, height]);
  }
  return { files, sizes };
}

const { files, sizes } = await makeImages();
const names = [...files.keys()];
const totalBytes = [...files.values()].reduce((n, f) => n + f.length, 0);
const server = await startRangeServer(files);
console.log(`${count} images (${(totalBytes / count / 1024).toFixed(0)} KiB each on average), concurrency ${concurrency}, best of ${runs} runs`);

/** probe-image-size over all URLs with at most `concurrency` requests at once. */
async function probeAll(urls) {
  const out = new Array(urls.length);
  let next = 0;
  let received = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < urls.length) {
        const i = next++;
        const r = await probe(urls[i]);
        out[i] = [r.width, r.height];
      }
    }),
  );
  return { sizes: out, received };
}

async function ours(urls) {
  const r = await imageSizesFromUrls(urls, { concurrency });
  if (r.rejects.length) throw new Error(`rejects: ${JSON.stringify(r.rejects.slice(0, 3))}`);
  return { sizes: r.map((s) => [s.width, s.height]), received: r.bytesRead };
}

const rows = [];
for (const mode of ['range', 'full']) {
  const urls = names.map((n) => `${server.origin}/${mode}/${n}`);
  for (const [library, read] of [
    ['mm-tokenize-batcher imageSizesFromUrls', ours],
    ['probe-image-size 7.5.0', probeAll],
  ]) {
    let best = Infinity;
    let sent = 0;
    let requests = 0;
    let received = 0;
    for (let run = 0; run < runs; run++) {
      server.reset();
      const started = performance.now();
      const result = await read(urls);
      const seconds = (performance.now() - started) / 1000;
      // Let destroyed sockets settle so bytes written are counted for this run.
      await new Promise((ok) => setTimeout(ok, 50));
      result.sizes.forEach((s, i) => {
        const want = sizes.get(names[i]);
        if (s[0] !== want[0] || s[1] !== want[1]) throw new Error(`${library}: ${names[i]} read as ${s}, is ${want}`);
      });
      best = Math.min(best, seconds);
      sent = server.stats.bytesSent;
      requests = server.stats.requests;
      received = result.received;
    }
    const row = {
      server: mode === 'range' ? 'honours Range' : 'ignores Range',
      library,
      imagesPerSecond: Math.round(count / best),
      bytesSentPerImage: Math.round(sent / count),
      bytesReceivedPerImage: library.startsWith('mm') ? Math.round(received / count) : null,
      requestsPerImage: +(requests / count).toFixed(3),
    };
    rows.push(row);
    console.log(JSON.stringify(row));
  }
}
await server.close();

mkdirSync(join(here, 'results'), { recursive: true });
const out = {
  command: `node url-sizes.mjs --count ${count} --concurrency ${concurrency} --runs ${runs}`,
  node: process.version,
  images: count,
  meanFileBytes: Math.round(totalBytes / count),
  rows,
};
writeFileSync(join(here, 'results/url-sizes.json'), JSON.stringify(out, null, 2) + '\n');
console.log('wrote bench/results/url-sizes.json');
await writeReport('url-sizes');

/** Writes bench/results/NAME.md from the JSON just written (the renderers are TypeScript: reports/). */
async function writeReport(name) {
  const { tsImport } = await import('tsx/esm/api');
  const reports = await tsImport('./reports/index.ts', import.meta.url);
  reports.writeReport(name);
}
