// Benchmark (not a test): headers read per second by the CLI (`mm-tokenize-batcher plan`) on a
// folder of 10,000 generated image files (PNG, JPEG, WebP, GIF and a few BMP; sides uniform in
// 224..1024, in nested folders of 500). Files are made once into bench/results/tmp/headers-10000
// (kept for later runs) and read with a warm page cache. Writes bench/results/cli-headers.json and
// its report (cli-headers.md: reports/).
//
//   node cli-headers.mjs [--count 10000] [--runs 3]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { encode } from '../packages/mm-tokenize-batcher/test/fixtures/images.mjs';

const { values } = parseArgs({ options: { count: { type: 'string' }, runs: { type: 'string' } } });
const count = Number(values.count ?? 10_000);
const runs = Number(values.runs ?? 3);
const here = dirname(fileURLToPath(import.meta.url));
const cli = join(dirname(createRequire(import.meta.url).resolve('mm-tokenize-batcher/package.json')), 'dist/cli.js');
const folder = join(here, 'results/tmp', `headers-${count}`);

// xorshift32, fixed seed.
let state = 2024;
const rand = () => {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) / 4294967296;
};
const side = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));

const countFiles = (dir) => (existsSync(dir) ? readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length : 0);
if (countFiles(folder) !== count) {
  console.log(`generating ${count} image files in ${folder} ...`);
  const started = performance.now();
  // 400 distinct encoded images (format x size), written round robin: header reading does not
  // depend on pixel content, and encoding 10,000 large images would take minutes.
  const formats = ['png', 'jpeg', 'webp', 'gif'];
  const templates = [];
  for (let t = 0; t < 400; t++) {
    const bmp = t % 50 === 49; // 2% BMP, kept small (uncompressed)
    const format = bmp ? 'bmp' : formats[t % formats.length];
    const [w, h] = bmp ? [side(224, 400), side(224, 400)] : [side(224, 1024), side(224, 1024)];
    templates.push({ ext: format === 'jpeg' ? 'jpg' : format, bytes: await encode(format, w, h) });
  }
  for (let i = 0; i < count; i++) {
    const dir = join(folder, `part-${String(Math.floor(i / 500)).padStart(3, '0')}`);
    if (i % 500 === 0) mkdirSync(dir, { recursive: true });
    const t = templates[i % templates.length];
    writeFileSync(join(dir, `img-${String(i).padStart(6, '0')}.${t.ext}`), t.bytes);
  }
  console.log(`generated in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

const results = [];
for (const concurrency of [1, 8, 32, 64]) {
  const rates = [];
  let wall = 0;
  for (let run = 0; run < runs; run++) {
    const start = performance.now();
    const out = execFileSync(process.execPath, [cli, 'plan', folder, '--json', '--no-progress', '--concurrency', String(concurrency)], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });
    wall = (performance.now() - start) / 1000;
    const summary = JSON.parse(out);
    if (summary.images !== count) throw new Error(`expected ${count} images, got ${summary.images}`);
    rates.push(summary.headersPerSecond);
  }
  rates.sort((a, b) => a - b);
  const row = { concurrency, headersPerSecond: Math.round(rates[rates.length >> 1]), processSeconds: Number(wall.toFixed(2)) };
  results.push(row);
  console.log(
    `concurrency ${String(concurrency).padStart(2)}: ${row.headersPerSecond} headers/s (median of ${runs}); whole process incl. planning ${row.processSeconds} s`,
  );
}
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(
  join(here, 'results/cli-headers.json'),
  `${JSON.stringify({ count, runs, node: process.version, cache: 'warm', strategy: 'clustered (default)', results }, null, 2)}\n`,
);
await writeReport('cli-headers');

/** Writes bench/results/NAME.md from the JSON just written (the renderers are TypeScript: reports/). */
async function writeReport(name) {
  const { tsImport } = await import('tsx/esm/api');
  const reports = await tsImport('./reports/index.ts', import.meta.url);
  reports.writeReport(name);
}
